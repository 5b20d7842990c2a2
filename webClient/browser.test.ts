/**
 * The browser client and the demo in headless Chromium against a real relay:
 * the demo job, broadcast between pages, echo, the original API fixture, and
 * the modern client's reconnect.
 */
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient } from '../clients/index.js';
import type { Relay } from '../server/relay.js';
import { artifacts, ensureBuilt, launchChromium, newContext, startDemoRelay } from './browser-harness.js';

const WAIT = { timeout: 10_000 };

/** What the modern-API fixture page holds, as seen from page.evaluate. */
type ClientModule = typeof import('./src/index.js');
interface Modern {
  websock: ClientModule;
  c: InstanceType<ClientModule['WebsockClient']>;
  got: { opcode: string; message?: unknown; [field: string]: unknown }[];
}

let relay: Relay;
let browser: Browser;
/** Tabs are reused from test to test: opening one costs far more than navigating it. */
let shared: BrowserContext;
const tabs: Page[] = [];
let tabsUsed = 0;
const extraContexts: BrowserContext[] = [];
const backends: RelayClient[] = [];
let pageErrors: string[] = [];

beforeAll(async () => {
  await ensureBuilt();
  relay = await startDemoRelay({ stepMs: 40 });
  browser = await launchChromium();
  shared = await newContext(browser, { viewport: { width: 1100, height: 900 } }, (message) => pageErrors.push(message));
}, 240_000);

afterEach(async () => {
  for (const backend of backends.splice(0)) await backend.close().catch(() => backend.terminate());
  for (const context of extraContexts.splice(0)) await context.close();
  // Park used tabs on a page without a client, and forget their sessions so
  // no later test resumes this one's uuid.
  for (const tab of tabs.slice(0, tabsUsed)) {
    await tab.goto(relay.httpUrl('/fixtures/blank.html'));
    await tab.evaluate(() => sessionStorage.clear());
  }
  tabsUsed = 0;
  const errors = pageErrors;
  pageErrors = [];
  expect(errors, 'uncaught errors in the page').toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await relay?.stop();
});

/** A tab showing `path`: a reused one, or one in a context of its own when `options` are given. */
async function openPage(path: string, options?: Parameters<Browser['newContext']>[0]): Promise<Page> {
  let page: Page;
  if (options) {
    const context = await newContext(browser, options, (message) => pageErrors.push(message));
    extraContexts.push(context);
    page = await context.newPage();
  } else {
    page = tabs[tabsUsed] ?? (await shared.newPage());
    if (tabsUsed === tabs.length) tabs.push(page);
    tabsUsed++;
  }
  await page.goto(relay.httpUrl(path));
  return page;
}

/** The demo page, connected. */
async function openDemo(options?: Parameters<Browser['newContext']>[0]): Promise<Page> {
  const page = await openPage('/', options);
  await page.waitForSelector('#state[data-state="open"]', WAIT);
  return page;
}

/** Clicks "Start job" and waits for the result; returns every percentage the page saw on the way. */
async function runDemoJob(page: Page): Promise<number[]> {
  await page.evaluate(() => {
    const w = window as unknown as { seen: number[]; demoClient: { on(t: string, f: (e: { percent?: number }) => void): void } };
    w.seen = [];
    w.demoClient.on('progress', (event) => w.seen.push(event.percent ?? -1));
  });
  await page.click('#start');
  await page.waitForSelector('#result:not([hidden])', WAIT);
  return page.evaluate(() => (window as unknown as { seen: number[] }).seen);
}

async function connectBackend(options: Parameters<typeof RelayClient.connect>[1] = {}): Promise<RelayClient> {
  const backend = await RelayClient.connect(relay.url('/php'), options);
  backends.push(backend);
  return backend;
}

