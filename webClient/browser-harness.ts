/**
 * Shared set-up of the browser tests: build, a relay with the demo installed,
 * headless Chromium. Test-only code (not part of the client bundles).
 */
import { execFile } from 'node:child_process';
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

/** `npm run build`: the client bundles, the demo page and dist/server/demo/demo-job.js. */
export async function buildProject(): Promise<void> {
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

/** A fresh context (own sessionStorage) whose page errors fail the test that reads `errors`. */
export async function newContext(browser: Browser, options: Parameters<Browser['newContext']>[0] = {}): Promise<{ context: BrowserContext; errors: string[] }> {
  const context = await browser.newContext(options);
  const errors: string[] = [];
  context.on('weberror', (error) => errors.push(error.error().message));
  return { context, errors };
}
