/**
 * pusher-js 8 and Laravel Echo 2 in headless Chromium against a live relay.
 * The test serves what a Laravel app would: the page, the scripts, and the
 * auth endpoints (`/broadcasting/auth`, user sign-in) signing with the
 * `pusher` server SDK; events are triggered through the relay's Pusher HTTP
 * API with the same SDK, as Laravel's broadcaster does.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type Pusher from 'pusher';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pusherApp } from '../../server/pusher/apps/pusher-app.js';
import type { Relay } from '../../server/relay.js';
import { launchChromium, newContext } from '../../webClient/browser-harness.js';
import { startRelay } from '../helpers/relay-fixture.js';
import { serverSdk, until } from './ws-clients.js';

const require = createRequire(import.meta.url);
/** The packages' own browser builds, read from their folders (laravel-echo's exports do not list the IIFE). */
function packageFile(name: string, file: string): string {
  let dir = dirname(require.resolve(name));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return readFileSync(join(dir, file), 'utf8');
}
const PUSHER_JS = packageFile('pusher-js', 'dist/web/pusher-with-encryption.min.js');
const ECHO_JS = packageFile('laravel-echo', 'dist/echo.iife.js');
const APP = pusherApp({ id: '301', key: 'browser-key', secret: 'browser-secret' });
const MASTER_KEY = Buffer.alloc(32, 9).toString('base64');

let relay: Relay;
let site: Server;
let sdk: Pusher;
let browser: Browser;
const pages: Page[] = [];
let pageErrors: string[] = [];

/** Reads an application/x-www-form-urlencoded body (what pusher-js posts to auth endpoints). */
function form(req: import('node:http').IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => resolve(new URLSearchParams(body)));
  });
}

/** The Laravel side: a page per user, the scripts, and the auth endpoints. */
function startSite(): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const [, kind, user] = url.pathname.split('/');
    if (url.pathname === '/pusher.js' || url.pathname === '/echo.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(url.pathname === '/pusher.js' ? PUSHER_JS : ECHO_JS);
      return;
    }
    if (kind === 'page') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><script src="/pusher.js"></script><script src="/echo.js"></script><body>${user}</body>`);
      return;
    }
    if (kind === 'auth' || kind === 'user-auth') {
      void form(req).then((body) => {
        const socketId = body.get('socket_id') ?? '';
        const channel = body.get('channel_name') ?? '';
        if (user === 'mallory') {
          res.writeHead(403, { 'content-type': 'application/json' });
          res.end('{"message":"Forbidden"}');
          return;
        }
        const answer =
          kind === 'user-auth'
            ? sdk.authenticateUser(socketId, { id: user!, name: user })
            : sdk.authorizeChannel(
                socketId,
                channel,
                channel.startsWith('presence-') ? { user_id: user!, user_info: { name: user } } : undefined,
              );
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
      });
      return;
    }
    res.writeHead(404);
    res.end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function sitePort(): number {
  return (site.address() as { port: number }).port;
}

beforeAll(async () => {
  relay = await startRelay({ pusherApps: [APP] });
  sdk = serverSdk(APP, relay, MASTER_KEY);
  site = await startSite();
  browser = await launchChromium();
}, 120_000);

afterEach(async () => {
  for (const page of pages.splice(0)) await page.context().close();
  const errors = pageErrors;
  pageErrors = [];
  expect(errors, 'uncaught errors in the page').toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await relay?.stop();
  await new Promise((resolve) => site?.close(resolve));
});

/** A page of `user` with Echo connected through `broadcaster` ('pusher' or 'reverb'); `window.log` collects what it sees. */
async function echoPage(user: string, broadcaster: 'pusher' | 'reverb' = 'reverb'): Promise<Page> {
  const context = await newContext(browser, {}, (message) => pageErrors.push(message));
  const page = await context.newPage();
  pages.push(page);
  await page.goto(`http://127.0.0.1:${sitePort()}/page/${user}`);
  await page.evaluate(
    ({ key, port, user, broadcaster }) => {
      const w = globalThis as unknown as Record<string, unknown> & { Echo: { default: new (o: object) => unknown } };
      w.log = [];
      const options = {
        broadcaster,
        key,
        wsHost: '127.0.0.1',
        wsPort: port,
        wssPort: port,
        forceTLS: false,
        enabledTransports: ['ws'],
        cluster: 'local',
        disableStats: true,
        authEndpoint: `/auth/${user}`,
        userAuthentication: { endpoint: `/user-auth/${user}`, transport: 'ajax' },
      };
      w.echo = new w.Echo.default(options);
    },
    { key: APP.key, port: relay.port, user, broadcaster },
  );
  await page.waitForFunction(() => {
    const echo = (globalThis as unknown as { echo: { connector: { pusher: { connection: { state: string } } } } }).echo;
    return echo.connector.pusher.connection.state === 'connected';
  });
  return page;
}

