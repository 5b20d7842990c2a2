import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../../logger/logger.js';
import { LifecycleListeners, encodeChannelEvent, memberAddedEvent, memberRemovedEvent } from '../channel-events.js';
import {
  isCacheChannel,
  isPresenceChannel,
  type ChannelCounts,
  type ChannelDelivery,
  type ChannelEvent,
  type ChannelLifecycle,
  type Channels,
  type ChannelSubscriber,
  type SubscribeAnswer,
} from '../channels.js';
import { ANNOUNCE, ANNOUNCE_BEGIN, CHANNEL_STATE, DEAD_NODES, LEAVE, REAP, SUBSCRIBE, UNSUBSCRIBE } from './channel-scripts.js';
import { NodeShare, channelEntry, type ChannelShare } from './node-share.js';
import type { RedisKeys } from './redis-keys.js';

type Arg = string | number;
type ChannelRedis = Redis & {
  wsChannelSubscribe(...args: Arg[]): Promise<[number, number, number]>;
  wsChannelUnsubscribe(...args: Arg[]): Promise<[number, number]>;
  wsChannelState(...args: string[]): Promise<(string | number)[]>;
  wsChannelDeadNodes(...args: string[]): Promise<(string | number)[]>;
  wsChannelReap(...args: Arg[]): Promise<(string | number)[]>;
  wsChannelLeave(...args: Arg[]): Promise<(string | number)[]>;
  wsChannelAnnounceBegin(...args: Arg[]): Promise<(string | number)[]>;
  wsChannelAnnounce(...args: Arg[]): Promise<string[]>;
};

/** What removing a node's entries from one channel changed (leave_entry in channel-scripts.ts). */
interface LeftChannel {
  readonly app: string;
  readonly channel: string;
  readonly vacated: boolean;
  /** Users with no connection left anywhere. */
  readonly removed: readonly string[];
}

/** What crosses the cluster's channel topic: an event for a channel's subscribers, or a user to disconnect. */
type ChannelEnvelope =
  | { readonly k: 'e'; readonly a: string; readonly c: string; readonly t: string; readonly x: string | null }
  | { readonly k: 't'; readonly a: string; readonly u: string };

export interface RedisChannelsOptions {
  url: string;
  keys: RedisKeys;
  nodeId: string;
  logger: Logger;
  redisOptions: RedisOptions;
  /** The engine's heartbeat period: a node key lives 3 of them; the reaper looks for dead nodes every one. */
  heartbeatMs: number;
}

/** Cached last events of `cache-` channels live this long (Pusher: 30 minutes). */
const CACHE_TTL_S = 30 * 60;
const NO_COUNTS: ChannelCounts = Object.freeze({ subscriptionCount: 0, userCount: 0 });
/** Channels of a dead node removed per script run (each run is atomic: a bound on how long it holds Redis). */
const REAP_BATCH = 100;

/**
 * The Redis engine's channels: subscriptions and presence members in Redis
 * hashes, each node's share under its node id (see channel-scripts.ts), and
 * every event on one cluster topic that each node hands to its
 * ChannelDelivery — also the publisher's own node, so local and remote
 * subscribers get events through the same path, in the order they were
 * published.
 *
 * A node that dies (kill -9, cut off) stops being counted by the queries as
 * soon as its heartbeat key expires (3 heartbeats), and within one more
 * heartbeat a surviving node's reaper removes its entries — atomically,
 * so once for the cluster — and reports what that changed as if its
 * connections had left: member_removed to the channel (for users with no
 * connection left anywhere), and the lifecycle events. After every
 * reconnect this node writes its share again (Redis may have restarted
 * empty, or other nodes may have reaped it while it was cut off; only in
 * the second case are the changes reported, since nobody was told it left).
 * Delivery is at most once: an event published while a node's subscriber
 * connection is down does not reach that node.
 */
export class RedisChannels implements Channels {
  readonly #options: RedisChannelsOptions;
  readonly #cmd: ChannelRedis;
  readonly #sub: Redis;
  readonly #topic: string;
  readonly #listeners: LifecycleListeners;
  readonly #share = new NodeShare();
  #delivery: ChannelDelivery | null = null;
  #reaper: NodeJS.Timeout | null = null;
  #reaping = false;
  #started = false;

