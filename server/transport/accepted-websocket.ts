import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import type { WebSocket } from 'ws';
import type { Applicant } from './admission.js';
import type { OutboundPort } from './outbound-port.js';

/** What carried the handshake: an HTTP/1.1 upgrade, or an HTTP/2 Extended CONNECT stream (RFC 8441). */
export type TransportKind = 'h1' | 'h2';

export const TRANSPORT_KINDS: readonly TransportKind[] = ['h1', 'h2'];

/**
 * What every acceptor yields once a WebSocket handshake has completed: the
 * rest of the relay (admission, protocols, resources, delivery) sees only
 * this and never asks how it arrived, except to log and count it.
 */
export interface AcceptedWebSocket {
  /** Open, with the subprotocol already chosen (`ws.protocol`). */
  ws: WebSocket;
  port: OutboundPort;
  applicant: Applicant;
  transport: TransportKind;
  /** The handshake request itself, for application hooks (url, headers and socket.remoteAddress on both). */
  request: IncomingMessage | Http2ServerRequest;
}

/** An answer in HTTP instead of a WebSocket (e.g. 429 from a rate limit): status, JSON body, headers to add. */
export interface HttpRefusal {
  status: number;
  body: { error: string; code: string };
  headers?: Record<string, string>;
}

/**
 * What an acceptor calls. `gate` runs before the handshake is completed and
 * may refuse in HTTP (cheap, no WebSocket is made); a refusal that should be
 * told in a packet is the relay's business once `open` was called.
 */
export interface AcceptorHooks {
  gate?(applicant: Applicant): HttpRefusal | null;
  open(accepted: AcceptedWebSocket): void;
}
