import type { RedisKeys } from './redis-keys.js';

/** The names of the Redis engine's channel keys (their layout is described in channel-scripts.ts). */
export class ChannelKeys {
  readonly #prefix: string;
  /** The cluster topic every channel event crosses. */
  readonly topic: string;
  /** The set of nodes with channel entries. */
  readonly nodes: string;

  constructor(keys: RedisKeys) {
    this.#prefix = keys.prefix;
    this.topic = `${keys.prefix}pusher-events`;
    this.nodes = `${keys.prefix}pusher-nodes`;
  }

  /** subs, users, info of one channel, and the app's set of occupied channels. */
  channel(app: string, channel: string): [string, string, string, string] {
    const base = `${this.#prefix}pusher:${app}|${channel}`;
    return [`${base}:subs`, `${base}:users`, `${base}:info`, this.app(app)];
  }

  app(app: string): string {
    return `${this.#prefix}pusher-chans:${app}`;
  }

  /** The `app|channel` entries a node has subscriptions in. */
  nodeEntries(node: string): string {
    return `${this.#prefix}pusher-node:${node}`;
  }

  /** Set (for an hour) when other nodes removed this node's entries. */
  reaped(node: string): string {
    return `${this.#prefix}pusher-reaped:${node}`;
  }

  /** The last event of a `cache-` channel, by its `app|channel` entry (node-share.ts). */
  cache(entry: string): string {
    return `${this.#prefix}pusher:${entry}:cache`;
  }
}