  constructor(options: RedisChannelsOptions) {
    this.#options = options;
    this.#topic = `${options.keys.prefix}pusher-events`;
    this.#cmd = new Redis(options.url, {
      ...options.redisOptions,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      enableAutoPipelining: true,
    }) as ChannelRedis;
    this.#cmd.defineCommand('wsChannelSubscribe', { numberOfKeys: 6, lua: SUBSCRIBE });
    this.#cmd.defineCommand('wsChannelUnsubscribe', { numberOfKeys: 6, lua: UNSUBSCRIBE });
    this.#cmd.defineCommand('wsChannelState', { numberOfKeys: 3, lua: CHANNEL_STATE });
    this.#cmd.defineCommand('wsChannelDeadNodes', { numberOfKeys: 2, lua: DEAD_NODES });
    this.#cmd.defineCommand('wsChannelReap', { numberOfKeys: 0, lua: REAP });
    this.#cmd.defineCommand('wsChannelLeave', { numberOfKeys: 0, lua: LEAVE });
    this.#cmd.defineCommand('wsChannelAnnounceBegin', { numberOfKeys: 3, lua: ANNOUNCE_BEGIN });
    this.#cmd.defineCommand('wsChannelAnnounce', { numberOfKeys: 5, lua: ANNOUNCE });
    this.#sub = new Redis(options.url, { ...options.redisOptions, lazyConnect: true, autoResubscribe: true, maxRetriesPerRequest: null });
    // Errors are the engine's to report (its health and counters watch the same Redis); here they must not be unhandled.
    this.#cmd.on('error', () => {});
    this.#cmd.on('ready', () => {
      if (this.#started) void this.#announce();
    });
    this.#sub.on('error', () => {});
    this.#sub.on('message', (_topic: string, message: string) => this.#onMessage(message));
    this.#listeners = new LifecycleListeners((error) =>
      options.logger.error('a channel lifecycle listener failed', { reason: (error as Error).message }),
    );
  }

  attach(delivery: ChannelDelivery): void {
    this.#delivery = delivery;
  }

  listen(listener: ChannelLifecycle): () => void {
    return this.#listeners.add(listener);
  }

  /** Connect and listen on the cluster topic (called by the engine's start, after its heartbeat key exists). */
  async start(): Promise<void> {
    await Promise.all([this.#cmd.connect(), this.#sub.connect()]);
    await this.#sub.subscribe(this.#topic);
    this.#started = true;
    this.#reaper = setInterval(() => void this.#reap(), this.#options.heartbeatMs);
    this.#reaper.unref();
  }

  /**
   * Stop: this node's entries stay in Redis, and once its node key is gone
   * (the engine deletes it) the other nodes reap them and report the leave.
   */
  async stop(): Promise<void> {
    this.#started = false;
    if (this.#reaper !== null) clearInterval(this.#reaper);
    this.#reaper = null;
    await Promise.allSettled([this.#sub.quit(), this.#cmd.quit()]);
    this.#sub.disconnect();
    this.#cmd.disconnect();
  }

  async subscribe(app: string, channel: string, subscriber: ChannelSubscriber, maxMembers: number): Promise<SubscribeAnswer> {
    const presence = isPresenceChannel(channel);
    const userId = presence ? (subscriber.userId ?? '') : '';
    const info = subscriber.userInfo ?? 'null';
    if (this.#share.has(app, channel, subscriber.socketId)) return this.#answer(app, channel, presence, false);
    // Held before the script is sent: an announce written in between counts it, and its INCR comes after (one connection, in order).
    this.#share.add(app, channel, subscriber.socketId, { userId, userInfo: info });
    let status: number, occupied: number, first: number;
    try {
      [status, occupied, first] = await this.#cmd.wsChannelSubscribe(
        ...this.#channelKeys(app, channel),
        this.#nodeEntriesKey(this.#options.nodeId),
        this.#nodesKey(),
        this.#options.keys.nodeKeyPrefix,
        this.#options.nodeId,
        channel,
        userId,
        info,
        maxMembers,
        channelEntry(app, channel),
        this.#options.heartbeatMs * 3,
      );
    } catch (error) {
      this.#share.remove(app, channel, subscriber.socketId);
      throw error;
    }
    if (status === 0) {
      this.#share.remove(app, channel, subscriber.socketId);
      return { ok: false, reason: 'presence_full' };
    }
    if (occupied === 1) this.#listeners.report((l) => l.channelOccupied?.(app, channel));
    if (first === 1) {
      await this.#publish({
        k: 'e',
        a: app,
        c: channel,
        t: encodeChannelEvent(memberAddedEvent(channel, userId, info)),
        x: subscriber.socketId,
      });
      this.#listeners.report((l) => l.memberAdded?.(app, channel, userId));
    }
    return this.#answer(app, channel, presence, true);
  }

  async #answer(app: string, channel: string, presence: boolean, report: boolean): Promise<SubscribeAnswer> {
    const members = presence ? await this.members(app, channel) : null;
    let cached: ChannelEvent | null = null;
    if (isCacheChannel(channel)) {
      const text = await this.#cmd.get(this.#cacheKey(app, channel));
      cached = text === null ? null : (JSON.parse(text) as ChannelEvent);
      if (cached === null && report) this.#listeners.report((l) => l.cacheMiss?.(app, channel));
    }
    return { ok: true, members, cached };
  }

  async unsubscribe(app: string, channel: string, socketId: string): Promise<void> {
    const member = this.#share.remove(app, channel, socketId);
    if (member === undefined) return;
    const user = member.userId;
    const [vacated, last] = await this.#cmd.wsChannelUnsubscribe(
      ...this.#channelKeys(app, channel),
      this.#nodeEntriesKey(this.#options.nodeId),
      this.#nodesKey(),
      this.#options.keys.nodeKeyPrefix,
      this.#options.nodeId,
      channel,
      user,
      '',
      0,
      channelEntry(app, channel),
      0,
    );
    if (last === 1) {
      await this.#publish({ k: 'e', a: app, c: channel, t: encodeChannelEvent(memberRemovedEvent(channel, user)), x: socketId });
      this.#listeners.report((l) => l.memberRemoved?.(app, channel, user));
    }
    if (vacated === 1) this.#listeners.report((l) => l.channelVacated?.(app, channel));
  }

  async publish(app: string, event: ChannelEvent, except: string | null): Promise<void> {
    const text = encodeChannelEvent(event);
    if (isCacheChannel(event.channel)) {
      // Kept before it is published: a subscriber that misses the PUBLISH finds it in the cache.
      await this.#cmd.set(this.#cacheKey(app, event.channel), text, 'EX', CACHE_TTL_S);
    }
    await this.#publish({ k: 'e', a: app, c: event.channel, t: text, x: except });
  }

  async clientEvent(app: string, event: ChannelEvent, socketId: string, userId: string | null): Promise<void> {
    await this.#publish({ k: 'e', a: app, c: event.channel, t: encodeChannelEvent(event), x: socketId });
    this.#listeners.report((l) => l.clientEvent?.(app, event.channel, event.event, event.data, socketId, userId));
  }

  async channels(app: string, prefix: string): Promise<ReadonlyMap<string, ChannelCounts>> {
    const names = (await this.#cmd.smembers(this.#appKey(app))).filter((name) => name.startsWith(prefix)).sort();
    const found = new Map<string, ChannelCounts>();
    const states = await Promise.all(names.map((name) => this.#state(app, name)));
    names.forEach((name, i) => {
      const state = states[i]!;
      if (state.subscriptionCount > 0) found.set(name, { subscriptionCount: state.subscriptionCount, userCount: state.members.size });
    });
    return found;
  }

  async channel(app: string, channel: string): Promise<ChannelCounts> {
    const state = await this.#state(app, channel);
    return state.subscriptionCount === 0 ? NO_COUNTS : { subscriptionCount: state.subscriptionCount, userCount: state.members.size };
  }

  async users(app: string, channel: string): Promise<readonly string[]> {
    return [...(await this.#state(app, channel)).members.keys()].sort();
  }

  async members(app: string, channel: string): Promise<ReadonlyMap<string, string>> {
    const members = (await this.#state(app, channel)).members;
    return new Map([...members].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  async terminateUser(app: string, userId: string): Promise<void> {
    await this.#publish({ k: 't', a: app, u: userId });
  }

  async #state(app: string, channel: string): Promise<{ subscriptionCount: number; members: Map<string, string> }> {
    const [subs, users, info] = this.#channelKeys(app, channel);
    const answer = await this.#cmd.wsChannelState(subs, users, info, this.#options.keys.nodeKeyPrefix);
    const members = new Map<string, string>();
    for (let i = 1; i + 1 < answer.length; i += 2) members.set(String(answer[i]), String(answer[i + 1]));
    return { subscriptionCount: Number(answer[0]), members };
  }

  /** Every heartbeat: remove the entries of nodes whose node key expired, and report what their leaving changed. */
  async #reap(): Promise<void> {
    if (this.#reaping || this.#cmd.status !== 'ready') return;
    this.#reaping = true;
    try {
      const { nodeId, keys } = this.#options;
      const [reapedMe, ...dead] = await this.#cmd.wsChannelDeadNodes(this.#nodesKey(), this.#reapedKey(nodeId), keys.nodeKeyPrefix, nodeId);
      // This node was taken for dead (a stall past its node key's life): write its share again.
      if (Number(reapedMe) === 1) await this.#announce();
      for (const node of dead) {
        let channels = 0;
        for (;;) {
          const answer = await this.#cmd.wsChannelReap(keys.prefix, keys.nodeKeyPrefix, String(node), REAP_BATCH);
          const left = readLeft(answer, 1);
          channels += left.length;
          await this.#reportLeft(left);
          if (Number(answer[0]) !== 2) break;
        }
        if (channels > 0) this.#options.logger.info('removed the channel entries of a node that stopped answering', { node, channels });
      }
    } catch (error) {
      // Redis away: the engine's health says so; the next heartbeat tries again.
      this.#options.logger.debug('channel reaper could not run', { reason: (error as Error).message });
    } finally {
      this.#reaping = false;
    }
  }

  /**
   * Write this node's share again after a reconnect. Silent when Redis
   * merely lost it (nobody was told these connections left); reported when
   * other nodes had reaped this node (they told everyone it left). Entries
   * Redis has for this node where it holds nothing (an unsubscribe that
   * failed while Redis was away) are removed, and reported.
   */
  async #announce(): Promise<void> {
    const { nodeId, keys } = this.#options;
    try {
      const [reaped, ...entries] = await this.#cmd.wsChannelAnnounceBegin(
        this.#nodesKey(),
        this.#reapedKey(nodeId),
        this.#nodeEntriesKey(nodeId),
        keys.node(nodeId),
        nodeId,
        this.#options.heartbeatMs * 3,
      );
      const report = Number(reaped) === 1;
      const stale = entries.map(String).filter((entry) => !this.#share.holds(entry));
      // Sent in one go: each script is queued before any later subscribe's (one connection, in order).
      const shares = [...this.#share.channels()];
      const announced = shares.map((share) => this.#cmd.wsChannelAnnounce(...this.#announceArgs(share)));
      const left = stale.length > 0 ? this.#cmd.wsChannelLeave(keys.prefix, nodeId, ...stale) : null;
      const answers = await Promise.all(announced);
      for (let i = 0; i < shares.length; i++) await this.#reportAnnounced(shares[i]!, answers[i]!, report);
      if (left !== null) await this.#reportLeft(readLeft(await left, 0));
      this.#options.logger.info('announced this node’s channels again', { channels: shares.length, reaped: report, stale: stale.length });
    } catch (error) {
      this.#options.logger.warn('could not announce this node’s channels again', { reason: (error as Error).message });
    }
  }

  #announceArgs(share: ChannelShare): Arg[] {
    const args: Arg[] = [
      ...this.#channelKeys(share.app, share.channel),
      this.#nodeEntriesKey(this.#options.nodeId),
      this.#options.nodeId,
      share.channel,
      share.entry,
      share.subscriptions,
    ];
    for (const [userId, { connections, userInfo }] of share.users) args.push(userId, connections, userInfo);
    return args;
  }

  async #reportAnnounced(share: ChannelShare, answer: string[], report: boolean): Promise<void> {
    const { app, channel } = share;
    const split = answer.indexOf('', 1);
    const added = answer.slice(1, split);
    const removed = answer.slice(split + 1);
    if (report) {
      if (Number(answer[0]) === 1) this.#listeners.report((l) => l.channelOccupied?.(app, channel));
      for (const userId of added) {
        const info = share.users.get(userId)?.userInfo ?? 'null';
        await this.#publish({ k: 'e', a: app, c: channel, t: encodeChannelEvent(memberAddedEvent(channel, userId, info)), x: null });
        this.#listeners.report((l) => l.memberAdded?.(app, channel, userId));
      }
    }
    await this.#reportLeft([{ app, channel, vacated: false, removed }]);
  }

  /** Tell a channel's members who left with a node's entries, and report the lifecycle events, once. */
  async #reportLeft(left: readonly LeftChannel[]): Promise<void> {
    for (const { app, channel, vacated, removed } of left) {
      for (const userId of removed) {
        await this.#publish({ k: 'e', a: app, c: channel, t: encodeChannelEvent(memberRemovedEvent(channel, userId)), x: null });
        this.#listeners.report((l) => l.memberRemoved?.(app, channel, userId));
      }
      if (vacated) this.#listeners.report((l) => l.channelVacated?.(app, channel));
    }
  }

  async #publish(envelope: ChannelEnvelope): Promise<void> {
    await this.#cmd.publish(this.#topic, JSON.stringify(envelope));
  }

  #onMessage(message: string): void {
    const delivery = this.#delivery;
    if (delivery === null) return;
    try {
      const envelope = JSON.parse(message) as ChannelEnvelope;
      if (envelope.k === 'e') delivery.deliverToChannel(envelope.a, envelope.c, envelope.t, envelope.x);
      else if (envelope.k === 't') delivery.terminateUser(envelope.a, envelope.u);
    } catch (error) {
      // Only relays write to the topic; a bad message is a bug or a stranger on the Redis: logged, skipped.
      this.#options.logger.error('bad message on the channel topic', { reason: (error as Error).message });
    }
  }

  #channelKeys(app: string, channel: string): [string, string, string, string] {
    const base = `${this.#options.keys.prefix}pusher:${app}|${channel}`;
    return [`${base}:subs`, `${base}:users`, `${base}:info`, this.#appKey(app)];
  }

  #nodesKey(): string {
    return `${this.#options.keys.prefix}pusher-nodes`;
  }

  #nodeEntriesKey(node: string): string {
    return `${this.#options.keys.prefix}pusher-node:${node}`;
  }

  #reapedKey(node: string): string {
    return `${this.#options.keys.prefix}pusher-reaped:${node}`;
  }

  #appKey(app: string): string {
    return `${this.#options.keys.prefix}pusher-chans:${app}`;
  }

  #cacheKey(app: string, channel: string): string {
    return `${this.#options.keys.prefix}pusher:${app}|${channel}:cache`;
  }
}

/** leave_entry's answers from `from` on: app, channel, vacated, n, n users; again. */
function readLeft(answer: readonly (string | number)[], from: number): LeftChannel[] {
  const left: LeftChannel[] = [];
  let i = from;
  while (i + 3 < answer.length) {
    const count = Number(answer[i + 3]);
    const removed = answer.slice(i + 4, i + 4 + count).map(String);
    left.push({ app: String(answer[i]), channel: String(answer[i + 1]), vacated: Number(answer[i + 2]) === 1, removed });
    i += 4 + count;
  }
  return left;
}
