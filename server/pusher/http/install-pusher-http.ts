import type { Registry } from 'prom-client';
import type { HttpRouter } from '../../http/http-router.js';
import type { Logger } from '../../logger/logger.js';
import { PusherAppMetrics } from '../apps/app-metrics.js';
import type { PusherApps } from '../apps/pusher-apps.js';
import { WebhookSender, type WebhookOptions } from '../webhooks/webhook-sender.js';
import { API_PREFIX } from './api-request.js';
import type { ChannelApiPort } from './channel-api-port.js';
import type { PageBridge } from './page-channel.js';
import { PusherApi } from './pusher-api.js';

/** What the Pusher HTTP side is installed on (the Relay, seen through only what it uses). */
export interface PusherHttpHost {
  readonly http: HttpRouter;
  readonly logger: Logger;
  readonly metrics: { readonly registry: Registry };
  readonly shuttingDown: boolean;
  onStop(hook: () => void | Promise<void>): void;
}

/** The parts installed, for the wiring that feeds webhooks and for tests. */
export interface PusherHttp {
  readonly api: PusherApi;
  readonly webhooks: WebhookSender;
  readonly metrics: PusherAppMetrics;
}

/**
 * Serve the Pusher HTTP API under `/apps/` and make the webhook sender,
 * stopped with the relay. Nothing is installed without apps.
 * @example
 * const pusher = installPusherHttp(relay, new PusherApps(config.pusherApps), channels, pageBridge(relay.engine.broker, relay.stats));
 * // curl "http://127.0.0.1:8080/apps/123456/channels?auth_key=…&auth_timestamp=…&auth_version=1.0&auth_signature=…"
 */
export function installPusherHttp(
  host: PusherHttpHost,
  apps: PusherApps,
  channels: ChannelApiPort,
  pages: PageBridge,
  webhookOptions: Partial<WebhookOptions> = {},
): PusherHttp | null {
  if (apps.size === 0) return null;
  const metrics = new PusherAppMetrics(host.metrics.registry);
  const webhooks = new WebhookSender(metrics, host.logger, webhookOptions);
  const api = new PusherApi({ apps, channels, pages, metrics, logger: host.logger, shuttingDown: () => host.shuttingDown });
  host.http.addPrefix(API_PREFIX, (req, res, ctx) => api.handle(req, res, ctx.path));
  host.onStop(() => webhooks.stop());
  return { api, webhooks, metrics };
}
