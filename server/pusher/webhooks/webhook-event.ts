import type { WebhookEventName } from '../apps/pusher-app.js';

/** One event of a webhook body, as Pusher sends it (receivers switch on `name`). */
export type WebhookEvent =
  | { readonly name: 'channel_occupied' | 'channel_vacated' | 'cache_miss'; readonly channel: string }
  | { readonly name: 'member_added' | 'member_removed'; readonly channel: string; readonly user_id: string }
  | {
      readonly name: 'client_event';
      readonly channel: string;
      readonly event: string;
      readonly data: string;
      readonly socket_id: string;
      /** Set on presence channels: the sender's user. */
      readonly user_id?: string;
    };

/** The body of one webhook POST: Pusher's `{time_ms, events}`. */
export interface WebhookBody {
  readonly time_ms: number;
  readonly events: readonly WebhookEvent[];
}

export type { WebhookEventName };
