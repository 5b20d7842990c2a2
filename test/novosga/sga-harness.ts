/**
 * Test helpers for the Novo SGA event server: a relay with it mounted, and
 * one client type over socket.io-client 2.x (what Novo SGA ships) and 4.x
 * that queues every event so a test can await them in order.
 */
import ioV2 from 'socket.io-client-v2';
import { io as ioV4 } from 'socket.io-client';
import { NovosgaServerEvent, type RequestErrorPayload } from '../../include/novosga-events.js';
import { installNovosga, type NovosgaEventServer, type NovosgaOptions } from '../../server/apps/novosga/index.js';
import type { RelayConfig } from '../../server/config/relay-config.js';
import type { Relay } from '../../server/relay.js';
import { startRelay } from '../helpers/relay-fixture.js';

export const SGA_SECRET = 'novosga_websocket_test_5f1c2a';

/** A relay with the event server mounted (at /socket.io unless overridden). */
export async function startSgaRelay(
  overrides: Partial<RelayConfig> = {},
  options: NovosgaOptions = {},
): Promise<{ relay: Relay; sga: NovosgaEventServer }> {
  const relay = await startRelay({ novosgaEnabled: true, novosgaSecret: SGA_SECRET, ...overrides });
  try {
    const sga = await installNovosga(relay, options);
    return { relay, sga };
  } catch (error) {
    await relay.stop();
    throw error;
  }
}

/** Which client library and transports: the panel app's (v2, websocket only), v2's default (polling, then upgrade), 4.x. */
export type Flavour = 'v2-websocket' | 'v2-polling' | 'v4';

export const FLAVOURS: readonly Flavour[] = ['v2-websocket', 'v2-polling', 'v4'];

interface AnySocket {
  id: string | undefined;
  connected: boolean;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  emit(event: string, ...args: unknown[]): unknown;
  close(): unknown;
}

export interface Received {
  event: string;
  args: unknown[];
}

export class SgaClient {
  readonly flavour: Flavour;
  readonly socket: AnySocket;
  readonly received: Received[] = [];
  /** Why the last disconnect happened ('io server disconnect', 'transport close', …). */
  disconnectReason: string | null = null;
  connects = 0;
  /** The last connect_error, until a connect succeeds. */
  connectError: string | null = null;
  #waiters: (() => void)[] = [];

  private constructor(flavour: Flavour, socket: AnySocket) {
    this.flavour = flavour;
    this.socket = socket;
    socket.on('connect', () => {
      this.connects++;
      this.disconnectReason = null;
      this.connectError = null;
      this.#wake();
    });
    socket.on('disconnect', (reason: unknown) => {
      this.disconnectReason = String(reason);
      this.#wake();
    });
    socket.on('connect_error', (error: unknown) => {
      this.connectError = error instanceof Error ? error.message : String(error);
      this.#wake();
    });
    for (const event of Object.values(NovosgaServerEvent)) {
      socket.on(event, (...args: unknown[]) => {
        this.received.push({ event, args });
        this.#wake();
      });
    }
  }

  /**
   * Connect to the relay's event server (a Relay, or its http:// URL); `onConnect` runs on every
   * (re)connect, as Novo SGA's clients register there.
   */
  static async connect(
    relay: Relay | string,
    flavour: Flavour,
    onConnect?: (client: SgaClient) => void,
    options: { reconnection?: boolean; path?: string; ca?: Buffer } = {},
  ): Promise<SgaClient> {
    const url = typeof relay === 'string' ? relay : relay.httpUrl('/');
    const common = {
      path: options.path ?? '/socket.io',
      forceNew: true,
      reconnection: options.reconnection ?? false,
      reconnectionDelay: 50,
      reconnectionDelayMax: 100,
      timeout: 5_000,
      ...(options.ca ? { ca: options.ca.toString('utf8') } : {}),
    };
    const transports = flavour === 'v2-websocket' ? ['websocket'] : ['polling', 'websocket'];
    const socket = (flavour === 'v4' ? ioV4(url, { ...common, transports }) : ioV2(url, { ...common, transports })) as AnySocket;
    const client = new SgaClient(flavour, socket);
    if (onConnect) socket.on('connect', () => onConnect(client));
    await client
      .until(
        'connected',
        () => client.connects > 0,
        () => (client.connectError ? `connect error: ${client.connectError}` : null),
      )
      .catch((error: unknown) => {
        client.close();
        throw error;
      });
    return client;
  }

  emit(event: string, payload?: unknown): void {
    if (payload === undefined) this.socket.emit(event);
    else this.socket.emit(event, payload);
  }

  /** Emit with an acknowledgement and wait for its answer. */
  request(event: string, payload: unknown, timeoutMs = 5_000): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ack for ${event} within ${timeoutMs} ms`)), timeoutMs);
      this.socket.emit(event, payload, (answer: unknown) => {
        clearTimeout(timer);
        resolve(answer);
      });
    });
  }

  /** The next event received (of any name) not yet taken. */
  async next(timeoutMs = 5_000): Promise<Received> {
    await this.until(
      'an event',
      () => this.received.length > 0,
      () => null,
      timeoutMs,
    );
    return this.received.shift()!;
  }

  /** Take events up to and including the next one named `event`; returns its args. */
  async nextOf(event: string, timeoutMs = 5_000): Promise<unknown[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = await this.next(Math.max(1, deadline - Date.now()));
      if (got.event === event) return got.args;
    }
  }

  /** The next `request error` payload. */
  async nextError(timeoutMs = 5_000): Promise<RequestErrorPayload> {
    return (await this.nextOf(NovosgaServerEvent.RequestError, timeoutMs))[0] as RequestErrorPayload;
  }

  /** Register (the callback sends the event) and wait for `register ok`. */
  async register(event: string, payload: unknown): Promise<void> {
    this.emit(event, payload);
    const got = await this.next();
    if (got.event !== NovosgaServerEvent.RegisterOk) throw new Error(`expected register ok, got ${JSON.stringify(got)}`);
  }

  async disconnected(timeoutMs = 5_000): Promise<string> {
    await this.until(
      'a disconnect',
      () => this.disconnectReason !== null,
      () => null,
      timeoutMs,
    );
    return this.disconnectReason!;
  }

  /** Wait for a (re)connect after `count` connects so far. */
  async reconnected(count: number, timeoutMs = 5_000): Promise<void> {
    await this.until(
      'a reconnect',
      () => this.connects > count && this.socket.connected,
      () => null,
      timeoutMs,
    );
  }

  close(): void {
    this.socket.close();
  }

  async until(what: string, done: () => boolean, failure: () => string | null, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      const failed = failure();
      if (failed) throw new Error(`${this.flavour}: ${failed} while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.flavour}: no ${what} within ${timeoutMs} ms (got ${JSON.stringify(this.received)})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 50));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
