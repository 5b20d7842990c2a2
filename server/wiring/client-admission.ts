import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { CloseCode, ServerOpcode, SUBPROTOCOL_V2 } from '../../include/protocol.js';
import { bearerToken } from '../http/publish-auth.js';
import { JobTokens, refusalText, type JobScope } from '../jobs/index.js';
import { routingKey } from '../protocol/uuid-signer.js';
import type { Resource } from '../resources/resource.js';
import type { PusherWsServer } from '../pusher/ws/pusher-ws-server.js';
import type { AcceptedWebSocket } from '../transport/accepted-websocket.js';
import { admit, type AdmissionRules, type Applicant, type Rejection } from '../transport/admission.js';
import { IpMatcher } from '../transport/ip-match.js';
import { padReadyForPhp } from '../transport/backend-handshake.js';
import { Connection } from '../transport/connection.js';
import { RefusedClient } from '../transport/refused-client.js';
import { openConnection, type OpeningParts } from './connection-opening.js';

/** What admission decides with, besides what opening a connection needs. */
export interface AdmissionParts extends OpeningParts {
  rules: AdmissionRules;
  /** Verifies the job token a backend may present at the handshake. */
  jobTokens: JobTokens;
  resources: ReadonlyMap<string, Resource>;
  /** The Pusher endpoint, when there are apps (read late: it is built after this). */
  pusherWs(): PusherWsServer | null;
  shuttingDown(): boolean;
}

/**
 * Every accepted WebSocket, over HTTP/1.1 or HTTP/2, meets the admission
 * rules and an application's preConnect here, then is refused (told why in
 * a packet) or opened. Owns the clients that are in neither state yet, so
 * stop() can end them too.
 */
export class ClientAdmission {
  readonly #parts: AdmissionParts;
  /** The same rules for a backend that presented a valid job token: from any IP. */
  readonly #tokenRules: AdmissionRules;
  #nextId = 1;
  /** Refused clients being told why: not in the hub, but stop() must end them too. */
  readonly #refused = new Map<WebSocket, RefusedClient>();
  /** Clients an application's preConnect is deciding on: not in the hub either. */
  readonly #admitting = new Set<WebSocket>();
  readonly #pendingTimers = new Set<NodeJS.Timeout>();

  constructor(parts: AdmissionParts) {
    this.#parts = parts;
    this.#tokenRules = { ...parts.rules, allowedBackendIps: new IpMatcher(['0.0.0.0/0', '::/0']) };
  }

  /** Clients an application is still deciding on (maxClients counts them). */
  get admittingCount(): number {
    return this.#admitting.size;
  }

  /** Every connected and admitting client, of every protocol (maxClients counts them all). */
  clientCount(): number {
    return this.#parts.hub.size + this.#admitting.size + (this.#parts.pusherWs()?.size ?? 0);
  }

  admit(accepted: AcceptedWebSocket): void {
    const { applicant } = accepted;
    const { hub, resources } = this.#parts;
    const pusherWs = this.#parts.pusherWs();
    const scope = this.#jobScopeOf(applicant);
    if (typeof scope === 'string') {
      this.#reject(accepted, { reason: scope, close: CloseCode.PolicyViolation, cause: 'backend-ip' });
      return;
    }
    const rejection = admit(applicant, scope === null ? this.#parts.rules : this.#tokenRules, {
      hasResource: (path) => resources.has(path) || (pusherWs?.serves(path) ?? false),
      total: this.clientCount(),
      fromIp: (ip) => hub.countFromIp(ip),
      shuttingDown: this.#parts.shuttingDown(),
    });
    // Pusher clients are refused in their own protocol (4009, 4100, 4200), which pusher-js acts on.
    if (pusherWs?.serves(applicant.path)) pusherWs.open(accepted, this.#nextId++, rejection?.cause ?? null);
    // The handshake was completed even to refuse: the client is then told why in a packet.
    else if (rejection) this.#reject(accepted, rejection);
    else this.#accept(accepted, scope);
  }

