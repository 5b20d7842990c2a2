import type { Delivery } from '../../delivery/delivery.js';
import { isProtocolEventText } from '../../engine/channel-events.js';
import type { ChannelDelivery } from '../../engine/channels.js';
import type { Connection } from '../../transport/connection.js';
import type { PusherClient } from './pusher-client.js';

/**
 * This node's Pusher subscriptions: who to write a channel's events to.
 * The engine tells it what to deliver; every write goes through the Delivery
 * (one pre-encoded frame shared by all the channel's subscribers).
 */
export class LocalSubscriptions implements ChannelDelivery {
  readonly #delivery: Delivery;
  readonly #byChannel = new Map<string, Set<Connection>>();
  readonly #bySocketId = new Map<string, PusherClient>();
  readonly #byUser = new Map<string, Set<PusherClient>>();
  readonly #onTerminate: (client: PusherClient) => void;
  /** Connections per app id: maxConnections is checked on every connect, without a scan. */
  readonly #perApp = new Map<string, number>();

  constructor(delivery: Delivery, onTerminate: (client: PusherClient) => void) {
    this.#delivery = delivery;
    this.#onTerminate = onTerminate;
  }

  get size(): number {
    return this.#bySocketId.size;
  }

  clients(): IterableIterator<PusherClient> {
    return this.#bySocketId.values();
  }

  addClient(client: PusherClient): void {
    this.#bySocketId.set(client.socketId, client);
    this.#perApp.set(client.app.id, this.countApp(client.app.id) + 1);
  }

  removeClient(client: PusherClient): void {
    if (!this.#bySocketId.delete(client.socketId)) return;
    const left = this.countApp(client.app.id) - 1;
    if (left > 0) this.#perApp.set(client.app.id, left);
    else this.#perApp.delete(client.app.id);
    for (const channel of client.channels.keys()) this.remove(client, channel);
    if (client.user !== null) this.#forgetUser(client);
  }

  /** How many connections of `app` this node has. */
  countApp(app: string): number {
    return this.#perApp.get(app) ?? 0;
  }

  add(client: PusherClient, channel: string): void {
    const key = `${client.app.id}\0${channel}`;
    let set = this.#byChannel.get(key);
    if (set === undefined) this.#byChannel.set(key, (set = new Set()));
    set.add(client.conn);
  }

  remove(client: PusherClient, channel: string): void {
    const key = `${client.app.id}\0${channel}`;
    const set = this.#byChannel.get(key);
    if (set === undefined) return;
    set.delete(client.conn);
    if (set.size === 0) this.#byChannel.delete(key);
  }

  signIn(client: PusherClient): void {
    const key = `${client.app.id}\0${client.user!.id}`;
    let set = this.#byUser.get(key);
    if (set === undefined) this.#byUser.set(key, (set = new Set()));
    set.add(client);
  }

  #forgetUser(client: PusherClient): void {
    const key = `${client.app.id}\0${client.user!.id}`;
    const set = this.#byUser.get(key);
    set?.delete(client);
    if (set?.size === 0) this.#byUser.delete(key);
  }

  deliverToChannel(app: string, channel: string, text: string, except: string | null): number {
    const set = this.#byChannel.get(`${app}\0${channel}`);
    if (set === undefined) return 0;
    const from = except === null ? -1 : (this.#bySocketId.get(except)?.conn.id ?? -1);
    // preSend sees the apps' events (published, client events), not the protocol's member_added/removed.
    if (isProtocolEventText(text)) return this.#delivery.broadcastPacket(set, from, text);
    return this.#delivery.broadcast(set, from, text);
  }

  terminateUser(app: string, userId: string): number {
    const set = this.#byUser.get(`${app}\0${userId}`);
    if (set === undefined) return 0;
    const clients = [...set];
    for (const client of clients) this.#onTerminate(client);
    return clients.length;
  }
}
