/**
 * What the Pusher HTTP API needs from the channels (implemented over the
 * engine's channels by channels-adapter.ts). A narrow port, so that the
 * request handling is tested and read apart from how channels are kept.
 *
 * What an implementer guarantees:
 * - Every answer is about the whole cluster (every node sharing the engine),
 *   not only this process.
 * - `publish` resolves once the event was handed to every node that has a
 *   subscriber of the channel (it may not yet be on each socket); it rejects
 *   only when the engine cannot tell (Redis unreachable): the API answers 503.
 * - Counts are of the moment the question was answered; a channel with no
 *   subscriber is not occupied and is not listed.
 */
export interface ChannelApiPort {
  /** Send `event` to every subscriber of `channel` but the connection whose socket_id is `except`. */
  publish(appId: string, channel: string, event: PusherEvent, except: string | null): Promise<void>;
  /** The occupied channels whose name starts with `prefix` ('' = all). */
  channels(appId: string, prefix: string): Promise<ReadonlyMap<string, ChannelCounts>>;
  /** One channel's counts; subscriptionCount 0 means not occupied. */
  channel(appId: string, channel: string): Promise<ChannelCounts>;
  /** The user ids of a presence channel's members (each once, however many connections). */
  users(appId: string, channel: string): Promise<readonly string[]>;
  /** Close every connection signed in as `userId`, on every node. */
  terminateUser(appId: string, userId: string): Promise<void>;
}

/** An event as every Pusher client receives it (`data` is a string: Pusher never parses it). */
export interface PusherEvent {
  readonly event: string;
  readonly channel: string;
  readonly data: string;
}

export interface ChannelCounts {
  /** Connections subscribed. */
  readonly subscriptionCount: number;
  /** Distinct users (presence channels only; 0 elsewhere). */
  readonly userCount: number;
}
