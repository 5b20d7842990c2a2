/**
 * One Pusher app as the relay serves it: the credentials Laravel's
 * broadcaster and Echo are configured with, who may connect, and its limits.
 * Pure data: built and checked once at start-up (read-pusher-apps.ts).
 */

/** The limits Pusher itself applies; each is configurable per app. */
export interface PusherLimits {
  /** Largest event `data` in bytes (Pusher: 10 KB). */
  maxEventBytes: number;
  /** Most channels one HTTP event may name (Pusher: 100). */
  maxChannelsPerEvent: number;
  /** Most events in one `batch_events` request (Pusher: 10). */
  maxEventsPerBatch: number;
  /** Longest channel or event name in characters (Pusher: 200). */
  maxNameLength: number;
  /** Most members of one presence channel (Pusher: 100). */
  maxPresenceMembers: number;
  /** Largest presence `user_info` in bytes (Pusher: 1 KB). */
  maxPresenceInfoBytes: number;
  /** Client events one connection may send per second (Pusher: 10). */
  clientEventRate: number;
  /** Most WebSocket connections of the app on this node; 0 = no limit (over it: 4100). */
  maxConnections: number;
}

/** Pusher's published defaults. */
export const PUSHER_DEFAULT_LIMITS: Readonly<PusherLimits> = Object.freeze({
  maxEventBytes: 10 * 1024,
  maxChannelsPerEvent: 100,
  maxEventsPerBatch: 10,
  maxNameLength: 200,
  maxPresenceMembers: 100,
  maxPresenceInfoBytes: 1024,
  clientEventRate: 10,
  maxConnections: 0,
});

/** The webhook events Pusher defines (the names its receivers switch on). */
export const WEBHOOK_EVENTS = [
  'channel_occupied',
  'channel_vacated',
  'member_added',
  'member_removed',
  'client_event',
  'cache_miss',
] as const;
export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];

/** Where an app's webhooks go. */
export interface PusherWebhookTarget {
  /** An http(s) URL that receives the POSTs. */
  readonly url: string;
  /** The events sent there; all of them by default. */
  readonly events: readonly WebhookEventName[];
}

export interface PusherApp {
  /** The name of its websock.ini section (`default` for the top-level keys); used as the metrics label. */
  readonly name: string;
  /** `app_id`: the HTTP API's `/apps/{id}/…`. */
  readonly id: string;
  /** `key`: the WebSocket path `/app/{key}` and the HTTP API's `auth_key`. */
  readonly key: string;
  /** Signs the HTTP API requests, channel authorisations and webhooks. Never logged. */
  readonly secret: string;
  /** Browser Origins allowed to connect; empty = the relay's allowedOrigins. */
  readonly allowedOrigins: readonly string[];
  /** May clients send `client-*` events (on private and presence channels)? */
  readonly clientEvents: boolean;
  readonly limits: Readonly<PusherLimits>;
  readonly webhooks: readonly PusherWebhookTarget[];
}

/** An app from its credentials and Pusher's defaults for everything else (tests and the top-level keys start here). */
export function pusherApp(
  fields: Pick<PusherApp, 'id' | 'key' | 'secret'> & Partial<Omit<PusherApp, 'limits'>> & { limits?: Partial<PusherLimits> },
): PusherApp {
  return {
    name: fields.name ?? 'default',
    id: fields.id,
    key: fields.key,
    secret: fields.secret,
    allowedOrigins: fields.allowedOrigins ?? [],
    clientEvents: fields.clientEvents ?? true,
    limits: { ...PUSHER_DEFAULT_LIMITS, ...fields.limits },
    webhooks: fields.webhooks ?? [],
  };
}