  /**
   * A backend's job token (`Authorization: Bearer <token>` at the handshake):
   * its scope, the refusal sentence of a bad one, or null when it shows none.
   */
  #jobScopeOf(applicant: Applicant): JobScope | string | null {
    if (applicant.kind !== 'backend') return null;
    const header = applicant.headers.authorization;
    const bearer = bearerToken(typeof header === 'string' ? header : undefined);
    if (bearer === null || !JobTokens.looksLikeToken(bearer)) return null;
    const scope = this.#parts.jobTokens.verify(bearer);
    return typeof scope === 'string' ? refusalText(scope) : scope;
  }

  /** Stop, first: cancel refusals still waiting to be told (a PHP backend's delay). */
  stopTimers(): void {
    for (const timer of this.#pendingTimers) clearTimeout(timer);
    this.#pendingTimers.clear();
  }

  /** Stop, after the drain: end every client that never reached the hub. */
  endAll(): void {
    for (const client of this.#refused.values()) client.cut();
    this.#refused.clear();
    for (const ws of this.#admitting) ws.terminate();
    this.#admitting.clear();
  }

  #reject({ ws, port, applicant, transport }: AcceptedWebSocket, rejection: Rejection): void {
    const { stats, logger, config } = this.#parts;
    stats.countRejection(rejection.cause === 'resource' ? 'resource' : String(rejection.close));
    logger.warn('client rejected', {
      reason: rejection.reason,
      ip: applicant.ip,
      path: applicant.path,
      kind: applicant.kind,
      origin: rejection.cause === 'origin' ? applicant.origin : undefined,
      transport,
    });
    const client = new RefusedClient(ws, port);
    const refused = this.#refused;
    refused.set(ws, client);
    ws.on('close', () => refused.delete(ws));
    const packet = JSON.stringify({ opcode: ServerOpcode.Close, error: rejection.reason });
    // A refused PHP backend reads this where it expects `ready`: same 1024-byte frame.
    const tell = (): void => client.tell(applicant.kind === 'backend' ? padReadyForPhp(packet) : packet, rejection.close, rejection.reason);
    if (applicant.kind === 'backend') this.#later(config.backendReadyDelayMs, tell);
    else tell();
  }

  #accept(accepted: AcceptedWebSocket, scope: JobScope | null = null): void {
    const { ws, port, applicant, transport } = accepted;
    const parts = this.#parts;
    const { config, hooks } = parts;
    const uuid = parts.signer.issue();
    const conn = new Connection({
      id: this.#nextId++,
      ws,
      port,
      transport,
      kind: applicant.kind,
      protocol: ws.protocol === SUBPROTOCOL_V2 ? 2 : 1,
      resource: applicant.path,
      ip: applicant.ip,
      // A token opens one job, not an Ident other scripts are reached by.
      ident: scope === null ? applicant.ident : null,
      origin: applicant.origin,
      uuid,
      key: routingKey(uuid),
      maxChunks: config.maxChunks,
      maxMessageBytes: config.maxMessageBytes,
      frameGapMs: config.backendFrameGapMs,
    });
    conn.jobScope = scope;
    if (!hooks.has('preConnect', conn.resource)) {
      openConnection(parts, conn, ws, parts.resources.get(applicant.path)!);
      return;
    }
    // Nothing is read while the application decides: what the client sends waits in the socket.
    port.pause();
    ws.on('error', () => {});
    const admitting = this.#admitting;
    admitting.add(ws);
    // Hooks read url, headers and socket.remoteAddress, which an Http2ServerRequest has too.
    void hooks.admit(conn, accepted.request as IncomingMessage).then((refusal) => {
      admitting.delete(ws);
      if (ws.readyState !== ws.OPEN) return;
      if (refusal === null && parts.shuttingDown())
        refusal = { reason: 'the relay is shutting down', close: CloseCode.GoingAway, cause: 'shutdown' };
      if (refusal) {
        this.#reject(accepted, refusal);
        return;
      }
      openConnection(parts, conn, ws, parts.resources.get(applicant.path)!);
      port.resume();
    });
  }

  #later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#pendingTimers.delete(timer);
      fn();
    }, ms);
    this.#pendingTimers.add(timer);
  }
}
