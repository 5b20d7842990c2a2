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

/** One channel of this process: its subscribers, and on presence channels its users with their connection counts. */
interface ChannelState {
  readonly subs: Map<string, string | null>;
  readonly users: Map<string, { count: number; info: string }>;
}

/** Cached last events: how many channels, and for how long (Pusher keeps them 30 minutes). */
export const CACHE_LIMITS = Object.freeze({ channels: 10_000, ttlMs: 30 * 60_000 });

const NO_COUNTS: ChannelCounts = Object.freeze({ subscriptionCount: 0, userCount: 0 });
const RESOLVED = Promise.resolve();

/**
 * The memory engine's channels: one process, so its maps are the whole
 * cluster, and a publication goes straight to this node's ChannelDelivery
 * in the same call (the path a Redis subscription feeds on other engines).
 */
export class MemoryChannels implements Channels {
  readonly #apps = new Map<string, Map<string, ChannelState>>();
  /** app NUL channel → last event and when; insertion order is age order (bounded by CACHE_LIMITS). */
  readonly #cache = new Map<string, { event: ChannelEvent; at: number }>();
  readonly #listeners: LifecycleListeners;
  readonly #now: () => number;
  #delivery: ChannelDelivery | null = null;

  constructor(logger: Logger, now: () => number = Date.now) {
    this.#listeners = new LifecycleListeners((error) =>
      logger.error('a channel lifecycle listener failed', { reason: (error as Error).message }),
    );
    this.#now = now;
  }

  attach(delivery: ChannelDelivery): void {
    this.#delivery = delivery;
  }

  listen(listener: ChannelLifecycle): () => void {
    return this.#listeners.add(listener);
  }

  subscribe(app: string, channel: string, subscriber: ChannelSubscriber, maxMembers: number): Promise<SubscribeAnswer> {
    let channels = this.#apps.get(app);
    if (channels === undefined) this.#apps.set(app, (channels = new Map()));
    let state = channels.get(channel);
    const fresh = state === undefined;
    state ??= { subs: new Map(), users: new Map() };
    const presence = isPresenceChannel(channel);
    const known = state.subs.has(subscriber.socketId);
    if (!known) {
      const userId = presence ? subscriber.userId : null;
      if (userId !== null) {
        const user = state.users.get(userId);
        if (user === undefined && state.users.size >= maxMembers) return Promise.resolve({ ok: false, reason: 'presence_full' });
        if (user !== undefined) user.count++;
        else state.users.set(userId, { count: 1, info: subscriber.userInfo ?? 'null' });
        if (user === undefined) {
          // The new member's own socket learns of itself from subscription_succeeded instead.
          this.#deliver(app, memberAddedEvent(channel, userId, subscriber.userInfo ?? 'null'), subscriber.socketId);
        }
        state.subs.set(subscriber.socketId, userId);
        if (fresh) channels.set(channel, state);
        if (fresh) this.#listeners.report((l) => l.channelOccupied?.(app, channel));
        if (user === undefined) this.#listeners.report((l) => l.memberAdded?.(app, channel, userId));
      } else {
        state.subs.set(subscriber.socketId, null);
        if (fresh) channels.set(channel, state);
        if (fresh) this.#listeners.report((l) => l.channelOccupied?.(app, channel));
      }
    }
    const members = presence ? new Map([...state.users].map(([id, user]) => [id, user.info])) : null;
    let cached: ChannelEvent | null = null;
    if (isCacheChannel(channel)) {
      cached = this.#cached(app, channel);
      if (cached === null) this.#listeners.report((l) => l.cacheMiss?.(app, channel));
    }
    return Promise.resolve({ ok: true, members, cached });
  }

  unsubscribe(app: string, channel: string, socketId: string): Promise<void> {
    const channels = this.#apps.get(app);
    const state = channels?.get(channel);
    if (channels === undefined || state === undefined || !state.subs.has(socketId)) return RESOLVED;
    const userId = state.subs.get(socketId) ?? null;
    state.subs.delete(socketId);
    let removed = false;
    if (userId !== null) {
      const user = state.users.get(userId);
      if (user !== undefined && --user.count === 0) {
        state.users.delete(userId);
        removed = true;
        // The socket that left is unsubscribed already: it cannot get its own member_removed.
        this.#deliver(app, memberRemovedEvent(channel, userId), socketId);
      }
    }
    if (removed) this.#listeners.report((l) => l.memberRemoved?.(app, channel, userId!));
    if (state.subs.size === 0) {
      channels.delete(channel);
      if (channels.size === 0) this.#apps.delete(app);
      this.#listeners.report((l) => l.channelVacated?.(app, channel));
    }
    return RESOLVED;
  }

  publish(app: string, event: ChannelEvent, except: string | null): Promise<void> {
    if (isCacheChannel(event.channel)) this.#keep(app, event);
    this.#deliver(app, event, except);
    return RESOLVED;
  }

  clientEvent(app: string, event: ChannelEvent, socketId: string, userId: string | null): Promise<void> {
    this.#deliver(app, event, socketId);
    this.#listeners.report((l) => l.clientEvent?.(app, event.channel, event.event, event.data, socketId, userId));
    return RESOLVED;
  }

  channels(app: string, prefix: string): Promise<ReadonlyMap<string, ChannelCounts>> {
    const found = new Map<string, ChannelCounts>();
    for (const [name, state] of this.#apps.get(app) ?? []) {
      if (name.startsWith(prefix)) found.set(name, counts(state));
    }
    return Promise.resolve(found);
  }

  channel(app: string, channel: string): Promise<ChannelCounts> {
    const state = this.#apps.get(app)?.get(channel);
    return Promise.resolve(state === undefined ? NO_COUNTS : counts(state));
  }

  users(app: string, channel: string): Promise<readonly string[]> {
    return Promise.resolve([...(this.#apps.get(app)?.get(channel)?.users.keys() ?? [])]);
  }

  members(app: string, channel: string): Promise<ReadonlyMap<string, string>> {
    const users = this.#apps.get(app)?.get(channel)?.users ?? new Map<string, { info: string }>();
    return Promise.resolve(new Map([...users].map(([id, user]) => [id, user.info])));
  }

  terminateUser(app: string, userId: string): Promise<void> {
    this.#delivery?.terminateUser(app, userId);
    return RESOLVED;
  }

  #deliver(app: string, event: ChannelEvent, except: string | null): void {
    if (this.#delivery === null || this.#apps.get(app)?.get(event.channel) === undefined) return;
    this.#delivery.deliverToChannel(app, event.channel, encodeChannelEvent(event), except);
  }

  #keep(app: string, event: ChannelEvent): void {
    const key = `${app}\0${event.channel}`;
    this.#cache.delete(key);
    this.#cache.set(key, { event, at: this.#now() });
    if (this.#cache.size > CACHE_LIMITS.channels) this.#cache.delete(this.#cache.keys().next().value!);
  }

  #cached(app: string, channel: string): ChannelEvent | null {
    const key = `${app}\0${channel}`;
    const entry = this.#cache.get(key);
    if (entry === undefined) return null;
    if (this.#now() - entry.at > CACHE_LIMITS.ttlMs) {
      this.#cache.delete(key);
      return null;
    }
    return entry.event;
  }
}

function counts(state: ChannelState): ChannelCounts {
  return { subscriptionCount: state.subs.size, userCount: state.users.size };
}