describe('demo page', () => {
  it('shows a backend job progressing live to 100 % and its final result', async () => {
    const page = await openDemo();
    expect(await page.textContent('#uuid')).toMatch(/^[0-9a-f-]{36}\.[0-9a-f]+$/);
    const seen = await runDemoJob(page);

    // The bar moved through intermediate values, in order: the reports arrived live, not at the end.
    expect(seen.length).toBeGreaterThanOrEqual(21);
    expect(seen.filter((p) => p > 0 && p < 100).length).toBeGreaterThanOrEqual(15);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect(await page.$eval('#bar', (bar) => [(bar as HTMLProgressElement).value, bar.getAttribute('data-state')])).toEqual([100, 'done']);
    expect(await page.textContent('#percent')).toBe('100 %');
    expect(await page.textContent('#result')).toMatch(/^✓ Done: 20 items processed in [\d.]+ s$/);
    expect(await page.textContent('#status')).toBe('22 progress reports received live');
    const log = await page.$$eval('#log li span', (spans) => spans.map((s) => s.textContent));
    expect(log).toContain('Step 20/20: writing the report');
    expect(log.at(-1)).toMatch(/^Job job-\w+ finished in [\d.]+ s$/);
    expect(await page.isEnabled('#start')).toBe(true);
    await page.screenshot({ path: join(artifacts, 'demo.png'), fullPage: true });
  });

  it('fits a phone screen', async () => {
    const page = await openDemo({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    await runDemoJob(page);
    await page.fill('#echo-input', 'Hello from a phone');
    await page.click('#echo-form button');
    await page.waitForSelector('#echo-out:has-text("Hello from a phone")', WAIT);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(artifacts, 'demo-phone.png'), fullPage: true });
  });

  it('shows a message published with the HTTP API, as its shell example says', async () => {
    const page = await openDemo();
    const uuid = (await page.textContent('#uuid')) as string;
    const shell = (await page.textContent('#shell')) as string;
    expect(shell).toContain(`--uuid ${uuid} "hello from a shell"`);
    const curl = /curl -d '(.+)' \\\n\s+(\S+)/.exec(shell);
    expect(curl?.[2]).toBe(relay.httpUrl('/feedback'));
    const response = await fetch(curl?.[2] as string, { method: 'POST', headers: { 'content-type': 'application/json' }, body: curl?.[1] });
    expect(await response.json()).toEqual({ outcome: 'delivered' });
    await page.waitForSelector('#log li:has-text("hello from curl")', WAIT);
  });

  it('echoes a message back to the page', async () => {
    const page = await openDemo();
    await page.fill('#echo-input', 'ping 42');
    await page.click('#echo-form button');
    await page.waitForSelector('#echo-out:has-text("Echoed back: ping 42")', WAIT);
    expect(await page.textContent('#echo-out small')).toMatch(/round trip [\d.]+ ms/);
  });

  it('lets two pages talk through broadcast', async () => {
    const [a, b] = [await openDemo(), await openDemo()];
    await a.fill('#talk-input', 'hello from A');
    await a.click('#talk-form button');
    await b.waitForSelector('#talk-log li:has-text("hello from A")', WAIT);
    await b.fill('#talk-input', 'and back from B');
    await b.click('#talk-form button');
    await a.waitForSelector('#talk-log li:has-text("and back from B")', WAIT);
    // The sender does not get its own broadcast back: only its "you" line.
    expect(await a.$$eval('#talk-log li', (items) => items.map((li) => li.textContent))).toEqual([
      expect.stringContaining('youhello from A'),
      expect.stringContaining('and back from B'),
    ]);
  });

  it('answers bad job requests with a JSON error', async () => {
    const post = (body: string) =>
      fetch(relay.httpUrl('/demo/job'), { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const badJson = await post('{not json');
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toEqual({ error: expect.stringContaining('not valid JSON') });
    const noUuid = await post('{"steps": 3}');
    expect(noUuid.status).toBe(400);
    expect(await noUuid.json()).toEqual({ error: expect.stringContaining('"uuid"') });
    const badSteps = await post('{"uuid": "abc", "steps": 1000}');
    expect(badSteps.status).toBe(400);
    const tooLarge = await post(JSON.stringify({ uuid: 'abc', pad: 'x'.repeat(10_000) }));
    expect(tooLarge.status).toBe(413);
  });

  it('limits how many jobs run at once', async () => {
    const small = await startDemoRelay({ maxJobs: 1, stepMs: 100 });
    try {
      const post = () =>
        fetch(small.httpUrl('/demo/job'), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ uuid: 'nobody-is-here', steps: 2 }),
        });
      const first = await post();
      expect(first.status).toBe(202);
      expect(await first.json()).toEqual({ job: expect.stringMatching(/^job-/), steps: 2 });
      const second = await post();
      expect(second.status).toBe(429);
      expect(await second.json()).toEqual({ error: expect.stringContaining('too many demo jobs') });
    } finally {
      await small.stop();
    }
  });
});

