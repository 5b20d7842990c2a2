import { WebSocket } from 'ws';
import { parseAddress } from '../../include/address.js';
import { defaultConfig, type RelayConfig } from '../../server/config/relay-config.js';
import { Relay, type RelayOptions } from '../../server/relay.js';

/** Start a relay on an ephemeral loopback port with test-friendly settings. */
export async function startRelay(overrides: Partial<RelayConfig> = {}, options: RelayOptions = {}): Promise<Relay> {
  const relay = new Relay(
    {
      ...defaultConfig(),
      address: parseAddress('ws://127.0.0.1:0'),
      secret: 'test-secret',
      demo: false,
      shutdownGraceMs: 500,
      ...overrides,
    },
    options,
  );
  await relay.start();
  return relay;
}

/**
 * A browser-like `ws` client that queues every message so tests can await
 * them in order.
 */
export class PageClient {
  readonly ws: WebSocket;
  readonly received: string[] = [];
  closeCode: number | null = null;
  #waiters: (() => void)[] = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer) => {
      this.received.push(data.toString('utf8'));
      this.#wake();
    });
    ws.on('close', (code: number) => {
      this.closeCode = code;
      this.#wake();
    });
    ws.on('error', () => this.#wake());
  }

  /** Connect and wait for `ready`; returns the client with its uuid. */
  static async connect(
    url: string,
    options: ConstructorParameters<typeof WebSocket>[2] & { protocols?: string[] } = {},
  ): Promise<PageClient & { uuid: string; resumeToken: string }> {
    const ws = new WebSocket(url, options.protocols ?? [], options);
    const client = new PageClient(ws);
    const ready = await client.nextPacket();
    if (ready.opcode !== 'ready') throw new Error(`expected ready, got ${JSON.stringify(ready)}`);
    // resumeToken: only v2 pages get one ('' otherwise).
    return Object.assign(client, { uuid: String(ready.uuid), resumeToken: typeof ready.resumeToken === 'string' ? ready.resumeToken : '' });
  }

  /** The next message not yet taken, as text. */
  async next(timeoutMs = 5_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length === 0) {
      if (this.closeCode !== null) throw new Error(`closed with ${this.closeCode} while waiting for a message`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no message within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received.shift()!;
  }

  async nextPacket(timeoutMs = 5_000): Promise<{ opcode: string; [k: string]: unknown }> {
    return JSON.parse(await this.next(timeoutMs)) as { opcode: string };
  }

  send(packet: object | string): void {
    this.ws.send(typeof packet === 'string' ? packet : JSON.stringify(packet));
  }

  /** Resolves with the close code once the connection is closed. */
  async closed(timeoutMs = 5_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.closeCode === null) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`not closed within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.closeCode;
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}

/** Collects things to close after each test. */
export class Cleanup {
  #items: (() => unknown)[] = [];
  add<T>(item: T, close: (item: T) => unknown): T {
    this.#items.push(() => close(item));
    return item;
  }
  async run(): Promise<void> {
    const items = this.#items.reverse();
    this.#items = [];
    for (const close of items) await close();
  }
}
