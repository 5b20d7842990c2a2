/**
 * The demo over https in headless Chromium, on a relay whose TLS port offers
 * h2: the page, its scripts and its WebSocket come over HTTP/2, the
 * WebSocket as an RFC 8441 Extended CONNECT stream (the relay records the
 * transport of each connection), and a demo job's progress reaches the page.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAddress } from '../include/address.js';
import type { Relay } from '../server/relay.js';
import { makeSelfSignedCert } from '../test/helpers/tls-cert.js';
import { ensureBuilt, launchChromium, newContext, startDemoRelay } from './browser-harness.js';

let relay: Relay;
let browser: Browser;
let cert: ReturnType<typeof makeSelfSignedCert>;

beforeAll(async () => {
  await ensureBuilt();
  cert = makeSelfSignedCert();
  relay = await startDemoRelay(
    { stepMs: 40 },
    { address: parseAddress('wss://127.0.0.1:0'), certFile: cert.certFile, pkFile: cert.pkFile },
  );
  browser = await launchChromium(['--ignore-certificate-errors']);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await relay?.stop();
  cert?.remove();
});

describe('the demo over https with HTTP/2', () => {
  it('is fetched over h2, opens its WebSocket as an h2 Extended CONNECT, and a job reports progress to it', async () => {
    const errors: string[] = [];
    const context = await newContext(browser, { ignoreHTTPSErrors: true }, (message) => errors.push(message));
    try {
      const page = await context.newPage();
      await page.goto(relay.httpUrl('/'));
      await page.waitForSelector('#state[data-state="open"]', { timeout: 10_000 });
      const protocol = await page.evaluate(
        () => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined)?.nextHopProtocol,
      );
      expect(protocol).toBe('h2');
      const uuid = (await page.textContent('#uuid')) ?? '';
      const conn = [...relay.hub.browsers()].find((c) => c.uuid === uuid);
      expect(conn?.transport).toBe('h2');
      await page.click('#start');
      await page.waitForSelector('#result:not([hidden])', { timeout: 15_000 }).catch(async (error: Error) => {
        throw new Error(`${error.message}; page log: ${await page.textContent('body')}`);
      });
      expect(await page.textContent('#percent')).toBe('100 %');
      expect(await page.$eval('#bar', (bar) => bar.getAttribute('data-state'))).toBe('done');
      // Every WebSocket the relay has from this browser came over h2.
      expect([...relay.hub.browsers()].every((c) => c.transport === 'h2')).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