describe('a page written for the original socketWebClient API', () => {
  async function openFixture(): Promise<{ page: Page; uuid: string }> {
    const page = await openPage('/fixtures/original-api.html');
    await page.waitForSelector('#uuid:not(:empty)', WAIT);
    expect(await page.textContent('#connect')).toBe('Connected');
    expect(await page.textContent('#open')).toBe('true');
    return { page, uuid: (await page.textContent('#uuid')) as string };
  }

  it('receives a feedback a v1 backend sends to its uuid', async () => {
    const { page, uuid } = await openFixture();
    const backend = await connectBackend({ protocol: 'v1' });
    await backend.feedback(uuid, 'hello from the backend', { extra: { fromUUID: backend.uuid } });
    await page.waitForSelector('#feedback li', WAIT);
    expect(await page.textContent('#feedback li')).toBe(`${backend.uuid}---hello from the backend`);
  });

  it('echoes, and sends raw packets with sendMsg', async () => {
    const { page, uuid } = await openFixture();
    await page.click('#do-echo');
    await page.waitForSelector(`#echo:has-text("echo from ${uuid}")`, WAIT);
    await page.click('#send-raw');
    await page.waitForSelector('#echo:has-text("sendMsg works")', WAIT);
  });

  it('broadcasts in order to other pages, a 16 KiB message chunked with bufferON/bufferOFF included', async () => {
    const a = await openFixture();
    const b = await openFixture();
    await a.page.click('#talk');
    await b.page.waitForFunction(() => document.querySelectorAll('#broadcast li').length === 5, undefined, WAIT);
    const received = await b.page.$$eval('#broadcast li', (items) => items.map((li) => li.textContent ?? ''));
    expect(received.slice(0, 4)).toEqual(['hallo11', 'hallo22', 'hallo33', 'hallo44'].map((h) => `${h} from :${a.uuid}`));
    expect(received[4]).toBe('X'.repeat(16 * 1024) + a.uuid);
    expect(await a.page.$$eval('#broadcast li', (items) => items.length)).toBe(0);
  });

  it('sends feedback from page to page with its uuid as "from"', async () => {
    const a = await openFixture();
    const b = await openFixture();
    await a.page.fill('#to-uuid', b.uuid);
    await a.page.fill('#to-text', 'psst');
    await a.page.click('#send-feedback');
    await b.page.waitForSelector('#feedback li', WAIT);
    expect(await b.page.textContent('#feedback li')).toBe(`${a.uuid}---psst`);
  });

  it('quits for good', async () => {
    const { page } = await openFixture();
    await page.click('#quit');
    await page.waitForSelector('#connect:has-text("Server is gone; closed socket")', WAIT);
    expect(await page.textContent('#open')).toBe('false');
  });

  it('accepts the older (server, port, app) signature', async () => {
    const { page } = await openFixture();
    const uuid = await page.evaluate(
      () =>
        new Promise<string>((resolve) => {
          const old = (
            window as unknown as { socketWebClient: (s: string, p: string, a: string) => Record<string, (...a: unknown[]) => unknown> }
          ).socketWebClient(location.hostname, location.port, '/web');
          old.setCallbackReady!(() => resolve(String(old.uuid!())));
          old.init!();
        }),
    );
    expect(uuid).toMatch(/^[0-9a-f-]{36}\./);
  });
});

