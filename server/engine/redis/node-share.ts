/** A presence member as this node subscribed it (user_id and user_info are '' and 'null' elsewhere). */
export interface SharedMember {
  readonly userId: string;
  readonly userInfo: string;
}

/** This node's share of one channel, as announced to Redis. */
export interface ChannelShare {
  readonly app: string;
  readonly channel: string;
  /** `app|channel`: how the channel is named in the node's entry set (channel-scripts.ts). */
  readonly entry: string;
  readonly subscriptions: number;
  /** Presence channels: user_id → this node's connections of that user and the latest user_info. */
  readonly users: ReadonlyMap<string, { readonly connections: number; readonly userInfo: string }>;
}

/** How a channel is named in a node's entry set. */
export function channelEntry(app: string, channel: string): string {
  return `${app}|${channel}`;
}

/**
 * This node's subscriptions to channels, by channel then socket_id: who to
 * count out on unsubscribe, and what to write again into a Redis that came
 * back empty (or that other nodes cleaned of this node while it was cut off).
 */
export class NodeShare {
  readonly #byEntry = new Map<string, { app: string; channel: string; sockets: Map<string, SharedMember> }>();

  has(app: string, channel: string, socketId: string): boolean {
    return this.#byEntry.get(channelEntry(app, channel))?.sockets.has(socketId) === true;
  }

  add(app: string, channel: string, socketId: string, member: SharedMember): void {
    const entry = channelEntry(app, channel);
    let share = this.#byEntry.get(entry);
    if (share === undefined) this.#byEntry.set(entry, (share = { app, channel, sockets: new Map() }));
    share.sockets.set(socketId, member);
  }

  /** Forget one subscription; what it was, or undefined when it was not held. */
  remove(app: string, channel: string, socketId: string): SharedMember | undefined {
    const entry = channelEntry(app, channel);
    const share = this.#byEntry.get(entry);
    const member = share?.sockets.get(socketId);
    if (share === undefined || member === undefined) return undefined;
    share.sockets.delete(socketId);
    if (share.sockets.size === 0) this.#byEntry.delete(entry);
    return member;
  }

  holds(entry: string): boolean {
    return this.#byEntry.has(entry);
  }

  /** Every channel this node has subscribers of, with its counts (computed now: a snapshot). */
  *channels(): IterableIterator<ChannelShare> {
    for (const [entry, { app, channel, sockets }] of this.#byEntry) {
      const users = new Map<string, { connections: number; userInfo: string }>();
      for (const { userId, userInfo } of sockets.values()) {
        if (userId === '') continue;
        users.set(userId, { connections: (users.get(userId)?.connections ?? 0) + 1, userInfo });
      }
      yield { app, channel, entry, subscriptions: sockets.size, users };
    }
  }
}
