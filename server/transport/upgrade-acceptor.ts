import { STATUS_CODES, type IncomingMessage } from 'node:http';
import { answerAndClose } from '../limits/raw-answer.js';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import type { AcceptorHooks } from './accepted-websocket.js';
import { readApplicant } from './admission.js';
import { mendBackendFrames } from './php-opcode-fixer.js';
import { socketPort } from './outbound-port.js';

/**
 * HTTP/1.1: an `Upgrade: websocket` request on a TCP or TLS socket becomes
 * an AcceptedWebSocket. `ws` does the RFC 6455 handshake (and, through the
 * server's 'headers' event, the padding PHP readers need).
 */
export class UpgradeAcceptor {
  readonly #wss: WebSocketServer;
  readonly #hooks: AcceptorHooks;

  constructor(wss: WebSocketServer, hooks: AcceptorHooks) {
    this.#wss = wss;
    this.#hooks = hooks;
  }

  /** Handle one 'upgrade' event; `ip` is the client's address as the relay believes it. */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, ip: string): void {
    const applicant = readApplicant(req, ip);
    const refusal = this.#hooks.gate?.(applicant) ?? null;
    if (refusal) {
      answerAndClose(socket, `${refusal.status} ${STATUS_CODES[refusal.status] ?? ''}`, refusal.body, refusal.headers);
      return;
    }
    if (applicant.kind === 'backend') mendBackendFrames(socket);
    const hooks = this.#hooks;
    this.#wss.handleUpgrade(req, socket, head, function upgraded(ws) {
      hooks.open({ ws, port: socketPort(socket), applicant, transport: 'h1', request: req });
    });
  }
}
