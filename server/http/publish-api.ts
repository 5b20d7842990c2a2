import type { IncomingMessage, ServerResponse } from 'node:http';
import { Outcome, type FeedbackPacket } from '../../include/protocol.js';
import type { RelayConfig } from '../config/relay-config.js';
import type { Engine } from '../engine/engine.js';
import { settledOutcome } from '../engine/publication.js';
import type { Logger } from '../logger/logger.js';
import type { RelayMetrics } from '../metrics/prometheus.js';
import type { RelayStats } from '../metrics/relay-stats.js';
import { routingKey } from '../protocol/uuid-signer.js';
import { isChannelFeedback, publishFeedback, type ChannelFeedback } from '../routing/publish-feedback.js';
import type { Connection } from '../transport/connection.js';
import { discardRest } from './discard-rest.js';
import { batchItems, feedbackText, toFeedbackPacket } from './feedback-request.js';
import { installHealthEndpoint, type HealthSource } from './health-endpoint.js';
import { HttpError, type ErrorBody } from './http-error.js';
import { sendJson, type HttpContext, type HttpRouter } from './http-router.js';
import { installMetricsEndpoint } from './metrics-endpoint.js';
import { bearerToken, publishAuth, secretMatcher, type PublishAuth } from './publish-auth.js';
import { RateLimiter } from './rate-limiter.js';
import { readJsonBody } from './read-json-body.js';
import { jobReportOf } from '../jobs/job-report.js';
import type { JobTracker } from '../jobs/job-tracker.js';
import { JobTokens, refusalText, scopeProblem, type JobScope } from '../jobs/job-token.js';

type Endpoint = 'feedback' | 'batch';

const HTTP_PUBLISHER = Object.freeze({ kind: 'http' as const });

const MULTIPART = /^\s*multipart\//i;

/** One entry of a batch answer, in the order of the request's messages. */
export type BatchResult = { outcome: Outcome } | ErrorBody;

/**
 * An answer built once: status, body and the raw header list (no objects per
 * request). The body is a string on purpose: Node writes a string body in
 * the same write as the headers, a Buffer in a second one.
 */
interface PreparedAnswer {
  status: number;
  body: string;
  headers: string[];
}

function prepare(status: number, body: unknown, extraHeaders: Record<string, string> = {}): PreparedAnswer {
  const text = JSON.stringify(body);
  const headers = ['content-type', 'application/json', 'content-length', String(Buffer.byteLength(text)), 'cache-control', 'no-store'];
  for (const [name, value] of Object.entries(extraHeaders)) headers.push(name, value);
  return { status, body: text, headers };
}

/** The same answer (status, and every header: Retry-After too) with another body. */
function withBody(answer: PreparedAnswer, body: unknown): PreparedAnswer {
  const text = JSON.stringify(body);
  const headers = answer.headers.slice();
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === 'content-length') headers[i + 1] = String(Buffer.byteLength(text));
  return { status: answer.status, body: text, headers };
}

function outcomeAnswer(outcome: Outcome, status: number, error?: HttpError, headers?: Record<string, string>): PreparedAnswer {
  return prepare(status, { outcome, ...error?.body }, headers);
}

/** How each outcome of a single publish is answered: for the bad ones, with the error that explains it. */
const OUTCOME_ANSWERS: Record<Outcome, PreparedAnswer> = {
  [Outcome.Delivered]: outcomeAnswer(Outcome.Delivered, 200),
  [Outcome.Held]: outcomeAnswer(Outcome.Held, 202),
  [Outcome.Unknown]: outcomeAnswer(Outcome.Unknown, 404, new HttpError('UNKNOWN_RECIPIENT')),
  [Outcome.Dropped]: outcomeAnswer(Outcome.Dropped, 503, new HttpError('RECIPIENT_SLOW'), { 'retry-after': '1' }),
  [Outcome.Failed]: outcomeAnswer(Outcome.Failed, 503, new HttpError('ENGINE_FAILED'), { 'retry-after': '1' }),
};

