import type { IncomingMessage, ServerResponse } from 'node:http';
import { Outcome, type FeedbackPacket } from '../../include/protocol.js';
import type { RelayConfig } from '../config/relay-config.js';
import type { Engine } from '../engine/engine.js';
import type { RelayMetrics } from '../metrics/prometheus.js';
import type { RelayStats } from '../metrics/relay-stats.js';
import { publishFeedback } from '../routing/publish-feedback.js';
import { discardRest } from './discard-rest.js';
import { batchItems, toFeedbackPacket } from './feedback-request.js';
import { installHealthEndpoint, type HealthSource } from './health-endpoint.js';
import { HttpError, type ErrorBody } from './http-error.js';
import { sendJson, type HttpContext, type HttpRouter } from './http-router.js';
import { installMetricsEndpoint } from './metrics-endpoint.js';
import { publishAuth, type PublishAuth } from './publish-auth.js';
import { RateLimiter } from './rate-limiter.js';
import { ClientGoneError, readJsonBody } from './read-json-body.js';

type Endpoint = 'feedback' | 'batch';

/** One entry of a batch answer, in the order of the request's messages. */
export type BatchResult = { outcome: Outcome } | ErrorBody;

/** How each outcome is answered: status, and for the bad ones the error that explains it. */
const OUTCOME_ANSWERS: Record<Outcome, { status: number; error?: HttpError; headers?: Record<string, string> }> = {
  [Outcome.Delivered]: { status: 200 },
  [Outcome.Held]: { status: 202 },
  [Outcome.Unknown]: { status: 404, error: new HttpError('UNKNOWN_RECIPIENT') },
  [Outcome.Dropped]: { status: 503, error: new HttpError('RECIPIENT_SLOW'), headers: { 'retry-after': '1' } },
  [Outcome.Failed]: { status: 503, error: new HttpError('ENGINE_FAILED'), headers: { 'retry-after': '1' } },
};

/** What the HTTP API is installed on (the Relay, seen through only what the API uses). */
export interface HttpApiHost extends HealthSource {
  readonly http: HttpRouter;
  readonly config: RelayConfig;
  readonly stats: RelayStats;
  readonly metrics: RelayMetrics;
  readonly engine: Engine;
  readonly shuttingDown: boolean;
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

  constructor(relay: HttpApiHost) {
    this.#relay = relay;
    this.#metrics = relay.metrics;
    // Built here so that a bad allowedIP or rate fails at start-up, not per request.
    this.#auth = publishAuth(relay.config);
    const rate = relay.config.publishRateLimit;
    this.#limiter = rate > 0 ? new RateLimiter(rate) : null;
  }

  async handle(endpoint: Endpoint, req: IncomingMessage, res: ServerResponse, ctx: HttpContext): Promise<void> {
    const refusal = this.#admit(req, ctx);
    if (refusal) {
      this.#refuse(endpoint, req, res, refusal);
      return;
    }
    let body: unknown;
    try {
      body = await readJsonBody(req, this.#relay.config.maxMessageBytes);
    } catch (error) {
      if (error instanceof ClientGoneError) return;
      this.#refuse(endpoint, req, res, error as HttpError);
      return;
    }
    const arrived = process.hrtime.bigint();
    try {
      if (endpoint === 'feedback') await this.#publishOne(body, arrived, res);
      else await this.#publishBatch(body, arrived, res);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      this.#refuse(endpoint, req, res, error);
    }
  }

  /** The reason to refuse before reading the body, or null. */
  #admit(req: IncomingMessage, ctx: HttpContext): HttpError | null {
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
    const denied = this.#auth(req.headers.authorization, ctx.clientIp);
    if (denied) return denied;
    // curl -d sends application/x-www-form-urlencoded: any type is read as JSON but a multipart form, which is certainly not.
    if (/^\s*multipart\//i.test(req.headers['content-type'] ?? '')) return new HttpError('UNSUPPORTED_MEDIA_TYPE');
    return null;
  }

  async #publishOne(body: unknown, arrived: bigint, res: ServerResponse): Promise<void> {
    const packet = toFeedbackPacket(body);
    const outcome = await this.#deliver(packet, arrived);
    const answer = OUTCOME_ANSWERS[outcome];
    this.#send(res, 'feedback', answer.status, { outcome, ...answer.error?.body }, answer.headers);
  }

  async #publishBatch(body: unknown, arrived: bigint, res: ServerResponse): Promise<void> {
    const items = batchItems(body);
    // Published in order (each one handed to the engine before the next), answered together.
    const pending: Promise<BatchResult>[] = items.map((item) => {
      try {
        return this.#deliver(toFeedbackPacket(item), arrived).then((outcome) => ({ outcome }));
      } catch (error) {
        if (error instanceof HttpError) return Promise.resolve(error.body);
        throw error;
      }
    });
    this.#send(res, 'batch', 200, { results: await Promise.all(pending) });
  }

  #deliver(packet: FeedbackPacket, arrived: bigint): Promise<Outcome> {
    let raw: string;
    try {
      raw = JSON.stringify(packet);
    } catch {
      // JSON.parse takes any depth; JSON.stringify recurses and runs out of stack.
      throw new HttpError('BAD_PACKET', 'the message is nested too deeply to forward');
    }
    return publishFeedback(this.#relay.engine.broker, this.#relay.stats, packet, raw).then(({ outcome }) => {
      this.#metrics.observeLatency(Number(process.hrtime.bigint() - arrived) / 1e9, 'http');
      return outcome;
    });
  }

  #refuse(endpoint: Endpoint, req: IncomingMessage, res: ServerResponse, error: HttpError): void {
    this.#send(res, endpoint, error.status, error.body, error.headers);
    discardRest(req, res);
  }

  #send(res: ServerResponse, endpoint: Endpoint, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.headersSent || res.destroyed) return;
    sendJson(res, status, body, { 'cache-control': 'no-store', ...headers });
    this.#metrics.countPublish(endpoint, status);
  }
}
