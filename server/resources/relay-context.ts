import { relayCodec } from '../protocol/codecs/relay-codecs.js';
import { ErrorCodes, ServerOpcode, type CloseCode, type ErrorCode, type Outcome } from '../../include/protocol.js';
import type { Delivery } from '../delivery/delivery.js';
import type { Broker } from '../engine/broker.js';
import type { PublishResult } from '../engine/publication.js';
import type { Logger } from '../logger/logger.js';
import type { RelayStats } from '../metrics/relay-stats.js';
import { errorText } from '../protocol/error-text.js';
import type { UuidSigner } from '../protocol/uuid-signer.js';
import { routingKey } from '../protocol/uuid-signer.js';
import type { Hub } from '../routing/hub.js';
import { publishFeedback, type ChannelFeedback } from '../routing/publish-feedback.js';
import { feedbackTarget, type PublishDecision, type PublishPolicy, type PublishTarget } from '../routing/publish-policy.js';
import type { Connection } from '../transport/connection.js';
import type { SocketPublisher } from '../jobs/job-record.js';
import { jobReportOf } from '../jobs/job-report.js';
import { scopeProblem } from '../jobs/job-token.js';
import type { JobTracker } from '../jobs/job-tracker.js';
import type { ResourceContext } from './resource.js';

export interface ContextHooks {
  /** Is there a resumable page session under this routing key? Such a uuid cannot be adopted. */
  hasSession?: (key: string) => boolean;
  /** Called when a connection moves to another uuid (sessions follow it). */
  onRekey?: (conn: Connection, previousKey: string) => void;
  /** Receives the relay latency of a sample of WebSocket publishes, in seconds. */
  observeLatency?: (seconds: number) => void;
  /** A close asked for by a resource (quit, an app): the hooks may keep the connection open. */
  close?: (conn: Connection, code: CloseCode, reason?: string) => void;
}

/** What the context is made of: the parts the relay wired. */
export interface ContextParts {
  logger: Logger;
  hub: Hub;
  broker: Broker;
  delivery: Delivery;
  signer: UuidSigner;
  stats: RelayStats;
  /** Who may publish to whom: asked here, where a publish enters, before any engine carries it. */
  policy: PublishPolicy;
  nodeId: string;
  /** Publishes feedback that names a Pusher channel; null: no Pusher apps, such feedback goes nowhere. */
  channelFeedback?: ChannelFeedback | null;
  /** The jobs of this node's publishers (server/jobs/); told of every feedback that carries `progress`. */
  jobs?: JobTracker;
}

/** One publish in this many is timed for the latency histogram: cheap enough for the hot path. */
const LATENCY_SAMPLE_EVERY = 8;
const NO_FIELDS = Object.freeze({});

/** The capabilities the relay hands to resources. */
export class RelayContext implements ResourceContext {
  readonly logger: Logger;
  readonly #parts: ContextParts;
  readonly #hooks: ContextHooks;
  #sample = 0;
  /** v1 senders whose refused messages were already logged (logged once per connection). */
  readonly #refusalLogged = new WeakSet<Connection>();
  /** Each job publisher as the tracker knows it, made once per connection. */
  readonly #publishers = new WeakMap<Connection, SocketPublisher>();

  constructor(parts: ContextParts, hooks: ContextHooks = {}) {
    this.logger = parts.logger;
    this.#parts = parts;
    this.#hooks = hooks;
  }

  send(to: Connection, message: object | string | Buffer): boolean {
    const raw = typeof message === 'string' || Buffer.isBuffer(message) ? message : JSON.stringify(message);
    return this.#parts.delivery.message(to, raw);
  }

  deliverFeedback(from: Connection, packet: { [field: string]: unknown }, raw: Buffer | string): Promise<PublishResult> | null {
    const { broker, stats, signer } = this.#parts;
    const channels = this.#parts.channelFeedback ?? null;
    if (from.jobScope !== null) {
      // A job token opens one page's one job, nothing else (docs/security.md).
      const problem = scopeProblem(from.jobScope, packet);
      if (problem !== null) {
        this.#refuseScoped(from, packet.id, problem);
        return null;
      }
    }
    const target = feedbackTarget(packet, (uuid) => signer.verify(uuid) !== null);
    if (target !== null && !this.#permitted(from, target, packet.id)) return null;
    // The one job check of the hot path: a message without `progress` skips the tracker.
    if (packet.progress !== undefined && target?.kind === 'uuid') this.#reportJob(from, packet);
    const observe = this.#hooks.observeLatency;
    if (observe === undefined || ++this.#sample < LATENCY_SAMPLE_EVERY) {
      return this.#bounded(from, publishFeedback(broker, stats, packet, raw, channels));
    }
    this.#sample = 0;
    const started = process.hrtime.bigint();
    const result = publishFeedback(broker, stats, packet, raw, channels);
    void result.then(() => observe(Number(process.hrtime.bigint() - started) / 1e9));
    return this.#bounded(from, result);
  }

  /** A publish of `from` counted against its bound of unanswered publishes (a shared engine only). */
  #bounded(from: Connection | null, result: Promise<PublishResult>): Promise<PublishResult> {
    const unsettled = from?.unsettled ?? null;
    return unsettled === null ? result : unsettled.track(result);
  }