/** The part of Echo (and its pusher-js) the pages use, loosely typed: it runs in the page. */
interface EchoChannel {
  listen(event: string, callback: (data: never) => void): EchoChannel;
  listenForWhisper(event: string, callback: (data: never) => void): EchoChannel;
  whisper(event: string, data: unknown): EchoChannel;
  here(callback: (users: never) => void): EchoChannel;
  joining(callback: (user: never) => void): EchoChannel;
  leaving(callback: (user: never) => void): EchoChannel;
  error(callback: (error: never) => void): EchoChannel;
}
interface EchoWindow {
  log: unknown[];
  echo: {
    channel(name: string): EchoChannel;
    private(name: string): EchoChannel;
    join(name: string): EchoChannel;
    encryptedPrivate(name: string): EchoChannel;
    connector: {
      pusher: {
        signin(): void;
        user: { bind(event: string, callback: (data: unknown) => void): void };
        subscribe(name: string): { bind(event: string, callback: (data: unknown) => void): void };
      };
    };
  };
}

/** What the page logged so far. */
function log(page: Page): Promise<unknown[]> {
  return page.evaluate(() => (globalThis as unknown as { log: unknown[] }).log);
}

async function logged(page: Page, count: number): Promise<unknown[]> {
  await page.waitForFunction((n) => (globalThis as unknown as { log: unknown[] }).log.length >= n, count, { timeout: 10_000 });
  return log(page);
}

