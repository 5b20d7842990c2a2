import type { ChannelEvent, ChannelLifecycle } from './channels.js';

/** The text of a channel event as Pusher clients read it; `data` stays a string. */
export function encodeChannelEvent(event: ChannelEvent): string {
  return JSON.stringify(event);
}

/** How the text of member_added and member_removed begins: both put `event` first. */
const PROTOCOL_EVENT_PREFIX = '{"event":"pusher_internal:';

/** Is this encoded channel event one of the protocol's own (member_added, member_removed) rather than an app's? */
export function isProtocolEventText(text: string): boolean {
  return text.startsWith(PROTOCOL_EVENT_PREFIX);
}

/** `pusher_internal:member_added`: data is a JSON string of user_id and user_info (user_info is JSON text already). */
export function memberAddedEvent(channel: string, userId: string, userInfo: string): ChannelEvent {
  return { event: 'pusher_internal:member_added', channel, data: `{"user_id":${JSON.stringify(userId)},"user_info":${userInfo}}` };
}

/** `pusher_internal:member_removed`. */
export function memberRemovedEvent(channel: string, userId: string): ChannelEvent {
  return { event: 'pusher_internal:member_removed', channel, data: JSON.stringify({ user_id: userId }) };
}

type Reporter = (listener: ChannelLifecycle) => void;

/**
 * The lifecycle listeners of one node's channels. A listener that throws is
 * logged by `onError` and skipped: a webhook bug must not break a subscription.
 */
export class LifecycleListeners {
  #listeners: ChannelLifecycle[] = [];
  readonly #onError: (error: unknown) => void;

  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  add(listener: ChannelLifecycle): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((one) => one !== listener);
    };
  }

  report(call: Reporter): void {
    for (const listener of this.#listeners) {
      try {
        call(listener);
      } catch (error) {
        this.#onError(error);
      }
    }
  }
}