  broadcast(from: Connection | null, message: string | Buffer, id?: unknown): Promise<PublishResult> | null {
    if (from?.jobScope) {
      this.#refuseScoped(from, id, 'a job token cannot broadcast');
      return null;
    }
    if (from !== null && !this.#permitted(from, { kind: 'broadcast' }, id)) return null;
    const except = from === null ? null : { node: this.#parts.nodeId, conn: from.id };
    return this.#bounded(from, this.#parts.broker.publish({ kind: 'broadcast', except }, { raw: message, packet: NO_FIELDS }));
  }

  #reportJob(from: Connection, packet: { [field: string]: unknown }): void {
    const jobs = this.#parts.jobs;
    const report = jobReportOf(packet);
    if (jobs === undefined || report === null) return;
    let publisher = this.#publishers.get(from);
    if (publisher === undefined) {
      const delivery = this.#parts.delivery;
      // Only v2 connections read frames they did not ask for; a v1 backend polls GET /signals.
      const send = from.protocol === 2 ? (text: string): boolean => delivery.message(from, text) : null;
      publisher = { kind: 'socket', id: from.id, send };
      this.#publishers.set(from, publisher);
    }
    const uuid = packet.uuid as string;
    jobs.report(publisher, routingKey(uuid), uuid, report);
  }

  #refuseScoped(from: Connection, id: unknown, reason: string): void {
    this.#parts.stats.publishRefused++;
    if (from.protocol === 2) this.error(from, 'FORBIDDEN', id, reason);
    else this.logger.warn('message refused: outside its job token', { client: from.id, ip: from.ip, reason });
  }

  /** The publish policy's answer for `from`; a refusal is reported here, once, as the policy says. */
  #permitted(from: Connection, target: PublishTarget, id: unknown): boolean {
    const decision: PublishDecision = this.#parts.policy.decide({ role: from.kind === 'backend' ? 'backend' : 'page' }, target);
    if (decision.allowed) return true;
    this.#parts.stats.publishRefused++;
    if (from.protocol === 2) {
      this.error(from, decision.code, id, decision.reason);
    } else if (!this.#refusalLogged.has(from)) {
      // v1 clients cannot be told (they read only `next` here): drop, log once per connection, count always.
      this.#refusalLogged.add(from);
      this.logger.warn('message refused by the publish policy (further refusals of this client are only counted)', {
        client: from.id,
        ip: from.ip,
        target: target.kind,
        reason: decision.reason,
      });
    }
    return false;
  }

  findByUuid(uuid: string): Connection | undefined {
    return this.#parts.hub.byKey(routingKey(uuid));
  }

  findByIdent(ident: string): Connection | undefined {
    return this.#parts.hub.byIdent(ident);
  }

  adoptUuid(conn: Connection, signedUuid: string): boolean {
    return this.takeUuid(conn, signedUuid) === null;
  }

  takeUuid(conn: Connection, signedUuid: string): 'BAD_UUID' | 'UUID_TAKEN' | null {
    const { signer, hub } = this.#parts;
    const key = signer.verify(signedUuid);
    if (key === null) return 'BAD_UUID';
    const holder = hub.byKey(key);
    if (holder && holder !== conn && holder.open) return 'UUID_TAKEN';
    // A resumable session (its page away) is resumed with its resumeToken, never taken by the uuid alone.
    if (key !== conn.key && this.#hooks.hasSession?.(key)) return 'UUID_TAKEN';
    const previous = conn.key;
    hub.rekey(conn, key, signedUuid);
    this.#hooks.onRekey?.(conn, previous);
    return null;
  }

  outcome(conn: Connection, id: unknown, outcome: Outcome, count?: number): void {
    if (conn.protocol !== 2 || id === undefined) return;
    const packet: { opcode: string; id: unknown; outcome: Outcome; count?: number } = { opcode: ServerOpcode.Outcome, id, outcome };
    if (count !== undefined) packet.count = count;
    this.#parts.delivery.reply(conn, JSON.stringify(packet));
  }

  error(conn: Connection, code: ErrorCode, id?: unknown, detail?: string): void {
    if (conn.closing) return; // the cause of the close was told and logged already
    // The protocol's codec says what the client is told: v2 an `error` packet; v1 only the
    // close packet, written with the close (a reply queued behind frames waiting for their
    // gap would be dropped).
    const frames = relayCodec(conn.protocol).error(code, detail, id);
    if (frames.reply !== null) this.#parts.delivery.reply(conn, frames.reply);
    else if (frames.close === null) {
      this.logger.debug('v1 client error ignored', { client: conn.id, code, detail });
      return;
    }
    const close = ErrorCodes[code].close;
    if (close !== null) {
      this.#parts.stats.countProtocolError(code);
      this.logger.info('closing a connection for a protocol error', { client: conn.id, ip: conn.ip, code });
      conn.close(close, errorText(code, detail), frames.lastWords ?? undefined);
    }
  }

  close(conn: Connection, code: CloseCode, reason?: string): void {
    if (this.#hooks.close) this.#hooks.close(conn, code, reason);
    else conn.close(code, reason);
  }
}
