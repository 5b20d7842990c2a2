/**
 * Sends an app's webhook events to its receivers as Pusher does: POSTed as
 * `{"time_ms": …, "events": [ … ]}`, signed with `X-Pusher-Key` (the app's
 * key) and `X-Pusher-Signature` (hex HMAC-SHA256 of the body with the
 * app's secret). Events that come close together go in one POST. Each
 * receiver has its own bounded queue: while one is down its events wait,
 * and past the bound new ones are dropped and counted, never the relay's
 * memory grown. A failed POST (no answer, or not 2xx) is retried with
 * backoff; out of attempts, its events are dropped and counted.
 * At-most-once: events still queued when the relay stops are lost.
 */
import { request as httpRequest, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Logger } from '../../logger/logger.js';
import type { PusherAppMetrics } from '../apps/app-metrics.js';
import type { PusherApp, PusherWebhookTarget } from '../apps/pusher-app.js';
import { hmacHex } from '../http/request-signature.js';
import { DEFAULT_BACKOFF, retryDelayMs, type BackoffPolicy } from './retry-backoff.js';
import type { WebhookEvent } from './webhook-event.js';

export interface WebhookOptions {
  /** How long the first event waits for others to share its POST. */
  readonly batchMs: number;
  /** Most events in one POST. */
  readonly maxBatchEvents: number;
  /** Most events waiting per receiver; past it new events are dropped (counted). */
  readonly maxQueuedEvents: number;
  /** A POST not answered within this is a failure. */
  readonly timeoutMs: number;
  readonly backoff: BackoffPolicy;
}

export const DEFAULT_WEBHOOK_OPTIONS: WebhookOptions = {
  batchMs: 50,
  maxBatchEvents: 100,
  maxQueuedEvents: 10_000,
  timeoutMs: 5_000,
  backoff: DEFAULT_BACKOFF,
};

export class WebhookSender {
  readonly #metrics: PusherAppMetrics;
  readonly #logger: Logger;
  readonly #options: WebhookOptions;
  readonly #queues = new Map<PusherWebhookTarget, ReceiverQueue>();
  #stopped = false;

  constructor(metrics: PusherAppMetrics, logger: Logger, options: Partial<WebhookOptions> = {}) {
    this.#metrics = metrics;
    this.#logger = logger;
    this.#options = { ...DEFAULT_WEBHOOK_OPTIONS, ...options };
  }

  /** Queue `event` for every receiver of `app` that wants its kind. Never throws, never blocks. */
  emit(app: PusherApp, event: WebhookEvent): void {
    if (this.#stopped) return;
    for (const target of app.webhooks) {
      if (!target.events.includes(event.name)) continue;
      let queue = this.#queues.get(target);
      if (!queue) {
        queue = new ReceiverQueue(app, target, this.#metrics, this.#logger, this.#options);
        this.#queues.set(target, queue);
      }
      queue.push(event);
    }
  }

  /** Events waiting or being sent, over all receivers (for tests and /health). */
  get pending(): number {
    let total = 0;
    for (const queue of this.#queues.values()) total += queue.pending;
    return total;
  }

  /** Clear every timer and abort every POST in flight; nothing is sent after. */
  stop(): void {
    this.#stopped = true;
    for (const queue of this.#queues.values()) queue.stop();
    this.#queues.clear();
  }
}

/** One receiver's queue: at most one POST in flight, so its events arrive in order. */
class ReceiverQueue {
  readonly #app: PusherApp;
  readonly #metrics: PusherAppMetrics;
  readonly #logger: Logger;
  readonly #options: WebhookOptions;
  readonly #url: URL;
  #waiting: WebhookEvent[] = [];
  /** The batch being sent or waiting for its retry, and which attempt is next. */
  #batch: WebhookEvent[] | null = null;
  #attempt = 1;
  #timer: NodeJS.Timeout | null = null;
  #inFlight: ClientRequest | null = null;
  #stopped = false;

  constructor(app: PusherApp, target: PusherWebhookTarget, metrics: PusherAppMetrics, logger: Logger, options: WebhookOptions) {
    this.#app = app;
    this.#metrics = metrics;
    this.#logger = logger;
    this.#options = options;
    this.#url = new URL(target.url);
  }

  get pending(): number {
    return this.#waiting.length + (this.#batch?.length ?? 0);
  }

  push(event: WebhookEvent): void {
    if (this.#waiting.length >= this.#options.maxQueuedEvents) {
      this.#metrics.countWebhooks(this.#app.name, 'dropped_queue_full', 1);
      return;
    }
    this.#waiting.push(event);
    if (this.#batch === null && this.#timer === null) this.#schedule(this.#options.batchMs);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#inFlight?.destroy();
    this.#inFlight = null;
    this.#waiting = [];
    this.#batch = null;
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#send();
    }, delayMs);
    this.#timer.unref();
  }

  #send(): void {
    if (this.#stopped) return;
    if (this.#batch === null) {
      if (this.#waiting.length === 0) return;
      this.#batch = this.#waiting.splice(0, this.#options.maxBatchEvents);
      this.#attempt = 1;
    }
    const batch = this.#batch;
    const body = JSON.stringify({ time_ms: Date.now(), events: batch });
    this.#post(body, (failure) => {
      if (this.#stopped) return;
      if (failure === null) {
        this.#metrics.countWebhooks(this.#app.name, 'sent', batch.length);
        this.#batch = null;
        if (this.#waiting.length > 0) this.#schedule(0);
        return;
      }
      this.#attempt++;
      const delay = retryDelayMs(this.#options.backoff, this.#attempt);
      if (delay === null) {
        this.#logger.warn('webhook dropped after its last attempt', {
          app: this.#app.name,
          url: this.#url.origin,
          events: batch.length,
          reason: failure,
        });
        this.#metrics.countWebhooks(this.#app.name, 'dropped_failed', batch.length);
        this.#batch = null;
        if (this.#waiting.length > 0) this.#schedule(0);
        return;
      }
      this.#metrics.countWebhooks(this.#app.name, 'retried', batch.length);
      this.#schedule(delay);
    });
  }

  /** POST `body`; `done(null)` on a 2xx, else `done(why)`. Called once. */
  #post(body: string, done: (failure: string | null) => void): void {
    let finished = false;
    const finish = (failure: string | null): void => {
      if (finished) return;
      finished = true;
      this.#inFlight = null;
      done(failure);
    };
    const send = this.#url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(this.#url, {
      method: 'POST',
      timeout: this.#options.timeoutMs,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'x-pusher-key': this.#app.key,
        'x-pusher-signature': hmacHex(this.#app.secret, body),
      },
    });
    this.#inFlight = req;
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      // The receiver's answer is not read, only drained so the socket can be reused.
      res.resume();
      res.on('error', () => {});
      finish(status >= 200 && status < 300 ? null : `answered ${status}`);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${this.#options.timeoutMs} ms`)));
    req.on('error', (error) => finish(error.message));
    req.end(body);
  }
}
