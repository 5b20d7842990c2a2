import type { HeldName } from '../presence.js';

/** The names of everything the Redis engine keeps, under one prefix (brokerPrefix). */
export class RedisKeys {
  readonly prefix: string;
  /** `<p>node:<id>` exists while that node is alive (heartbeat, TTL). */
  readonly nodeKeyPrefix: string;
  /** `<p>ch:<id>` is the channel of one node: addressed traffic and answers. */
  readonly channelPrefix: string;
  /** Every node listens here: broadcasts. */
  readonly clusterChannel: string;

  constructor(prefix: string) {
    this.prefix = prefix;
    this.nodeKeyPrefix = `${prefix}node:`;
    this.channelPrefix = `${prefix}ch:`;
    this.clusterChannel = `${prefix}cluster`;
  }

  node(id: string): string {
    return this.nodeKeyPrefix + id;
  }

  channel(id: string): string {
    return this.channelPrefix + id;
  }

  /** Who holds a uuid key or an Ident. */
  owner(name: HeldName): string {
    return name.kind === 'uuid' ? `${this.prefix}own:u:${name.key}` : `${this.prefix}own:i:${name.ident}`;
  }

  /** The four keys of a page's log: meta, log, prog, progz (see lua-scripts.ts). */
  log(key: string): [string, string, string, string] {
    return [`${this.prefix}meta:${key}`, `${this.prefix}log:${key}`, `${this.prefix}prog:${key}`, `${this.prefix}progz:${key}`];
  }
}
