/**
 * Protocol v2 resume in a real browser: a page that loses its connection in
 * the middle of a job, or reloads, keeps its uuid and gets every message it
 * missed, in order and once; after a gap longer than retention it is told
 * so and still gets each job's latest progress.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient } from '../clients/index.js';
import type { Relay } from '../server/relay.js';
import { ensureBuilt, CuttableProxy, launchChromium, newContext, startDemoRelay, waitFor } from './browser-harness.js';

const WAIT = { timeout: 10_000 };

type ClientModule = typeof import('./src/index.js');
interface Fixture {
  websock: ClientModule;
  c: InstanceType<ClientModule['WebsockClient']>;
  got: { seq?: number; message?: unknown }[];
  readies: { uuid: string; resumed: boolean; recovered: boolean }[];
}

let browser: Browser;
const cleanups: (() => Promise<unknown>)[] = [];
let pageErrors: string[] = [];

beforeAll(async () => {
  await ensureBuilt();
  browser = await launchChromium();
}, 240_000);

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  const errors = pageErrors;
  pageErrors = [];
  expect(errors, 'uncaught errors in the page').toEqual([]);
});

afterAll(async () => {
  await browser?.close();
});

async function relayWithProxy(overrides: Parameters<typeof startDemoRelay>[1] = {}): Promise<{ relay: Relay; proxy: CuttableProxy }> {
  const relay = await startDemoRelay({ stepMs: 40 }, overrides);
  cleanups.push(() => relay.stop());
  const proxy = await CuttableProxy.start(relay.port);
  cleanups.push(() => proxy.close());
  return { relay, proxy };
}

async function openPage(url: string): Promise<Page> {
  const context = await newContext(browser, {}, (message) => pageErrors.push(message));
  cleanups.push(() => context.close());
  const page = await context.newPage();
  await page.goto(url);
  return page;
}

async function connectBackend(relay: Relay): Promise<RelayClient> {
  const backend = await RelayClient.connect(relay.url('/php'));
  cleanups.push(() => backend.close());
  expect(backend.protocol).toBe(2);
  return backend;
}

function browsersOn(relay: Relay): number {
  return [...relay.hub.browsers()].length;
}

describe('resume after a network outage', () => {
  it('delivers every message sent while the page was cut off, in order, once, under the same uuid', async () => {
    const { relay, proxy } = await relayWithProxy();
    const page = await openPage(proxy.httpUrl('/fixtures/modern-api.html'));
    await page.waitForSelector('body[data-loaded="true"]', { ...WAIT, state: 'attached' });
    const uuid = await page.evaluate(() => {
      const w = window as unknown as Fixture;
      w.got = [];
      w.readies = [];
      w.c = new w.websock.WebsockClient('/web', { reconnect: { initialMs: 50, maxMs: 300 } });
      w.c.on('message', (packet) => w.got.push({ seq: packet.seq, message: packet.message }));
      w.c.on('ready', ({ uuid, resumed, recovered }) => w.readies.push({ uuid, resumed, recovered }));
      return w.c.whenReady();
    });
    const backend = await connectBackend(relay);
    const outcomes: string[] = [];
    const publish = async (from: number, to: number) => {
      for (let i = from; i < to; i++) outcomes.push(String(await backend.feedback(uuid, `m${i}`)));
    };

    await publish(0, 20);
    proxy.cut();
    await waitFor('the relay to see the page gone', () => browsersOn(relay) === 0);
    await publish(20, 40); // The page is offline: held for it.
    expect(outcomes.slice(20)).toEqual(Array(20).fill('held'));
    proxy.restore();
    await publish(40, 60); // While it reconnects: held or delivered, whichever comes first.

    await page.waitForFunction(() => (window as unknown as Fixture).got.length >= 60, undefined, WAIT);
    const state = await page.evaluate(() => {
      const w = window as unknown as Fixture;
      return { got: w.got, readies: w.readies, uuid: w.c.uuid, lastSeq: w.c.lastSeq };
    });
    expect(state.got.map((p) => p.message)).toEqual(Array.from({ length: 60 }, (_, i) => `m${i}`));
    expect(state.got.map((p) => p.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(state.uuid).toBe(uuid);
    expect(state.lastSeq).toBe(60);
    expect(state.readies).toEqual([
      { uuid, resumed: false, recovered: false },
      { uuid, resumed: true, recovered: true },
    ]);
  });

  it("says recovered: false after a gap longer than retention, and still shows each job's latest progress", async () => {
    const { relay, proxy } = await relayWithProxy({ retentionCount: 5 });
    const page = await openPage(proxy.httpUrl('/'));
    await page.waitForSelector('#state[data-state="open"]', WAIT);
    const uuid = (await page.textContent('#uuid')) as string;
    await page.evaluate(() => {
      const w = window as unknown as { readies: unknown[]; demoClient: Fixture['c'] };
      w.readies = [];
      w.demoClient.on('ready', ({ resumed, recovered }) => w.readies.push({ resumed, recovered }));
    });
    const backend = await connectBackend(relay);
    const report = (job: string, done: number) => backend.progress(uuid, { job, done, total: 20, status: `${job}: ${done} of 20` });

    await report('import', 2);
    await page.waitForSelector('#status:has-text("import: 2 of 20")', WAIT);
    proxy.cut();
    await waitFor('the relay to see the page gone', () => browsersOn(relay) === 0);
    await report('export', 4); // Pushed out of retention below, kept as the job's latest progress.
    for (let done = 3; done <= 18; done++) await report('import', done);
    proxy.restore();

    await page.waitForSelector('#log li:has-text("Session resumed after a gap")', WAIT);
    await page.waitForSelector('#status:has-text("import: 18 of 20")', WAIT);
    expect(await page.textContent('#uuid')).toBe(uuid);
    expect(await page.$eval('#bar', (bar) => (bar as HTMLProgressElement).value)).toBe(90);
    expect(await page.evaluate(() => (window as unknown as { readies: unknown[] }).readies)).toEqual([{ resumed: true, recovered: false }]);
    // The export job's latest report arrived too (before import's, in the order they were sent).
    const log = await page.$$eval('#log li span', (spans) => spans.map((s) => s.textContent));
    expect(log.slice(-2)).toEqual(['export: 4 of 20', 'import: 18 of 20']);
  });
});

describe('resume after a reload', () => {
  it('keeps the uuid in sessionStorage and replays what arrived while the page was away', async () => {
    const relay = await startDemoRelay({ stepMs: 40 });
    cleanups.push(() => relay.stop());
    const page = await openPage(relay.httpUrl('/'));
    await page.waitForSelector('#state[data-state="open"]', WAIT);
    const uuid = (await page.textContent('#uuid')) as string;
    const backend = await connectBackend(relay);
    for (const text of ['one', 'two', 'three']) expect(await backend.feedback(uuid, text)).toBe('delivered');
    await page.waitForSelector('#log li:has-text("three")', WAIT);

    await page.goto('about:blank');
    await waitFor('the relay to see the page gone', () => browsersOn(relay) === 0);
    for (const text of ['four', 'five']) expect(await backend.feedback(uuid, text)).toBe('held');
    await page.goto(relay.httpUrl('/'));
    await page.waitForSelector('#log li:has-text("five")', WAIT);

    expect(await page.textContent('#uuid')).toBe(uuid);
    const log = await page.$$eval('#log li span', (spans) => spans.map((s) => s.textContent));
    expect(log).toEqual(['Session resumed: nothing was lost.', 'four', 'five']);
    const stored = await page.evaluate(() => Object.entries(sessionStorage));
    expect(stored).toEqual([[expect.stringMatching(/^websock:ws:\/\/127\.0\.0\.1:\d+\/web$/), expect.any(String)]]);
    // The resumeToken `ready` gave is kept with the uuid: it, not the uuid, is what resumes after the reload.
    expect(JSON.parse(stored[0]![1])).toEqual({
      uuid,
      lastSeq: 5,
      epoch: expect.any(String),
      resumeToken: expect.stringMatching(/^[\w-]{43}$/),
    });
    // A new tab (its own sessionStorage) is a new page with a new uuid.
    const other = await page.context().newPage();
    await other.goto(relay.httpUrl('/'));
    await other.waitForSelector('#state[data-state="open"]', WAIT);
    expect(await other.textContent('#uuid')).not.toBe(uuid);
  });
});
