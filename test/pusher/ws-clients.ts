/**
 * Test helpers for the Pusher WebSocket side: pusher-js 8 (Node build)
 * pointed at a live relay, authorised by the `pusher` server SDK in-process
 * (as an app's auth endpoint would answer), and a raw `ws` client that
 * speaks the protocol by hand for what pusher-js hides.
 */
import Pusher from 'pusher';
import PusherJsModule from 'pusher-js';
import { WebSocket, type ClientOptions } from 'ws';
import type { PusherApp } from '../../server/pusher/apps/pusher-app.js';
import type { Relay } from '../../server/relay.js';

/** pusher-js is CommonJS whose types declare an ES default export: at run time the import is the class itself. */
type PusherJsClass = typeof import('pusher-js').default;
const PusherJs = PusherJsModule as unknown as PusherJsClass;
export type PusherJsClient = InstanceType<PusherJsClass>;

/** The app's server SDK (what its auth endpoint signs with). */
export function serverSdk(app: PusherApp, relay?: Pick<Relay, 'port'>, encryptionMasterKeyBase64?: string): Pusher {
  return new Pusher({
    appId: app.id,
    key: app.key,
    secret: app.secret,
    host: '127.0.0.1',
    port: relay ? String(relay.port) : '80',
    useTLS: false,
    ...(encryptionMasterKeyBase64 ? { encryptionMasterKeyBase64 } : {}),
  });
}

/** pusher-js connected to the relay; `user` is what the auth endpoint signs for presence and sign-in. */
export function pusherJs(
  relay: Pick<Relay, 'port'>,
  app: PusherApp,
  user: { id: string; info?: unknown } = { id: 'u1' },
  options: { sdk?: Pusher } = {},
): PusherJsClient {
  const sdk = options.sdk ?? serverSdk(app);
  return new PusherJs(app.key, {
    cluster: 'local',
    wsHost: '127.0.0.1',
    wsPort: relay.port,
    forceTLS: false,
    enabledTransports: ['ws'],
    disableStats: true,
    channelAuthorization: {
      endpoint: 'unused',
      transport: 'ajax',
      customHandler: ({ socketId, channelName }, callback) => {
        const presence = channelName.startsWith('presence-') ? { user_id: user.id, user_info: user.info ?? { name: user.id } } : undefined;
        callback(null, sdk.authorizeChannel(socketId, channelName, presence));
      },
    },
    userAuthentication: {
      endpoint: 'unused',
      transport: 'ajax',
      customHandler: ({ socketId }, callback) => callback(null, sdk.authenticateUser(socketId, { id: user.id, name: user.id })),
    },
  });
}

/** Resolves with the first value `register` hands to its callback, or rejects after `ms`. */
export function waitFor<T>(what: string, register: (done: (value: T) => void) => void, ms = 5_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    register((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/** Resolves once `check` is true (asked every 20 ms), or rejects after `ms`. */
export async function until(check: () => Promise<boolean> | boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function connected(client: PusherJsClient): Promise<string> {
  if (client.connection.state !== 'connected') {
    await waitFor('pusher-js connected', (done) => client.connection.bind('connected', () => done(undefined)));
  }
  return client.connection.socket_id;
}

/** Subscribe and wait for pusher:subscription_succeeded (rejects on pusher:subscription_error). */
export function subscribed(client: PusherJsClient, name: string): Promise<ReturnType<PusherJsClient['subscribe']> & { members?: unknown }> {
  const channel = client.subscribe(name);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no subscription to ${name}`)), 5_000);
    channel.bind('pusher:subscription_succeeded', () => {
      clearTimeout(timer);
      resolve(channel);
    });
    channel.bind('pusher:subscription_error', (error: unknown) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`subscription to ${name} failed`), { detail: error }));
    });
  });
}

/** A hand-driven Pusher protocol client: every frame parsed, queued in order. */
export class RawPusher {
  readonly ws: WebSocket;
  readonly frames: { event: string; channel?: string; data?: unknown; [k: string]: unknown }[] = [];
  closeCode: number | null = null;
  #wake: (() => void)[] = [];

  /** `options.headers` go with the handshake, as a browser sends its cookies. */
  constructor(url: string, options: ClientOptions = {}) {
    this.ws = new WebSocket(url, options);
    this.ws.on('message', (data: Buffer) => {
      this.frames.push(JSON.parse(data.toString('utf8')) as RawPusher['frames'][number]);
      this.#notify();
    });
    this.ws.on('close', (code: number) => {
      this.closeCode = code;
      this.#notify();
    });
    this.ws.on('error', () => this.#notify());
  }

  static url(relay: Relay, key: string, query = 'protocol=7&client=js&version=8.4.0'): string {
    return relay.url(`/app/${key}`) + (query === '' ? '' : `?${query}`);
  }

  /** Connect and read connection_established; the socket_id. */
  static async connect(relay: Relay, key: string, options: ClientOptions = {}): Promise<RawPusher & { socketId: string }> {
    const raw = new RawPusher(RawPusher.url(relay, key), options);
    const first = await raw.next();
    if (first.event !== 'pusher:connection_established') throw new Error(`expected connection_established, got ${JSON.stringify(first)}`);
    const { socket_id } = JSON.parse(first.data as string) as { socket_id: string };
    return Object.assign(raw, { socketId: socket_id });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  async next(ms = 5_000): Promise<RawPusher['frames'][number]> {
    const deadline = Date.now() + ms;
    while (this.frames.length === 0) {
      if (this.closeCode !== null) throw new Error(`closed with ${this.closeCode}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.frames.shift()!;
  }

  /** The next frame named `event`, skipping others. */
  async nextEvent(event: string, ms = 5_000): Promise<RawPusher['frames'][number]> {
    for (;;) {
      const frame = await this.next(ms);
      if (frame.event === event) return frame;
    }
  }

  async closed(ms = 5_000): Promise<number> {
    const deadline = Date.now() + ms;
    while (this.closeCode === null) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('not closed in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.closeCode;
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }

  #notify(): void {
    for (const wake of this.#wake.splice(0)) wake();
  }
}

/** Disconnect pusher-js and wait until its socket is gone. */
export async function disconnect(client: PusherJsClient): Promise<void> {
  const state = client.connection.state;
  if (state === 'disconnected' || state === 'failed') return;
  const gone = waitFor('pusher-js disconnected', (done) => client.connection.bind('disconnected', () => done(undefined)), 3_000).catch(
    () => {},
  );
  client.disconnect();
  await gone;
}
