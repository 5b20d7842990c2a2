import type { IncomingHttpHeaders } from 'node:http';
import { CLIENT_TYPE_BACKEND, CloseCode, HEADER_CLIENT_TYPE, HEADER_IDENT } from '../../include/protocol.js';
import type { IpMatcher } from './ip-match.js';

/** Browsers get pings and broadcasts; backends (`Client-Type: php`) do not. Decided here, at admission. */
export type ClientKind = 'browser' | 'backend';

/** Who is knocking, read from the handshake request (HTTP/1.1 upgrade or HTTP/2 Extended CONNECT alike). */
export interface Applicant {
  path: string;
  ip: string;
  kind: ClientKind;
  ident: string | null;
  origin: string | null;
  /** Subprotocols offered in Sec-WebSocket-Protocol, in the client's order. */
  subprotocols: readonly string[];
  /** The request headers as received (HTTP/2 pseudo-headers included there). */
  headers: Readonly<IncomingHttpHeaders>;
}

/** The part of a handshake request an applicant is read from (IncomingMessage and Http2ServerRequest both have it). */
export interface HandshakeRequest {
  url?: string;
  headers: IncomingHttpHeaders;
}

export interface AdmissionRules {
  allowedBackendIps: IpMatcher;
  allowedOrigins: ReadonlySet<string>;
  maxClients: number;
  maxPerIP: number;
}

export interface AdmissionState {
  hasResource(path: string): boolean;
  total: number;
  fromIp(ip: string): number;
  shuttingDown: boolean;
}

/** Why a client is turned away, and the close code that says so. */
export interface Rejection {
  /** What the client is told: never header text (it is logged, escaped, instead). */
  reason: string;
  close: CloseCode;
  /** Which rule refused it. */
  cause: 'shutdown' | 'resource' | 'backend-ip' | 'origin' | 'full' | 'per-ip' | 'app';
}

/** A path short and plain enough to repeat in a reason; anything else is not echoed. */
const PLAIN_PATH = /^\/[\x21-\x7e]{0,63}$/;

const IDENT_MAX = 256;

export function readApplicant(req: HandshakeRequest, ip: string): Applicant {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const type = header(req, HEADER_CLIENT_TYPE);
  const ident = header(req, HEADER_IDENT)?.trim() ?? '';
  const kind: ClientKind = type?.toLowerCase() === CLIENT_TYPE_BACKEND ? 'backend' : 'browser';
  // The PHP client sends `Ident: ` empty when it has none. Only backends get one
  // (admit() lets backends in only from allowedIP): a page claiming an Ident
  // would receive every message meant for that script.
  return {
    path,
    ip,
    kind,
    ident: ident === '' || kind !== 'backend' ? null : ident.slice(0, IDENT_MAX),
    origin: header(req, 'origin') ?? null,
    subprotocols: offeredSubprotocols(req),
    headers: req.headers,
  };
}

/** Null when the applicant may connect, else why not. */
export function admit(applicant: Applicant, rules: AdmissionRules, state: AdmissionState): Rejection | null {
  if (state.shuttingDown) return { reason: 'the relay is shutting down', close: CloseCode.GoingAway, cause: 'shutdown' };
  if (!state.hasResource(applicant.path)) {
    const where = PLAIN_PATH.test(applicant.path) ? applicant.path : 'this path';
    return { reason: `no resource at ${where}`, close: CloseCode.PolicyViolation, cause: 'resource' };
  }
  if (applicant.kind === 'backend' && !rules.allowedBackendIps.has(applicant.ip)) {
    return { reason: `backends are not allowed from ${applicant.ip}`, close: CloseCode.PolicyViolation, cause: 'backend-ip' };
  }
  if (applicant.kind === 'browser' && rules.allowedOrigins.size > 0) {
    if (applicant.origin === null) {
      return { reason: 'the page sent no Origin; allowedOrigins requires one', close: CloseCode.PolicyViolation, cause: 'origin' };
    }
    if (!rules.allowedOrigins.has(applicant.origin)) {
      return { reason: "the page's origin is not in allowedOrigins", close: CloseCode.PolicyViolation, cause: 'origin' };
    }
  }
  if (rules.maxClients > 0 && state.total >= rules.maxClients) {
    return { reason: `the relay is full (${rules.maxClients} clients)`, close: CloseCode.TryAgainLater, cause: 'full' };
  }
  if (rules.maxPerIP > 0 && state.fromIp(applicant.ip) >= rules.maxPerIP) {
    return {
      reason: `too many connections from ${applicant.ip} (limit ${rules.maxPerIP})`,
      close: CloseCode.PolicyViolation,
      cause: 'per-ip',
    };
  }
  return null;
}

/** The tokens of every Sec-WebSocket-Protocol header, trimmed, empty ones skipped. */
export function offeredSubprotocols(req: HandshakeRequest): string[] {
  const raw = req.headers['sec-websocket-protocol'];
  if (raw === undefined) return [];
  const joined = Array.isArray(raw) ? raw.join(',') : raw;
  return joined
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '');
}

function header(req: HandshakeRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