/** What the HTTP API is installed on (the Relay, seen through only what the API uses). */
export interface HttpApiHost extends HealthSource {
  readonly http: HttpRouter;
  readonly config: RelayConfig;
  readonly logger: Logger;
  readonly stats: RelayStats;
  readonly metrics: RelayMetrics;
  readonly engine: Engine;
  readonly hub: HealthSource['hub'] & { byIdent(ident: string): Connection | undefined; byKey(key: string): Connection | undefined };
  readonly shuttingDown: boolean;
  /** Publishes feedback that names a Pusher channel (`"channel"`, no uuid or ident); null: there are no Pusher apps. */
  readonly channelFeedback?: ChannelFeedback | null;
  /** The relay's job tracker: HTTP progress reports are its publishers too, and get their job's signals back. */
  readonly jobs?: JobTracker;
  /** Checks job tokens presented as the bearer (publish to one page's job, from any IP). */
  readonly jobTokens?: JobTokens;
}

/** What a delivery gives: its outcome now, or (engines that must ask elsewhere) later. */
type OutcomeOrPromise = Outcome | PromiseLike<Outcome>;

function isPromiseLike(value: OutcomeOrPromise): value is PromiseLike<Outcome> {
  return typeof value === 'object' && value !== null && typeof value.then === 'function';
}

/**
 * The HTTP API on the relay's port: `POST /feedback`, `POST /feedback/batch`,
 * `GET /health` and `GET /metrics` (see docs/http-api.md). The Relay
 * constructor calls it; calling it again replaces the routes.
 * @example
 * const relay = new Relay(config); // installs the API
 * await relay.start();
 * // curl -H "Authorization: Bearer $SECRET" -d '{"uuid":"…","message":"hi"}' http://127.0.0.1:8080/feedback
 */
export function installHttpApi(relay: HttpApiHost): void {
  const api = new PublishApi(relay);
  relay.http.add('POST', '/feedback', (req, res, ctx) => api.handle('feedback', req, res, ctx));
  relay.http.add('POST', '/feedback/batch', (req, res, ctx) => api.handle('batch', req, res, ctx));
  installHealthEndpoint(relay);
  installMetricsEndpoint(relay.http, relay.metrics);
}

/**
 * The publish endpoints. Each request passes, in order: shutdown, rate
 * limit, auth, content type, body size and JSON — so a refused client costs
 * no body reading — and then each message goes to the router.
 */
class PublishApi {
  readonly #relay: HttpApiHost;
  readonly #metrics: RelayMetrics;
  readonly #auth: PublishAuth;
  readonly #limiter: RateLimiter | null;
  /** Is this bearer the publishSecret? In constant time, as the secret's own check. */
  readonly #isSecret: (bearer: string) => boolean;

  constructor(relay: HttpApiHost) {
    this.#relay = relay;
    this.#metrics = relay.metrics;
    // Built here so that a bad allowedIP or rate fails at start-up, not per request.
    this.#auth = publishAuth(relay.config);
    const rate = relay.config.publishRateLimit;
    this.#limiter = rate > 0 ? new RateLimiter(rate) : null;
    this.#isSecret = secretMatcher(relay.config.publishSecret) ?? (() => false);
  }

