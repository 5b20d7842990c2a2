/**
 * The demo's jobs in headless Chromium against a real relay: Cancel stops
 * the backend job, and a relay restarted mid-job leaves the page with the job
 * shown lost and Start enabled again.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Relay } from '../server/relay.js';
import { parseAddress } from '../include/address.js';
import { ensureBuilt, launchChromium, newContext, startDemoRelay } from './browser-harness.js';

const WAIT = { timeout: 15_000 };
let browser: Browser;
let context: BrowserContext | null = null;
const relays: Relay[] = [];
let pageErrors: string[] = [];

beforeAll(async () => {
  await ensureBuilt();
  browser = await launchChromium();
}, 240_000);

afterEach(async () => {
  await context?.close();
  context = null;
  for (const relay of relays.splice(0)) await relay.stop();
  const errors = pageErrors;
  pageErrors = [];
  expect(errors, 'uncaught errors in the page').toEqual([]);
});

afterAll(async () => {
  await browser?.close();
});

async function demoPage(relay: Relay): Promise<Page> {
  context = await newContext(browser, { viewport: { width: 1100, height: 900 } }, (message) => pageErrors.push(message));
  const page = await context.newPage();
  await page.goto(relay.httpUrl('/'));
  await page.waitForSelector('#state[data-state="open"]', WAIT);
  return page;
}

describe('demo jobs', () => {
  it('Cancel stops the running job: the page shows it cancelled and can start another', async () => {
    const relay = await startDemoRelay({ stepMs: 300 });
    relays.push(relay);
    const page = await demoPage(relay);
    await page.click('#start');
    // Running: some progress arrived and Cancel is on.
    await page.waitForFunction(() => Number((document.getElementById('bar') as HTMLProgressElement).value) > 0, undefined, WAIT);
    await page.waitForSelector('#cancel:enabled', WAIT);
    expect(await page.isEnabled('#start')).toBe(false);
    await page.click('#cancel');
    await page.waitForSelector('#result:not([hidden])', WAIT);
    expect(await page.textContent('#result')).toBe('✗ Cancelled');
    expect(await page.getAttribute('#bar', 'data-state')).toBe('failed');
    const log = await page.$$eval('#log li span', (spans) => spans.map((s) => s.textContent));
    expect(log.at(-1)).toMatch(/^Job job-\w+ cancelled by the page at step \d+\/20$/);
    expect(await page.isEnabled('#start')).toBe(true);
    expect(await page.isEnabled('#cancel')).toBe(false);
  });

  it('a relay restarted mid-job: the page shows the job lost and can start a new one', async () => {
    const first = await startDemoRelay({ stepMs: 300 }, { jobGraceMs: 300 });
    const port = first.port;
    const page = await demoPage(first);
    await page.click('#start');
    await page.waitForFunction(() => Number((document.getElementById('bar') as HTMLProgressElement).value) > 0, undefined, WAIT);
    await first.stop(); // kills the demo job with it, as a Ctrl-C of the relay would
    const second = await startDemoRelay({ stepMs: 40 }, { jobGraceMs: 300, address: parseAddress(`ws://127.0.0.1:${port}`) });
    relays.push(second);
    await page.waitForSelector('#result[data-state="lost"]', WAIT);
    expect(await page.textContent('#result')).toBe('✗ Lost: the relay restarted while the job ran');
    expect(await page.getAttribute('#bar', 'data-state')).toBe('lost');
    await page.waitForSelector('#start:enabled', WAIT);
    await page.click('#start');
    await page.waitForSelector('#result[data-state="done"]', WAIT);
    expect(await page.textContent('#result')).toMatch(/^✓ Done: 20 items processed/);
  });
});
