/**
 * Shared set-up of the browser tests: build, a relay with the demo installed,
 * headless Chromium. Test-only code (not part of the client bundles).
 */
import { createServer, Socket, type Server } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { parseAddress } from '../include/address.js';
import { defaultConfig, type RelayConfig } from '../server/config/relay-config.js';
import { installDemo, type DemoOptions } from '../server/demo/index.js';
import { Relay } from '../server/relay.js';
import { root } from '../test/helpers/build-once.js';

export { artifacts, ensureBuilt, root } from '../test/helpers/build-once.js';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A relay on an ephemeral loopback port with the demo and the test fixtures served. */
export async function startDemoRelay(demo: DemoOptions = {}, overrides: Partial<RelayConfig> = {}): Promise<Relay> {
  const relay = new Relay({
    ...defaultConfig(),
    address: parseAddress('ws://127.0.0.1:0'),
    secret: 'browser-test-secret',
    shutdownGraceMs: 200,
    ...overrides,
  });
  installDemo(relay, demo);
  relay.http.addStatic('/fixtures/', join(root, 'webClient', 'test-fixtures'));
  await relay.start();
  return relay;
}

/** Headless Chromium; `extraArgs` e.g. --ignore-certificate-errors for a test certificate. */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/** A fresh context (own sessionStorage); uncaught page errors go to `onError`. */
export async function newContext(
  browser: Browser,
  options: Parameters<Browser['newContext']>[0],
  onError: (message: string) => void,
): Promise<BrowserContext> {
  const context = await browser.newContext(options);
  context.on('weberror', (error) => onError(error.error().message));
  return context;
}

/** Polls `condition` until it holds; throws after `timeoutMs` saying what was awaited. */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A TCP proxy in front of the relay that can play a network outage: cut()
 * resets every connection through it and refuses new ones until restore().
 * (DevTools' offline emulation leaves open WebSockets alone, so it cannot.)
 */
export class CuttableProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #offline = false;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(targetPort: number): Promise<CuttableProxy> {
    const server = createServer();
    const proxy = new CuttableProxy(server);
    server.on('connection', (client) => proxy.#onConnection(client, targetPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** An http:// URL through the proxy. */
  httpUrl(path: string): string {
    const { port } = this.#server.address() as { port: number };
    return `http://127.0.0.1:${port}${path}`;
  }

  cut(): void {
    this.#offline = true;
    for (const socket of this.#sockets) socket.resetAndDestroy();
    this.#sockets.clear();
  }

  restore(): void {
    this.#offline = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #onConnection(client: Socket, targetPort: number): void {
    if (this.#offline) {
      client.resetAndDestroy();
      return;
    }
    const upstream = new Socket();
    upstream.connect(targetPort, '127.0.0.1');
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.#sockets.add(a);
      a.pipe(b);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        this.#sockets.delete(a);
        b.destroy();
      });
    }
  }
}