  /**
   * One publish request, without a Promise in the way when the outcome is
   * known at once (the memory engine): the body is read by callback and the
   * answer is a prepared buffer. An engine whose delivery returns a Promise
   * is answered when it settles.
   */
  handle(endpoint: Endpoint, req: IncomingMessage, res: ServerResponse, ctx: HttpContext): void {
    // Only a bearer shaped like a job token costs this (a regular expression): the secret's path is unchanged.
    const scope = this.#tokenScope(req.headers.authorization, endpoint);
    if (scope instanceof HttpError) {
      this.#refuse(endpoint, req, res, scope);
      return;
    }
    const refusal = this.#admit(req, ctx, scope !== null);
    if (refusal) {
      this.#refuse(endpoint, req, res, refusal);
      return;
    }
    readJsonBody(req, this.#relay.config.maxMessageBytes, (error, body, text) => {
      if (error !== null) {
        if (error instanceof HttpError) this.#refuse(endpoint, req, res, error);
        return;
      }
      const arrived = performance.now();
      try {
        if (scope !== null) this.#publishOne(scoped(body, scope), arrived, res, scope);
        else if (endpoint === 'feedback') this.#publishOne(body, arrived, res, null, text);
        else this.#publishBatch(body, arrived, res);
      } catch (failure) {
        if (!(failure instanceof HttpError)) {
          this.#fail(res, failure);
          return;
        }
        this.#refuse(endpoint, req, res, failure);
      }
    });
  }

  /** The reason to refuse before reading the body, or null. */
  /** The scope of a job token presented as the bearer, its refusal, or null (no token: the secret or allowedIP decide). */
  #tokenScope(authorization: string | undefined, endpoint: Endpoint): JobScope | HttpError | null {
    const tokens = this.#relay.jobTokens;
    const bearer = bearerToken(authorization);
    if (tokens === undefined || bearer === null || !JobTokens.looksLikeToken(bearer)) return null;
    if (this.#isSecret(bearer)) return null;
    const scope = tokens.verify(bearer);
    if (typeof scope === 'string') return new HttpError('FORBIDDEN', refusalText(scope));
    if (endpoint !== 'feedback') return new HttpError('FORBIDDEN', 'a job token publishes one message at a time: use POST /feedback');
    return scope;
  }

  #admit(req: IncomingMessage, ctx: HttpContext, tokened = false): HttpError | null {
    if (this.#relay.shuttingDown) return new HttpError('SHUTTING_DOWN');
    if (this.#limiter) {
      const waitMs = this.#limiter.take(ctx.clientIp);
      if (waitMs > 0) {
        const seconds = Math.max(1, Math.ceil(waitMs / 1000));
        return new HttpError(
          'RATE_LIMITED',
          `more than ${this.#relay.config.publishRateLimit} publish requests per second from ${ctx.clientIp}; retry in ${seconds} s`,
          { 'retry-after': String(seconds) },
        );
      }
    }
    // A valid job token is its own credential, from any IP.
    const denied = tokened ? null : this.#auth(req.headers.authorization, ctx.clientIp);
    if (denied) return denied;
    // curl -d sends application/x-www-form-urlencoded: any type is read as JSON but a multipart form, which is certainly not.
    const type = req.headers['content-type'];
    // The usual type costs no regular expression.
    if (type !== undefined && type !== 'application/json' && MULTIPART.test(type)) return new HttpError('UNSUPPORTED_MEDIA_TYPE');
    return null;
  }

  /** `text`: the body's JSON text, when `body` is its parse as it came (not filled in from a token). */
  #publishOne(body: unknown, arrived: number, res: ServerResponse, scope: JobScope | null = null, text?: string): void {
    const packet = toFeedbackPacket(body);
    if (scope !== null) {
      const problem = scopeProblem(scope, packet);
      if (problem !== null) throw new HttpError('FORBIDDEN', problem);
    }
    // The request's own text when it reads the same as the packet serialised: no JSON.stringify.
    const raw = text === undefined ? null : feedbackText(body as Record<string, unknown>, text);
    const outcome = this.#deliver(packet, arrived, raw);
    if (!isPromiseLike(outcome)) {
      this.#answer(res, this.#withSignals(packet, OUTCOME_ANSWERS[outcome]));
      return;
    }
    outcome.then(
      (settled) => this.#answer(res, this.#withSignals(packet, OUTCOME_ANSWERS[settled])),
      (error: unknown) => this.#fail(res, error),
    );
  }

  /** The answer, with the signals the page sent for this job since its publisher last asked (`"signals":[…]`). */
  #withSignals(packet: FeedbackPacket, answer: PreparedAnswer): PreparedAnswer {
    const jobs = this.#relay.jobs;
    if (jobs === undefined || packet.progress === undefined || typeof packet.uuid !== 'string') return answer;
    const report = jobReportOf(packet);
    if (report === null) return answer;
    const signals = jobs.takeSignals(routingKey(packet.uuid), String(report.job));
    if (signals.length === 0) return answer;
    return withBody(answer, { ...(JSON.parse(answer.body) as object), signals });
  }

  #publishBatch(body: unknown, arrived: number, res: ServerResponse): void {
    const items = batchItems(body);
    // Each item checked first: a bad one is answered in its place, the others go.
    const packets = items.map((item): FeedbackPacket | HttpError => {
      try {
        return toFeedbackPacket(item);
      } catch (error) {
        if (error instanceof HttpError) return error;
        throw error;
      }
    });
    // Hold the recipients' writes until the whole batch is out: a page that
    // gets several of its messages takes them in one system call, not one each.
    const corked = new Set<Connection>();
    for (const packet of packets) {
      const conn = packet instanceof HttpError ? undefined : this.#recipientOf(packet);
      if (conn !== undefined && !corked.has(conn) && conn.cork()) corked.add(conn);
    }
    let pending = false;
    let results: (BatchResult | PromiseLike<BatchResult>)[];
    try {
      results = packets.map((packet) => {
        if (packet instanceof HttpError) return packet.body;
        let outcome: OutcomeOrPromise;
        try {
          outcome = this.#deliver(packet, arrived);
        } catch (error) {
          if (error instanceof HttpError) return error.body;
          throw error;
        }
        if (!isPromiseLike(outcome)) return { outcome };
        pending = true;
        return outcome.then((settled) => ({ outcome: settled }));
      });
    } finally {
      for (const conn of corked) conn.uncork();
    }
    if (!pending) {
      this.#send(res, 'batch', 200, { results });
      return;
    }
    Promise.all(results).then(
      (settled) => this.#send(res, 'batch', 200, { results: settled }),
      (error: unknown) => this.#fail(res, error),
    );
  }

  /** The connection on this relay a packet goes to, if any (only to batch its writes). */
  #recipientOf(packet: FeedbackPacket): Connection | undefined {
    const { ident, uuid } = packet;
    if (typeof ident === 'string' && ident !== '') return this.#relay.hub.byIdent(ident);
    if (typeof uuid === 'string' && uuid !== '') return this.#relay.hub.byKey(routingKey(uuid));
    return undefined;
  }

  /** `text`: the packet's forwarded text when the caller has it already (see feedbackText), else null. */
  #deliver(packet: FeedbackPacket, arrived: number, text: string | null = null): OutcomeOrPromise {
    let raw: string;
    if (text !== null) raw = text;
    else
      try {
        raw = JSON.stringify(packet);
      } catch {
        // JSON.parse takes any depth; JSON.stringify recurses and runs out of stack.
        throw new HttpError('BAD_PACKET', 'the message is nested too deeply to forward');
      }
    const channels = this.#relay.channelFeedback ?? null;
    if (channels !== null && isChannelFeedback(packet)) {
      const refusal = channels.check(packet);
      if (refusal !== null) throw new HttpError('BAD_PACKET', refusal);
    }
    const jobs = this.#relay.jobs;
    // Only a message with `progress` costs the tracker anything.
    if (jobs !== undefined && packet.progress !== undefined && typeof packet.uuid === 'string' && packet.uuid !== '' && !packet.ident) {
      const report = jobReportOf(packet);
      if (report !== null) jobs.report(HTTP_PUBLISHER, routingKey(packet.uuid), packet.uuid, report);
    }
    const result = publishFeedback(this.#relay.engine.broker, this.#relay.stats, packet, raw, channels);
    // An engine that decided at once (the memory engine) is answered in this call, without a microtask.
    const now = settledOutcome(result);
    if (now !== null) {
      this.#metrics.observeLatency((performance.now() - arrived) / 1000, 'http');
      return now;
    }
    // Else it answers asynchronously (a node elsewhere may hold the recipient).
    return result.then(({ outcome }) => {
      this.#metrics.observeLatency((performance.now() - arrived) / 1000, 'http');
      return outcome;
    });
  }

  #refuse(endpoint: Endpoint, req: IncomingMessage, res: ServerResponse, error: HttpError): void {
    this.#send(res, endpoint, error.status, error.body, error.headers);
    discardRest(req, res);
  }

  /** A prepared answer to a single publish. */
  #answer(res: ServerResponse, answer: PreparedAnswer): void {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
    this.#metrics.countPublish('feedback', answer.status);
  }

  /** Not the client's fault: a 500, and the error goes to the log. */
  #fail(res: ServerResponse, error: unknown): void {
    this.#relay.logger.error('HTTP publish failed', { reason: error instanceof Error ? error.message : String(error) });
    if (!res.headersSent && !res.destroyed) sendJson(res, 500, { error: 'internal error', code: 'INTERNAL' });
  }

  #send(res: ServerResponse, endpoint: Endpoint, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.headersSent || res.destroyed) return;
    sendJson(res, status, body, { 'cache-control': 'no-store', ...headers });
    this.#metrics.countPublish(endpoint, status);
  }
}

/** The body with the token's page filled in when it names none (the page hands its AJAX request the token, not its uuid). */
function scoped(body: unknown, scope: JobScope): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const fields = body as { uuid?: unknown };
  return fields.uuid === undefined || fields.uuid === null || fields.uuid === '' ? { ...body, uuid: scope.uuid } : body;
}