describe('Laravel Echo 2 in Chromium', () => {
  it('public and private channels receive events broadcast through the HTTP API (reverb and pusher broadcasters)', async () => {
    for (const broadcaster of ['reverb', 'pusher'] as const) {
      const page = await echoPage('ann', broadcaster);
      await page.evaluate(() => {
        const w = globalThis as unknown as EchoWindow;
        w.echo.channel('orders').listen('.OrderShipped', (e: unknown) => w.log.push(['public', e]));
        w.echo.private('user.ann').listen('.Notice', (e: unknown) => w.log.push(['private', e]));
      });
      await until(async () => (await relay.engine.channels.channel(APP.id, 'private-user.ann')).subscriptionCount === 1);
      await until(async () => (await relay.engine.channels.channel(APP.id, 'orders')).subscriptionCount === 1);
      await sdk.trigger('orders', 'OrderShipped', { id: 1 });
      await sdk.trigger('private-user.ann', 'Notice', { text: 'hi' });
      expect(await logged(page, 2)).toEqual([
        ['public', { id: 1 }],
        ['private', { text: 'hi' }],
      ]);
      await page.context().close();
      pages.splice(pages.indexOf(page), 1);
      await until(async () => (await relay.engine.channels.channels(APP.id, '')).size === 0);
    }
  });

  it('a refused authorisation reaches Echo’s error callback', async () => {
    const page = await echoPage('mallory');
    await page.evaluate(() => {
      const w = globalThis as unknown as EchoWindow;
      w.echo.private('secrets').error((e: { status?: number }) => w.log.push(['error', e.status]));
    });
    expect(await logged(page, 1)).toEqual([['error', 403]]);
  });

  it('presence: here, joining, leaving, across pages; whispers reach the others and not the sender', async () => {
    const ann = await echoPage('ann');
    await ann.evaluate(() => {
      const w = globalThis as unknown as EchoWindow;
      w.echo
        .join('room.1')
        .here((users: { name: string }[]) => w.log.push(['here', users.map((u) => u.name).sort()]))
        .joining((u: { name: string }) => w.log.push(['joining', u.name]))
        .leaving((u: { name: string }) => w.log.push(['leaving', u.name]))
        .listenForWhisper('typing', (e: { who: string }) => {
          w.log.push(['whisper', e]);
          // Answer: bob's page gets this after its own whisper would have come back to it.
          w.echo.join('room.1').whisper('typing', { who: 'ann' });
        });
    });
    expect(await logged(ann, 1)).toEqual([['here', ['ann']]]);
    const bob = await echoPage('bob', 'pusher');
    await bob.evaluate(() => {
      const w = globalThis as unknown as EchoWindow;
      const channel = w.echo.join('room.1');
      channel.here((users: { name: string }[]) => {
        w.log.push(['here', users.map((u) => u.name).sort()]);
        channel.whisper('typing', { who: 'bob' });
      });
      channel.listenForWhisper('typing', (e: unknown) => w.log.push(['whisper', e]));
    });
    expect(await logged(ann, 3)).toEqual([
      ['here', ['ann']],
      ['joining', 'bob'],
      ['whisper', { who: 'bob' }],
    ]);
    // Bob's own whisper never came back to him: the answer to it did (sent after his would have arrived).
    expect(await logged(bob, 2)).toEqual([
      ['here', ['ann', 'bob']],
      ['whisper', { who: 'ann' }],
    ]);
    await bob.context().close();
    pages.splice(pages.indexOf(bob), 1);
    expect(await logged(ann, 4)).toEqual([
      ['here', ['ann']],
      ['joining', 'bob'],
      ['whisper', { who: 'bob' }],
      ['leaving', 'bob'],
    ]);
    // The sender's own page never saw its whisper (checked before it closed: only `here` was logged).
  });

  it('encrypted private channels: the SDK encrypts, the page decrypts with the shared_secret of the auth answer', async () => {
    const page = await echoPage('ann');
    await page.evaluate(() => {
      const w = globalThis as unknown as EchoWindow;
      w.echo.encryptedPrivate('vault').listen('.Secret', (e: unknown) => w.log.push(['secret', e]));
    });
    await until(async () => (await relay.engine.channels.channel(APP.id, 'private-encrypted-vault')).subscriptionCount === 1);
    await sdk.trigger('private-encrypted-vault', 'Secret', { code: 42 });
    expect(await logged(page, 1)).toEqual([['secret', { code: 42 }]]);
  });

  it('sign-in: a user event reaches the signed-in page', async () => {
    const page = await echoPage('carol', 'pusher');
    await page.evaluate(() => {
      const w = globalThis as unknown as EchoWindow;
      const pusher = w.echo.connector.pusher;
      pusher.user.bind('notice', (e: unknown) => w.log.push(['user', e]));
      pusher.signin();
    });
    await until(async () => (await relay.engine.channels.channel(APP.id, '#server-to-user-carol')).subscriptionCount === 1);
    await relay.engine.channels.publish(APP.id, { event: 'notice', channel: '#server-to-user-carol', data: '{"n":1}' }, null);
    expect(await logged(page, 1)).toEqual([['user', { n: 1 }]]);
  });
});

describe('pusher-js 8 in Chromium', () => {
  it('cache channels: the last event on subscribe; client events not echoed', async () => {
    await sdk.trigger('cache-status', 'Progress', { percent: 75 });
    const page = await echoPage('dan');
    await page.evaluate(() => {
      const w = globalThis as unknown as EchoWindow;
      const pusher = w.echo.connector.pusher;
      pusher.subscribe('cache-status').bind('Progress', (e: unknown) => w.log.push(['cached', e]));
    });
    expect(await logged(page, 1)).toEqual([['cached', { percent: 75 }]]);
  });
});
