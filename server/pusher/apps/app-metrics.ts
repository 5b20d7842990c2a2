import { Counter, type Registry } from 'prom-client';

/** The Pusher HTTP API endpoints, as labelled in the metrics. */
export type PusherEndpoint = 'events' | 'batch_events' | 'channels' | 'channel' | 'users' | 'terminate_connections' | 'unknown';

/** What became of a webhook event: sent (a 2xx), or dropped (queue full, or out of retries). */
export type WebhookFate = 'sent' | 'retried' | 'dropped_queue_full' | 'dropped_failed';

/**
 * Counters per Pusher app (labelled by the app's name, never by anything a
 * client sends), registered in the relay's metrics registry so that
 * `/metrics` shows them. The WebSocket side may add its own beside these.
 */
export class PusherAppMetrics {
  readonly #requests: Counter<'app' | 'endpoint' | 'status'>;
  readonly #events: Counter<'app'>;
  readonly #webhooks: Counter<'app' | 'fate'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.#requests = new Counter({
      name: 'websock_pusher_api_requests_total',
      help: 'Pusher HTTP API requests answered, by app, endpoint and status code.',
      labelNames: ['app', 'endpoint', 'status'] as const,
      registers,
    });
    this.#events = new Counter({
      name: 'websock_pusher_api_events_total',
      help: 'Events published through the Pusher HTTP API, by app (one per event and channel).',
      labelNames: ['app'] as const,
      registers,
    });
    this.#webhooks = new Counter({
      name: 'websock_pusher_webhook_events_total',
      help: 'Webhook events by app and fate: sent, retried (a failed attempt that will be repeated), dropped_queue_full, dropped_failed (out of retries).',
      labelNames: ['app', 'fate'] as const,
      registers,
    });
  }

  countRequest(app: string, endpoint: PusherEndpoint, status: number): void {
    this.#requests.inc({ app, endpoint, status: String(status) });
  }

  countEvents(app: string, events: number): void {
    this.#events.inc({ app }, events);
  }

  countWebhooks(app: string, fate: WebhookFate, events: number): void {
    this.#webhooks.inc({ app, fate }, events);
  }
}
