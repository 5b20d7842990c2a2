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
import { CHANNEL_STATE, SUBSCRIBE, UNSUBSCRIBE } from './channel-scripts.js';
import type { RedisKeys } from './redis-keys.js';

type ChannelRedis = Redis & {
  wsChannelSubscribe(...args: (string | number)[]): Promise<[number, number, number]>;
  wsChannelUnsubscribe(...args: (string | number)[]): Promise<[number, number]>;
  wsChannelState(...args: string[]): Promise<(string | number)[]>;
};

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
}

/** Cached last events of `cache-` channels live this long (Pusher: 30 minutes). */
const CACHE_TTL_S = 30 * 60;
const NO_COUNTS: ChannelCounts = Object.freeze({ subscriptionCount: 0, userCount: 0 });

/**
 * The Redis engine's channels: subscriptions and presence members in Redis
 * hashes, each node's share counted only while the node's heartbeat key
 * lives (see channel-scripts.ts), and every event on one cluster topic that
 * each node hands to its ChannelDelivery — also the publisher's own node, so
 * local and remote subscribers get events through the same path, in the
 * order they were published.
 *
 * Limits of this engine, stated: a node that dies takes its subscriptions
 * and members with it as soon as its heartbeat key expires (queries stop
 * counting them), but the other nodes' members are not sent a
 * member_removed for them. Delivery is at most once: an event published
 * while a node's subscriber connection is down does not reach that node.
 */
export class RedisChannels implements Channels {
  readonly #options: RedisChannelsOptions;
  readonly #cmd: ChannelRedis;
  readonly #sub: Redis;
  readonly #topic: string;
  readonly #listeners: LifecycleListeners;
  /** This node's subscriptions (`app|channel|socket_id` → presence user_id or ''): who to count out on unsubscribe. */
  readonly #mine = new Map<string, string>();
  #delivery: ChannelDelivery | null = null;

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
    this.#cmd.defineCommand('wsChannelSubscribe', { numberOfKeys: 4, lua: SUBSCRIBE });
    this.#cmd.defineCommand('wsChannelUnsubscribe', { numberOfKeys: 4, lua: UNSUBSCRIBE });
    this.#cmd.defineCommand('wsChannelState', { numberOfKeys: 3, lua: CHANNEL_STATE });
    this.#sub = new Redis(options.url, { ...options.redisOptions, lazyConnect: true, autoResubscribe: true, maxRetriesPerRequest: null });
    // Errors are the engine's to report (its health and counters watch the same Redis); here they must not be unhandled.
    this.#cmd.on('error', () => {});
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
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.#sub.quit(), this.#cmd.quit()]);
    this.#sub.disconnect();
    this.#cmd.disconnect();
  }

  async subscribe(app: string, channel: string, subscriber: ChannelSubscriber, maxMembers: number): Promise<SubscribeAnswer> {
    const presence = isPresenceChannel(channel);
    const userId = presence ? (subscriber.userId ?? '') : '';
    const info = subscriber.userInfo ?? 'null';
    const mine = `${app}|${channel}|${subscriber.socketId}`;
    if (this.#mine.has(mine)) return this.#answer(app, channel, presence, false);
    const [status, occupied, first] = await this.#cmd.wsChannelSubscribe(
      ...this.#channelKeys(app, channel),
      this.#options.keys.nodeKeyPrefix,
      this.#options.nodeId,
      channel,
      userId,
      info,
      maxMembers,
    );
    if (status === 0) return { ok: false, reason: 'presence_full' };
    this.#mine.set(mine, userId);
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
    const mine = `${app}|${channel}|${socketId}`;
    const user = this.#mine.get(mine);
    if (user === undefined) return;
    this.#mine.delete(mine);
    const [vacated, last] = await this.#cmd.wsChannelUnsubscribe(
      ...this.#channelKeys(app, channel),
      this.#options.keys.nodeKeyPrefix,
      this.#options.nodeId,
      channel,
      user,
      '',
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

  #appKey(app: string): string {
    return `${this.#options.keys.prefix}pusher-chans:${app}`;
  }

  #cacheKey(app: string, channel: string): string {
    return `${this.#options.keys.prefix}pusher:${app}|${channel}:cache`;
  }
}