describe('WebsockClient', () => {
  /** A page that loaded websock-client.mjs and connected a client as `window.c`; returns its uuid. */
  async function openModern(options: Record<string, unknown> = {}): Promise<{ page: Page; uuid: string }> {
    const page = await openPage('/fixtures/modern-api.html');
    await page.waitForSelector('body[data-loaded="true"]', { ...WAIT, state: 'attached' });
    const uuid = await page.evaluate(async (opts) => {
      const w = window as unknown as Modern;
      w.got = [];
      w.c = new w.websock.WebsockClient('/web', opts);
      w.c.on('message', (packet) => w.got.push(packet));
      return w.c.whenReady();
    }, options);
    return { page, uuid };
  }

  it("resolves v2 sends with the relay's outcome", async () => {
    const a = await openModern();
    const b = await openModern();
    expect(await a.page.evaluate(() => (window as unknown as Modern).c.protocol)).toBe(2);
    const results = await a.page.evaluate(async (to) => {
      const { c } = window as unknown as Modern;
      const failed = await c.send({ opcode: 'no-such-opcode' }).catch((error: { code: string }) => error.code);
      return [
        await c.feedback(to, 'hi B'),
        // An unsigned uuid from a page is refused by the publish policy.
        await c.feedback('no-such-page.00', 'hello?').catch((error: { code: string }) => error.code),
        await c.broadcast('to all'),
        failed,
        await c.echo('me'),
      ];
    }, b.uuid);
    expect(results[4]).toEqual({ outcome: 'delivered' });
    expect(results[0]).toEqual({ outcome: 'delivered' });
    expect(results[1]).toBe('FORBIDDEN');
    expect(results[2]).toMatchObject({ outcome: 'delivered', count: expect.any(Number) });
    expect(results[3]).toBe('UNKNOWN_OPCODE');
    await b.page.waitForFunction(() => (window as unknown as Modern).got.length === 2, undefined, WAIT);
    const got = await b.page.evaluate(() => (window as unknown as Modern).got);
    expect(got).toEqual([
      expect.objectContaining({ opcode: 'feedback', message: 'hi B', from: a.uuid, uuid: b.uuid }),
      expect.objectContaining({ opcode: 'broadcast', message: 'to all' }),
    ]);
  });

  it('speaks v1 when asked: stop and wait, in order, long messages chunked intact', async () => {
    const a = await openModern({ protocol: 'v1', chunkSize: 1000 });
    const b = await openModern();
    const sent = await a.page.evaluate(async () => {
      const { c } = window as unknown as Modern;
      const long = 'ünïcødé 😀 '.repeat(5000);
      // Fired without awaiting: the client queues them and sends one per `next`.
      const sends = [...Array.from({ length: 20 }, (_, i) => c.broadcast(`#${i}`)), c.broadcast(long)];
      const results = await Promise.all(sends);
      return { protocol: c.protocol, results, long };
    });
    expect(sent.protocol).toBe(1);
    expect(sent.results.every((r) => JSON.stringify(r) === '{}')).toBe(true);
    await b.page.waitForFunction(() => (window as unknown as Modern).got.length === 21, undefined, WAIT);
    const got = await b.page.evaluate(() => (window as unknown as Modern).got.map((p) => p.message));
    expect(got).toEqual([...Array.from({ length: 20 }, (_, i) => `#${i}`), sent.long]);
  });

  it("binds a job's progress to a <progress> bar and a status line", async () => {
    const { page, uuid } = await openModern();
    await page.evaluate(() => {
      const w = window as unknown as Modern;
      document.body.innerHTML = '<progress id="bar"></progress><span id="status"></span><span id="end"></span>';
      w.websock.bindProgress(w.c, {
        job: 'mine',
        bar: '#bar',
        status: '#status',
        onEnd: (event) => {
          (document.getElementById('end') as HTMLElement).textContent = event.progress.state ?? '';
        },
      });
    });
    const backend = await connectBackend();
    const bar = () =>
      page.$eval('#bar', (el) => [
        (el as HTMLProgressElement).value,
        el.getAttribute('data-state'),
        document.getElementById('status')?.textContent,
      ]);
    await backend.progress(uuid, { job: 'mine', done: 3, total: 12, status: 'three of twelve' });
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'three of twelve', undefined, WAIT);
    expect(await bar()).toEqual([25, 'running', 'three of twelve']);
    await backend.progress(uuid, { job: 'other', done: 11, total: 12, status: 'not mine' });
    await backend.progress(uuid, { job: 'mine', state: 'failed', percent: 40, status: 'disk full' });
    await page.waitForSelector('#end:has-text("failed")', WAIT);
    expect(await bar()).toEqual([40, 'failed', 'disk full']);
  });

  it('close() stops for good: state closed, sends rejected', async () => {
    const { page } = await openModern();
    const after = await page.evaluate(async () => {
      const { c } = window as unknown as Modern;
      c.close();
      const code = await c.echo('too late').catch((error: { code: string }) => error.code);
      return { state: c.state, code, pending: c.pending };
    });
    expect(after).toEqual({ state: 'closed', code: 'CLOSED', pending: 0 });
  });

  it('reconnects after the relay drops the connection and delivers what was sent meanwhile', async () => {
    const page = await openDemo();
    const first = (await page.textContent('#uuid')) as string;
    await page.evaluate(() => {
      const w = window as unknown as { states: string[]; demoClient: { on(t: string, f: (s: string) => void): void } };
      w.states = [];
      w.demoClient.on('state', (state) => w.states.push(state));
    });
    for (const conn of [...relay.hub.browsers()]) conn.terminate();
    await page.waitForFunction(() => (window as unknown as { states: string[] }).states.includes('reconnecting'), undefined, WAIT);
    // Sent while down: queued, then written once the relay is ready again.
    await page.fill('#echo-input', 'queued while offline');
    await page.click('#echo-form button');
    await page.waitForSelector('#state[data-state="open"]', WAIT);
    await page.waitForSelector('#echo-out:has-text("queued while offline")', WAIT);
    expect(await page.evaluate(() => (window as unknown as { states: string[] }).states)).toEqual(['reconnecting', 'open']);
    expect(await page.textContent('#uuid')).toMatch(/^[0-9a-f-]{36}\.[0-9a-f]+$/);
    expect(first).toMatch(/^[0-9a-f-]{36}\.[0-9a-f]+$/);
  });
});
