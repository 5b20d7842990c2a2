import type { WebSocket } from 'ws';
import type { CloseCode } from '../../include/protocol.js';
import { closeReason } from '../protocol/close-reason.js';
import type { OutboundPort } from './outbound-port.js';

/** How long a refused client has to read its close packet before its socket is cut. */
export const REFUSED_LINGER_MS = 1_000;

/**
 * Tell a refused client why and let it go at no cost to the relay: its
 * socket is no longer read (whatever it sends stays in the kernel, nothing
 * is parsed or buffered), the packet and the close frame are written and
 * the write side is ended, and after `lingerMs` the socket is cut whether
 * or not the client answered (ws would wait 30 s for its close frame).
 * Returns a function that cuts it at once (stop()).
 */
export class RefusedClient {
  readonly #ws: WebSocket;
  readonly #socket: OutboundPort;
  #timer: NodeJS.Timeout | null = null;

  constructor(ws: WebSocket, socket: OutboundPort) {
    this.#ws = ws;
    this.#socket = socket;
    socket.pause();
    ws.on('error', function refusedOnError() {});
  }

  /** Write `packet`, then the close frame, end the socket and cut it after `lingerMs`. */
  tell(packet: string, code: CloseCode, reason: string, lingerMs = REFUSED_LINGER_MS): void {
    this.#ws.send(packet);
    this.#ws.close(code, closeReason(reason));
    this.#socket.end();
    this.#timer = setTimeout(() => this.cut(), lingerMs);
    this.#timer.unref();
  }

  /** Drop the socket now. */
  cut(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#ws.terminate();
  }
}
