/**
 * Shared set-up of the browser tests: build, a relay with the demo installed,
 * headless Chromium. Test-only code (not part of the client bundles).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, Socket, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { parseAddress } from '../include/address.js';
import { defaultConfig, type RelayConfig } from '../server/config/relay-config.js';
import { installDemo, type DemoOptions } from '../server/demo/index.js';
import { Relay } from '../server/relay.js';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const artifacts = join(root, 'test-artifacts');

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

/**
 * `npm run build` (client bundles, demo page, dist/server/demo/demo-job.js),
 * once per vitest run: the browser test files run in parallel workers that
 * share dist/, so they take a lock and the second one finds the build done.
 */
export async function buildOnce(): Promise<void> {
  mkdirSync(artifacts, { recursive: true });
  const lock = join(artifacts, '.build.lock');
  const marker = join(artifacts, '.built-for-run');
  // Workers of one run share the vitest parent process (pool 'forks') or are it ('threads').
  const run = `${process.ppid}`;
  await acquireLock(lock);
  try {
    if (readText(marker) === run) return;
    await buildProject();
    writeFileSync(marker, run);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

async function acquireLock(lock: string): Promise<void> {
  const deadline = Date.now() + 240_000;
  for (;;) {
    try {
      mkdirSync(lock);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    // A lock left by a killed run is older than any build takes.
    if (Date.now() - (statSafe(lock) ?? Date.now()) > 300_000) rmSync(lock, { recursive: true, force: true });
    if (Date.now() > deadline) throw new Error(`could not take the build lock ${lock}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function statSafe(path: string): number | null {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return null;
  }
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

async function buildProject(): Promise<void> {
  try {
    await promisify(execFile)('npm', ['run', 'build'], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm run build failed:\n${stdout ?? ''}\n${stderr ?? ''}`);
  }
}

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

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
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
