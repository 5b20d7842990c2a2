/**
 * Pusher's HTTP API on the relay's port (see docs/pusher.md): every request
 * under `/apps/{id}/` is checked in this order — shutdown, app, endpoint and
 * method, query, body size, signature, body — so that an unsigned client
 * costs at most one bounded body read, then answered from the channels of
 * the whole cluster through the ChannelApiPort.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { discardRest } from '../../http/discard-rest.js';
import { sendJson } from '../../http/http-router.js';
import type { Logger } from '../../logger/logger.js';
import type { PusherAppMetrics, PusherEndpoint } from '../apps/app-metrics.js';
import type { PusherApp } from '../apps/pusher-app.js';
import type { PusherApps } from '../apps/pusher-apps.js';
import { appIdOf, queryParams, routeOf, type ApiRoute } from './api-request.js';
import type { ChannelApiPort, ChannelCounts } from './channel-api-port.js';
import {
  isChannelName,
  isPresenceChannel,
  maxBodyBytes,
  parseBatch,
  parseEvent,
  parseInfo,
  type EventRequest,
  type InfoAttribute,
} from './event-request.js';
import { pageSubscriptions, pageUuidOf, type PageBridge } from './page-channel.js';
import { PusherHttpError } from './pusher-http-error.js';
import { readRawBody } from './read-raw-body.js';
import { verifySignature } from './request-signature.js';

export interface PusherApiDeps {
  readonly apps: PusherApps;
  readonly channels: ChannelApiPort;
  /** Delivers to `private-websock-page-{uuid}`: the relay's own pages. */
  readonly pages: PageBridge;
  readonly metrics: PusherAppMetrics;
  readonly logger: Logger;
  /** True once the relay is stopping: requests are answered 503. */
  readonly shuttingDown: () => boolean;
  /** The clock the timestamps are checked against, in seconds; Date.now by default. */
  readonly nowSeconds?: () => number;
}

/** Label for requests whose app is not known (a client's id never becomes a label). */
const NO_APP = '-';

type Answer = { status: number; body: unknown };

export class PusherApi {
  readonly #deps: PusherApiDeps;
  readonly #now: () => number;

  constructor(deps: PusherApiDeps) {
    this.#deps = deps;
    this.#now = deps.nowSeconds ?? (() => Date.now() / 1000);
  }

