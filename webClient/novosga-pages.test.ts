/**
 * The panel and attendant pages in headless Chromium against a real relay:
 * a ticket called on the attendant page shows large on the panel, the
 * previous one moves to the list below; a panel of another service does
 * not show it; a 2.x Node client sees the same call.
 */
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NovosgaClientEvent as C, NovosgaServerEvent as S } from '../include/novosga-events.js';
import type { Relay } from '../server/relay.js';
import { artifacts, ensureBuilt, launchChromium, newContext } from './browser-harness.js';
import { SGA_SECRET, SgaClient, startSgaRelay } from '../test/novosga/sga-harness.js';

const WAIT = { timeout: 10_000 };

let relay: Relay;
let browser: Browser;
let context: BrowserContext;
const pageErrors: string[] = [];

beforeAll(async () => {
  await ensureBuilt();
  ({ relay } = await startSgaRelay());
  browser = await launchChromium();
  context = await newContext(browser, { viewport: { width: 1280, height: 720 } }, (message) => pageErrors.push(message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await relay?.stop();
});

async function open(path: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(relay.httpUrl(path));
  return page;
}

describe('the Novo SGA pages in Chromium', () => {
  it('the panel shows a ticket called from the attendant page, and the one before below it', async () => {
    const panel = await open('/novosga/panel.html?unity=1&services=4,5');
    const otherService = await open('/novosga/panel.html?unity=1&services=6');
    for (const page of [panel, otherService]) await page.waitForSelector('#state[data-state="registered"]', WAIT);
    expect(await panel.isHidden('#setup')).toBe(true);
    // A Node client of the product's version watches the same service.
    const node = await SgaClient.connect(relay, 'v2-websocket');
    await node.register(C.RegisterPanel, { unity: 1, services: [4] });

    const attendant = await open('/novosga/attendant.html');
    await attendant.fill('#secret', SGA_SECRET);
    await attendant.fill('#service', '4');
    await attendant.fill('#ticket', 'A041');
    await attendant.fill('#desk', 'Desk 3');
    await attendant.click('#connect');
    await attendant.waitForSelector('#state[data-state="registered"]', WAIT);
    await attendant.click('#call-button');

    await panel.waitForFunction(() => document.querySelector('#ticket')?.textContent === 'A041', undefined, WAIT);
    expect(await panel.textContent('#desk')).toBe('Desk 3');
    const [call] = await node.nextOf(S.CallTicket);
    expect(call).toMatchObject({ unity: 1, service: 4, ticket: 'A041', desk: 'Desk 3' });
    // The label counted up; the next call pushes A041 into the list.
    expect(await attendant.inputValue('#ticket')).toBe('A042');
    await attendant.click('#call-button');
    await panel.waitForFunction(() => document.querySelector('#ticket')?.textContent === 'A042', undefined, WAIT);
    expect(await panel.textContent('#history li')).toBe('A041 · Desk 3');
    // The ticket is big: a TV across a room must read it.
    const height = await panel.$eval('#ticket', (element) => element.getBoundingClientRect().height);
    expect(height).toBeGreaterThan(720 * 0.2);
    await panel.screenshot({ path: join(artifacts, 'novosga-panel.png') });

    // Barrier for the other panel: a call of its own service after both.
    await attendant.fill('#service', '6');
    await attendant.fill('#ticket', 'C001');
    await attendant.click('#call-button');
    await otherService.waitForFunction(() => document.querySelector('#ticket')?.textContent === 'C001', undefined, WAIT);
    expect(await otherService.$$eval('#history li', (items) => items.length)).toBe(0);
    await attendant.waitForFunction(() => document.querySelectorAll('#log li').length >= 4, undefined, WAIT);
    expect(await attendant.textContent('#log')).toContain('update queue');

    node.close();
    expect(pageErrors).toEqual([]);
  });

  it('the panel asks for its unity and services when opened without them, and says when the secret is wrong', async () => {
    const setup = await open('/novosga/panel.html');
    await setup.waitForSelector('#setup:not([hidden])', WAIT);
    await setup.fill('input[name="services"]', '2, 3');
    await setup.click('#setup button');
    await setup.waitForSelector('#state[data-state="registered"]', WAIT);
    expect(new URL(setup.url()).searchParams.get('services')).toBe('2, 3');

    const attendant = await open('/novosga/attendant.html');
    await attendant.fill('#secret', 'not the secret');
    await attendant.click('#connect');
    await attendant.waitForFunction(() => document.querySelector('#log')?.textContent?.includes('wrong secret'), undefined, WAIT);
    await attendant.waitForSelector('#state[data-state="closed"]', WAIT);
    expect(await attendant.isDisabled('#call-button')).toBe(true);
  });
});
