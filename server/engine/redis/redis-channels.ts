import type { Redis, RedisOptions } from 'ioredis';
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
import { CacheCopies } from './cache-copies.js';
import { ChannelKeys } from './channel-keys.js';
import { ChannelRecovery, type LeftChannel } from './channel-recovery.js';
import { channelConnection, type ChannelRedis } from './channel-redis.js';
import { NodeShare, channelEntry, type ChannelShare } from './node-share.js';
import { subscriberConnection } from './redis-link.js';
import type { RedisKeys } from './redis-keys.js';

/** What crosses the cluster's channel topic: an event for a channel's subscribers, or a user to disconnect. */
type ChannelEnvelope =
  /** An event; `m` is set on the published events of `cache-` channels (those Redis keeps as the last event). */
  | { readonly k: 'e'; readonly a: string; readonly c: string; readonly t: string; readonly x: string | null; readonly m?: 1 }
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

/**
 * The Redis engine's channels: subscriptions and presence members in Redis
 * hashes, each node's share under its node id (see channel-scripts.ts), and
 * every event on one cluster topic that each node hands to its
 * ChannelDelivery — also the publisher's own node, so local and remote
 * subscribers get events through the same path, in the order they were
 * published.
 *
 * A node that dies (kill -9, cut off) stops being counted by the queries as
 * soon as its heartbeat key expires, and soon after a surviving node
 * counts its connections out, with the events that makes; after every
 * reconnect this node writes its share again (channel-recovery.ts).
 * Delivery is at most once: an event published while a node's subscriber
 * connection is down does not reach that node.
 */
export class RedisChannels implements Channels {
  readonly #options: RedisChannelsOptions;
  readonly #cmd: ChannelRedis;
  readonly #sub: Redis;
  readonly #keys: ChannelKeys;
  readonly #listeners: LifecycleListeners;
  readonly #share = new NodeShare();
  readonly #cacheCopies = new CacheCopies();
  readonly #recovery: ChannelRecovery;
  #delivery: ChannelDelivery | null = null;
  #reaper: NodeJS.Timeout | null = null;
  #started = false;