  /** Answer one request under /apps/; never rejects (a failure is a 500, logged). */
  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    let app: PusherApp | undefined;
    let endpoint: PusherEndpoint = 'unknown';
    try {
      if (this.#deps.shuttingDown()) throw new PusherHttpError('PUSHER_UNAVAILABLE', 'the relay is shutting down');
      const id = appIdOf(path);
      app = id === null ? undefined : this.#deps.apps.byId(id);
      if (app === undefined) throw new PusherHttpError('PUSHER_UNKNOWN_APP', `no app has the id "${(id ?? '').slice(0, 100)}"`);
      const route = routeOf(path);
      endpoint = route.endpoint;
      if (req.method !== route.method) {
        throw new PusherHttpError(
          'PUSHER_METHOD_NOT_ALLOWED',
          `${route.endpoint} takes ${route.method}, not ${String(req.method).slice(0, 10)}`,
        );
      }
      const params = queryParams(req.url ?? path);
      const body = route.method === 'POST' ? await readRawBody(req, maxBodyBytes(app.limits)) : null;
      if (res.destroyed || (route.method === 'POST' && body === null)) return;
      verifySignature(app, { method: route.method, path, params, body }, this.#now());
      const answer = await this.#serve(app, route, params, body);
      this.#send(res, app, endpoint, answer.status, answer.body);
    } catch (error) {
      if (error instanceof PusherHttpError) {
        this.#send(res, app, endpoint, error.status, error.body);
        discardRest(req, res);
        return;
      }
      this.#deps.logger.error('Pusher API request failed', { reason: error instanceof Error ? error.message : String(error) });
      this.#send(res, app, endpoint, 500, { error: 'internal error', code: 'INTERNAL' });
    }
  }

  async #serve(app: PusherApp, route: ApiRoute, params: Record<string, string>, body: Buffer | null): Promise<Answer> {
    switch (route.endpoint) {
      case 'events': {
        const event = parseEvent(json(body), app.limits);
        const [info] = await this.#publish(app, [event]);
        return { status: 200, body: info === undefined ? {} : { channels: info } };
      }
      case 'batch_events': {
        const events = parseBatch(json(body), app.limits);
        const infos = await this.#publish(app, events);
        // Pusher answers info per event of the batch, for its (single) channel.
        const wanted = events.some((event) => event.info.length > 0);
        return { status: 200, body: wanted ? { batch: events.map((event, i) => infos[i]?.[event.channels[0]!] ?? {}) } : {} };
      }
      case 'channels':
        return { status: 200, body: await this.#channels(app, params) };
      case 'channel':
        return { status: 200, body: await this.#channel(app, checkedChannel(app, route.channel!), params) };
      case 'users': {
        const channel = checkedChannel(app, route.channel!);
        if (!isPresenceChannel(channel)) throw bad('users are only listed for presence- channels');
        const users = await this.#port(() => this.#deps.channels.users(app.id, channel));
        return { status: 200, body: { users: users.map((id) => ({ id })) } };
      }
      case 'terminate_connections': {
        const userId = route.userId!;
        if (userId.length > app.limits.maxNameLength) throw bad(`a user id has at most ${app.limits.maxNameLength} characters`);
        await this.#port(() => this.#deps.channels.terminateUser(app.id, userId));
        return { status: 200, body: {} };
      }
    }
  }

  /** Publish each event to each of its channels; per event, the info it asked for by channel (or undefined). */
  async #publish(app: PusherApp, events: readonly EventRequest[]): Promise<(Record<string, Record<string, number>> | undefined)[]> {
    const port = this.#deps.channels;
    const sends: Promise<void>[] = [];
    /** Subscribers of the page channels published to, by event and channel. */
    const pages = new Map<string, number>();
    let count = 0;
    for (const [index, event] of events.entries()) {
      for (const channel of event.channels) {
        const pusherEvent = { event: event.name, channel, data: event.data };
        const uuid = pageUuidOf(channel);
        if (uuid === null) {
          sends.push(port.publish(app.id, channel, pusherEvent, event.socketId));
        } else {
          sends.push(
            this.#deps.pages.publish(uuid, pusherEvent).then((outcome) => {
              if (outcome === 'failed') throw new Error('the engine could not deliver to the page');
              pages.set(`${index} ${channel}`, pageSubscriptions(outcome));
            }),
          );
        }
        count++;
      }
    }
    await this.#port(() => Promise.all(sends));
    this.#deps.metrics.countEvents(app.name, count);
    return Promise.all(
      events.map(async (event, index) => {
        if (event.info.length === 0) return undefined;
        const info: Record<string, Record<string, number>> = {};
        for (const channel of event.channels) {
          const page = pages.get(`${index} ${channel}`);
          const counts =
            page !== undefined ? { subscriptionCount: page, userCount: 0 } : await this.#port(() => port.channel(app.id, channel));
          info[channel] = attributes(counts, event.info, channel);
        }
        return info;
      }),
    );
  }

  async #channels(app: PusherApp, params: Record<string, string>): Promise<unknown> {
    const prefix = params.filter_by_prefix ?? '';
    if (prefix.length > app.limits.maxNameLength) throw bad('filter_by_prefix is longer than a channel name may be');
    const info = parseInfo(params.info, 'info');
    if (info.includes('user_count') && !prefix.startsWith('presence-')) {
      throw bad('info=user_count needs filter_by_prefix=presence- (only presence channels have users)');
    }
    const found = await this.#port(() => this.#deps.channels.channels(app.id, prefix));
    const channels: Record<string, Record<string, number>> = {};
    for (const [name, counts] of found) channels[name] = attributes(counts, info, name);
    return { channels };
  }

  async #channel(app: PusherApp, channel: string, params: Record<string, string>): Promise<unknown> {
    const info = parseInfo(params.info, 'info');
    if (info.includes('user_count') && !isPresenceChannel(channel)) throw bad('user_count is only known for presence- channels');
    const counts = await this.#port(() => this.#deps.channels.channel(app.id, channel));
    return { occupied: counts.subscriptionCount > 0, ...attributes(counts, info, channel) };
  }

  /** A call to the channels; an engine failure becomes a 503 the publisher can retry. */
  async #port<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof PusherHttpError) throw error;
      this.#deps.logger.warn('Pusher API: the channels could not answer', {
        reason: error instanceof Error ? error.message : String(error),
      });
      throw new PusherHttpError('PUSHER_UNAVAILABLE', 'the engine could not answer (is Redis reachable?); retry');
    }
  }

  #send(res: ServerResponse, app: PusherApp | undefined, endpoint: PusherEndpoint, status: number, body: unknown): void {
    this.#deps.metrics.countRequest(app?.name ?? NO_APP, endpoint, status);
    if (res.headersSent || res.destroyed) return;
    sendJson(res, status, body, { 'cache-control': 'no-store' });
  }
}

/** The requested attributes of a channel; user_count only for presence channels. */
function attributes(counts: ChannelCounts, info: readonly InfoAttribute[], channel: string): Record<string, number> {
  const result: Record<string, number> = {};
  if (info.includes('subscription_count')) result.subscription_count = counts.subscriptionCount;
  if (info.includes('user_count') && isPresenceChannel(channel)) result.user_count = counts.userCount;
  return result;
}

function checkedChannel(app: PusherApp, channel: string): string {
  if (!isChannelName(channel, app.limits.maxNameLength)) throw bad(`"${channel.slice(0, 40)}" is not a channel name`);
  return channel;
}

function json(body: Buffer | null): unknown {
  const text = body === null ? '' : body.toString('utf8');
  if (text.trim() === '') throw bad('the body is empty; send a JSON object');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw bad(`the body is not valid JSON (${(error as Error).message})`);
  }
}

function bad(detail: string): PusherHttpError {
  return new PusherHttpError('PUSHER_BAD_REQUEST', detail);
}
