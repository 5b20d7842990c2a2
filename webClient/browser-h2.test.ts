/**
 * The demo over https in headless Chromium, on a relay whose TLS port offers
 * h2: the page, its scripts and its WebSocket come over HTTP/2, the
 * WebSocket as an RFC 8441 Extended CONNECT stream (the relay records the
 * transport of each connection), and a demo job's progress reaches the page.
 * The Novo SGA panel, served by the same kind of relay, keeps its socket.io
 * WebSocket (a mounted application) on the h2 connection too.
 */
import { Socket } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAddress } from '../include/address.js';
import type { NovosgaEventServer } from '../server/apps/novosga/index.js';
import type { Relay } from '../server/relay.js';
import { startSgaRelay } from '../test/novosga/sga-harness.js';
import { makeSelfSignedCert } from '../test/helpers/tls-cert.js';
import { ensureBuilt, launchChromium, newContext, startDemoRelay } from './browser-harness.js';

let relay: Relay;
let sgaRelay: { relay: Relay; sga: NovosgaEventServer };
let browser: Browser;
let cert: ReturnType<typeof makeSelfSignedCert>;

beforeAll(async () => {
  await ensureBuilt();
  cert = makeSelfSignedCert();
  relay = await startDemoRelay(
    { stepMs: 40 },
    { address: parseAddress('wss://127.0.0.1:0'), certFile: cert.certFile, pkFile: cert.pkFile },
  );
  sgaRelay = await startSgaRelay({ address: parseAddress('wss://127.0.0.1:0'), certFile: cert.certFile, pkFile: cert.pkFile });
  browser = await launchChromium(['--ignore-certificate-errors']);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await relay?.stop();
  await sgaRelay?.relay.stop();
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

describe('a mounted application over https with HTTP/2', () => {
  it('the Novo SGA panel fetched over h2 opens its socket.io WebSocket as an Extended CONNECT and registers', async () => {
    const sockets: unknown[] = [];
    sgaRelay.sga.io.engine.on('connection', (conn: { request: { socket: unknown } }) => sockets.push(conn.request.socket));
    const errors: string[] = [];
    const context = await newContext(browser, { ignoreHTTPSErrors: true }, (message) => errors.push(message));
    try {
      const page = await context.newPage();
      await page.goto(sgaRelay.relay.httpUrl('/novosga/panel.html?unity=1&services=4'));
      await page.waitForSelector('#state[data-state="registered"]', { timeout: 10_000 });
      const protocol = await page.evaluate(
        () => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined)?.nextHopProtocol,
      );
      expect(protocol).toBe('h2');
      // The panel connects with transports ['websocket'] only; over HTTP/1.1 its socket would be a TLS socket.
      expect(sockets).toHaveLength(1);
      expect(sockets[0]).not.toBeInstanceOf(Socket);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
