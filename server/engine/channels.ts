/**
 * Channels as the engine keeps them: named publish targets that
 * connections subscribe to, scoped by app (the same name in two Pusher apps
 * is two channels). Subscriptions, presence members and the last event of
 * `cache-` channels live in the engine, so that every answer below is about
 * the whole cluster; the sockets stay on their node, reached through the
 * node's `ChannelDelivery` (which writes through server/delivery/).
 */

/** An event as every Pusher client receives it (`data` is a string: the relay never parses it). */
export interface ChannelEvent {
  readonly event: string;
  readonly channel: string;
  readonly data: string;
  /** Set on client events of presence channels: who sent it. */
  readonly user_id?: string;
}

/** A connection subscribing: its socket_id, and on presence channels the signed user. */
export interface ChannelSubscriber {
  /** `\d+\.\d+`, unique in the cluster (the node's number, the connection's). */
  readonly socketId: string;
  /** Presence channels: the `user_id` of the signed `channel_data`; null elsewhere. */
  readonly userId: string | null;
  /** Presence channels: the `user_info` of the signed `channel_data`, as JSON text; null elsewhere. */
  readonly userInfo: string | null;
}

/** What a subscription found. */
export type SubscribeAnswer =
  | {
      readonly ok: true;
      /** Presence channels: every member after this subscription, user_id → user_info (JSON text); null elsewhere. */
      readonly members: ReadonlyMap<string, string> | null;
      /** `cache-` channels: the last event published on it, or null (a cache miss); null elsewhere. */
      readonly cached: ChannelEvent | null;
    }
  /** A presence channel at `maxMembers` distinct users refused a new user. */
  | { readonly ok: false; readonly reason: 'presence_full' };

/** One channel's counts, for the HTTP API. */
export interface ChannelCounts {
  /** Connections subscribed (a connection counts once). */
  readonly subscriptionCount: number;
  /** Distinct users (presence channels only; 0 elsewhere). */
  readonly userCount: number;
}

/**
 * Things that happen to channels, as Pusher's webhooks name them. Each is
 * reported once for the whole cluster, on the node where it happened (the
 * node whose subscription made the channel occupied, whose connection sent
 * the client event, …). Listeners are synchronous and must not throw (a
 * throwing listener is logged and skipped).
 */
export interface ChannelLifecycle {
  /** The channel got its first subscriber in the cluster. */
  channelOccupied?(app: string, channel: string): void;
  /** The channel lost its last subscriber in the cluster. */
  channelVacated?(app: string, channel: string): void;
  /** A user's first connection joined a presence channel. */
  memberAdded?(app: string, channel: string, userId: string): void;
  /** A user's last connection left a presence channel. */
  memberRemoved?(app: string, channel: string, userId: string): void;
  /** A connection sent a `client-*` event (it went to the other subscribers). */
  clientEvent?(app: string, channel: string, event: string, data: string, socketId: string, userId: string | null): void;
  /** A connection subscribed to a `cache-` channel that had no last event. */
  cacheMiss?(app: string, channel: string): void;
}

/**
 * What each node runs for channel traffic addressed to its own connections
 * (implemented by the Pusher WebSocket side over its local subscriptions;
 * every write goes through the Delivery). Synchronous.
 */
export interface ChannelDelivery {
  /**
   * Write `text` (an encoded ChannelEvent) to this node's subscribers of the
   * channel but the connection whose socket_id is `except`; how many got it.
   */
  deliverToChannel(app: string, channel: string, text: string, except: string | null): number;
  /** Close this node's connections signed in as `userId` of `app`; how many. */
  terminateUser(app: string, userId: string): number;
}

/**
 * The engine's channels. The memory engine keeps them in this process's
 * maps; the Redis engine in Redis, each node's share under its node id.
 *
 * What an implementer guarantees:
 * - `attach` is called once, before the engine starts; from then on the
 *   delivery receives every event published to a channel while this node
 *   has a subscriber of it (ChannelDelivery decides which sockets).
 * - `publish` resolves once the event was handed to every node with a
 *   subscriber of the channel (it may not be on each socket yet); events of
 *   one caller to one channel arrive in the order `publish` was called. It
 *   rejects only when the engine cannot tell (Redis unreachable). On a
 *   `cache-` channel the event is also kept as the channel's last event.
 * - `subscribe` of a socket_id already subscribed is a no-op answering the
 *   current state; `unsubscribe` of one not subscribed is a no-op. A
 *   connection that closes must be unsubscribed from each of its channels.
 * - Presence: members are counted by `userId`. `pusher_internal:member_added`
 *   is published to the channel only when a user's first connection (in the
 *   cluster) subscribes, and `pusher_internal:member_removed` when its last
 *   one leaves; neither is ever written to the socket that caused it.
 * - Lifecycle events are reported as ChannelLifecycle says: once per cluster.
 * - A node that dies without its connections leaving (kill -9, cut off):
 *   its connections are taken to have left, within a bound the engine
 *   states (Redis: 4 heartbeats), with the member_removed events and the
 *   lifecycle events that leaving makes, reported once by a surviving node.
 * - A shared store that lost its state (Redis restarted empty) gets each
 *   node's share again once the node reconnects, without an event (nobody
 *   left or joined).
 * - Queries (`channels`, `channel`, `users`, `members`) answer for the whole
 *   cluster at the moment they are asked; a channel without subscribers is
 *   not occupied and not listed.
 */
export interface Channels {
  attach(delivery: ChannelDelivery): void;
  /** Add a listener of lifecycle events; returns the function that removes it. */
  listen(listener: ChannelLifecycle): () => void;

  /**
   * Subscribe `subscriber` to `channel` of `app`. On presence channels
   * (`presence-*`) `subscriber.userId` must be set; `maxMembers` bounds the
   * distinct users (a new user past it is refused with `presence_full`).
   */
  subscribe(app: string, channel: string, subscriber: ChannelSubscriber, maxMembers: number): Promise<SubscribeAnswer>;
  unsubscribe(app: string, channel: string, socketId: string): Promise<void>;

  /** Send `event` to every subscriber of `event.channel` in the cluster but `except` (a socket_id). */
  publish(app: string, event: ChannelEvent, except: string | null): Promise<void>;
  /** A client event from `socketId`: published to the others, and reported as `clientEvent` once. */
  clientEvent(app: string, event: ChannelEvent, socketId: string, userId: string | null): Promise<void>;

  /** The occupied channels whose name starts with `prefix` ('' = all), with their counts. */
  channels(app: string, prefix: string): Promise<ReadonlyMap<string, ChannelCounts>>;
  /** One channel's counts; subscriptionCount 0 means not occupied. */
  channel(app: string, channel: string): Promise<ChannelCounts>;
  /** The distinct user ids of a presence channel's members. */
  users(app: string, channel: string): Promise<readonly string[]>;
  /** A presence channel's members, user_id → user_info (JSON text). */
  members(app: string, channel: string): Promise<ReadonlyMap<string, string>>;
  /** Close every connection signed in as `userId` of `app`, on every node. */
  terminateUser(app: string, userId: string): Promise<void>;
}

/** Presence channels count members by user. */
export function isPresenceChannel(channel: string): boolean {
  return channel.startsWith('presence-');
}

/** `cache-` channels (and their private/presence/encrypted forms) keep their last event. */
export function isCacheChannel(channel: string): boolean {
  return /^(?:private-(?:encrypted-)?|presence-)?cache-/.test(channel);
}