  constructor(options: RedisChannelsOptions) {
    this.#options = options;
    this.#keys = new ChannelKeys(options.keys);
    this.#cmd = channelConnection(options.url, options.redisOptions);
    this.#sub = subscriberConnection(options.url, options.redisOptions);
    // Errors are the engine's to report (its health and counters watch the same Redis); here they must not be unhandled.
    this.#cmd.on('error', () => {});
    this.#cmd.on('ready', () => {
      if (this.#started) void this.#recovery.announce();
    });
    this.#sub.on('error', () => {});
    this.#sub.on('message', (_topic: string, message: string) => this.#onMessage(message));
    this.#listeners = new LifecycleListeners((error) =>
      options.logger.error('a channel lifecycle listener failed', { reason: (error as Error).message }),
    );
    this.#recovery = new ChannelRecovery({
      cmd: this.#cmd,
      keys: options.keys,
      channelKeys: this.#keys,
      nodeId: options.nodeId,
      heartbeatMs: options.heartbeatMs,
      share: this.#share,
      cacheCopies: this.#cacheCopies,
      cacheTtlMs: CACHE_TTL_S * 1000,
      reports: {
        left: (left) => this.#reportLeft(left),
        rejoined: (share, occupied, added) => this.#reportRejoined(share, occupied, added),
      },
      logger: options.logger,
    });
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
    await this.#sub.subscribe(this.#keys.topic);
    this.#started = true;
    this.#reaper = setInterval(() => void this.#recovery.reap(), this.#options.heartbeatMs);
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
        ...this.#keys.channel(app, channel),
        this.#keys.nodeEntries(this.#options.nodeId),
        this.#keys.nodes,
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
      const entry = channelEntry(app, channel);
      // Watched before the read: an event that goes by meanwhile is newer than what the read answers.
      this.#cacheCopies.keep(entry, null, Date.now());
      const text = await this.#cmd.get(this.#keys.cache(entry));
      cached = text === null ? null : (JSON.parse(text) as ChannelEvent);
      if (cached === null && report) this.#listeners.report((l) => l.cacheMiss?.(app, channel));
      if (this.#share.holds(entry)) this.#cacheCopies.keep(entry, text, Date.now());
      else this.#cacheCopies.forget(entry);
    }
    return { ok: true, members, cached };
  }

  async unsubscribe(app: string, channel: string, socketId: string): Promise<void> {
    const member = this.#share.remove(app, channel, socketId);
    if (member === undefined) return;
    const user = member.userId;
    if (!this.#share.holds(channelEntry(app, channel))) this.#cacheCopies.forget(channelEntry(app, channel));
    const [vacated, last] = await this.#cmd.wsChannelUnsubscribe(
      ...this.#keys.channel(app, channel),
      this.#keys.nodeEntries(this.#options.nodeId),
      this.#keys.nodes,
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
      await this.#cmd.set(this.#keys.cache(channelEntry(app, event.channel)), text, 'EX', CACHE_TTL_S);
      await this.#publish({ k: 'e', a: app, c: event.channel, t: text, x: except, m: 1 });
      return;
    }
    await this.#publish({ k: 'e', a: app, c: event.channel, t: text, x: except });
  }

  async clientEvent(app: string, event: ChannelEvent, socketId: string, userId: string | null): Promise<void> {
    await this.#publish({ k: 'e', a: app, c: event.channel, t: encodeChannelEvent(event), x: socketId });
    this.#listeners.report((l) => l.clientEvent?.(app, event.channel, event.event, event.data, socketId, userId));
  }

  async channels(app: string, prefix: string): Promise<ReadonlyMap<string, ChannelCounts>> {
    const names = (await this.#cmd.smembers(this.#keys.app(app))).filter((name) => name.startsWith(prefix)).sort();
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
    const [subs, users, info] = this.#keys.channel(app, channel);
    const answer = await this.#cmd.wsChannelState(subs, users, info, this.#options.keys.nodeKeyPrefix);
    const members = new Map<string, string>();
    for (let i = 1; i + 1 < answer.length; i += 2) members.set(String(answer[i]), String(answer[i + 1]));
    return { subscriptionCount: Number(answer[0]), members };
  }

  /** This node's connections are back after other nodes had counted them out: tell the members again. */
  async #reportRejoined(share: ChannelShare, occupied: boolean, added: readonly string[]): Promise<void> {
    const { app, channel } = share;
    if (occupied) this.#listeners.report((l) => l.channelOccupied?.(app, channel));
    for (const userId of added) {
      const info = share.users.get(userId)?.userInfo ?? 'null';
      await this.#publish({ k: 'e', a: app, c: channel, t: encodeChannelEvent(memberAddedEvent(channel, userId, info)), x: null });
      this.#listeners.report((l) => l.memberAdded?.(app, channel, userId));
    }
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
    await this.#cmd.publish(this.#keys.topic, JSON.stringify(envelope));
  }

  #onMessage(message: string): void {
    const delivery = this.#delivery;
    if (delivery === null) return;
    try {
      const envelope = JSON.parse(message) as ChannelEnvelope;
      if (envelope.k === 'e') {
        if (envelope.m === 1 && this.#cacheCopies.size > 0)
          this.#cacheCopies.saw(channelEntry(envelope.a, envelope.c), envelope.t, Date.now());
        delivery.deliverToChannel(envelope.a, envelope.c, envelope.t, envelope.x);
      } else if (envelope.k === 't') delivery.terminateUser(envelope.a, envelope.u);
    } catch (error) {
      // Only relays write to the topic; a bad message is a bug or a stranger on the Redis: logged, skipped.
      this.#options.logger.error('bad message on the channel topic', { reason: (error as Error).message });
    }
  }
}
