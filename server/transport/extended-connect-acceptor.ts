import type { Http2ServerRequest, Http2ServerResponse, OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { WebSocketServer } from 'ws';
import type { AcceptorHooks, HttpRefusal } from './accepted-websocket.js';
import { readApplicant } from './admission.js';
import type { Mounts } from './mounts.js';
import { streamPort } from './outbound-port.js';
import { mendBackendFrames } from './php-opcode-fixer.js';
import { webSocketOver } from './ws-over-stream.js';

/** RFC 8441's `:protocol` value for a WebSocket. */
const WEBSOCKET_PROTOCOL = 'websocket';

/**
 * HTTP/2: an Extended CONNECT stream (RFC 8441: `:method CONNECT`,
 * `:protocol websocket`) becomes an AcceptedWebSocket. It answers 200 with
 * the chosen subprotocol (there is no key and no Sec-WebSocket-Accept in
 * HTTP/2), then runs a ws WebSocket on the stream, made with the relay's
 * WebSocketServer options so pongs, close and limits behave as on HTTP/1.1.
 *
 * It must be driven from the server's 'connect' event: with the compat
 * 'request' listener the relay uses for plain HTTP, Node answers every
 * CONNECT itself with 405 unless a 'connect' listener exists (nodejs/node#36977).
 */
export class ExtendedConnectAcceptor {
  readonly #wss: WebSocketServer;
  readonly #hooks: AcceptorHooks;
  readonly #mounts: Mounts | undefined;

  /** `mounts`: applications owning a path prefix get their streams as HTTP/1.1 upgrades, after the gate. */
  constructor(wss: WebSocketServer, hooks: AcceptorHooks, mounts?: Mounts) {
    this.#wss = wss;
    this.#hooks = hooks;
    this.#mounts = mounts;
  }

  /** Handle one 'connect' event; `ip` is the client's address as the relay believes it. */
  accept(req: Http2ServerRequest, _res: Http2ServerResponse, ip: string): void {
    const stream = req.stream;
    const protocol = req.headers[':protocol'];
    if (protocol === undefined) {
      // A classic CONNECT asks for a tunnel: this is not a proxy.
      refuseStream(stream, {
        status: 405,
        body: { error: 'CONNECT is served only with :protocol websocket (RFC 8441)', code: 'METHOD_NOT_ALLOWED' },
      });
      return;
    }
    if (String(protocol).toLowerCase() !== WEBSOCKET_PROTOCOL) {
      refuseStream(stream, { status: 501, body: { error: 'only :protocol websocket is served here', code: 'NOT_IMPLEMENTED' } });
      return;
    }
    if (req.headers['sec-websocket-version'] !== '13') {
      refuseStream(stream, {
        status: 400,
        headers: { 'sec-websocket-version': '13' },
        body: { error: 'Sec-WebSocket-Version must be 13', code: 'BAD_REQUEST' },
      });
      return;
    }
    const applicant = readApplicant(req, ip);
    const refusal = this.#hooks.gate?.(applicant) ?? null;
    if (refusal) {
      refuseStream(stream, refusal);
      return;
    }
    if (this.#mounts?.extendedConnect(req)) return;
    const chosen = this.#chooseSubprotocol(applicant.subprotocols, req);
    const headers: OutgoingHttpHeaders = { ':status': 200 };
    if (chosen) headers['sec-websocket-protocol'] = chosen;
    if (stream.destroyed || stream.closed) return;
    stream.respond(headers);
    if (applicant.kind === 'backend') mendBackendFrames(stream);
    // The port wraps stream.write before ws's Sender writes a byte.
    const port = streamPort(stream);
    const ws = webSocketOver(this.#wss, stream, chosen);
    this.#hooks.open({ ws, port, applicant, transport: 'h2', request: req });
  }

  #chooseSubprotocol(offered: readonly string[], req: Http2ServerRequest): string {
    const handle = this.#wss.options.handleProtocols;
    if (offered.length === 0) return '';
    if (!handle) return offered[0]!;
    const picked = handle(new Set(offered), req as never);
    return picked === false ? '' : picked;
  }
}

/** Answer an Extended CONNECT in HTTP instead of opening a WebSocket; the stream ends, the connection stays. */
export function refuseStream(stream: ServerHttp2Stream, refusal: HttpRefusal): void {
  if (stream.destroyed || stream.closed || stream.headersSent) {
    stream.destroy();
    return;
  }
  const body = JSON.stringify(refusal.body);
  const headers: OutgoingHttpHeaders = {
    ':status': refusal.status,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  };
  // HTTP/2 header names are lower case.
  for (const [name, value] of Object.entries(refusal.headers ?? {})) headers[name.toLowerCase()] = value;
  stream.respond(headers);
  stream.end(body);
}
