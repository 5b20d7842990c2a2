/**
 * The Pusher HTTP API of a live relay, driven by the `pusher` Node SDK
 * (5.x, what Laravel's Node counterparts and Soketi's tests use) for every
 * endpoint, and by hand-made requests for each refusal. Events to a page
 * channel (`private-websock-page-{uuid}`) reach a page of the relay's own
 * protocol.
 */
import Pusher from 'pusher';
import { afterEach, describe, expect, it } from 'vitest';
import { SUBPROTOCOL_V2 } from '../../include/protocol.js';
import { pusherApp } from '../../server/pusher/apps/pusher-app.js';
import { md5Hex, signedParams } from '../../server/pusher/http/request-signature.js';
import type { Relay } from '../../server/relay.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

const APP = pusherApp({ id: '4242', key: 'http-key', secret: 'http-secret-for-tests' });
const OTHER = pusherApp({
  name: 'other',
  id: '77',
  key: 'other-key',
  secret: 'other-secret',
  limits: { maxEventsPerBatch: 2, maxEventBytes: 100 },
});

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function relayWithApps(): Promise<Relay> {
  return cleanup.add(await startRelay({ pusherApps: [APP, OTHER] }), (r) => r.stop());
}

function sdk(relay: Relay, app: { id: string; key: string; secret: string } = APP): Pusher {
  return new Pusher({ appId: app.id, key: app.key, secret: app.secret, host: '127.0.0.1', port: String(relay.port), useTLS: false });
}

/** A request signed by hand (to get each part wrong on purpose). */
async function signedFetch(
  relay: Relay,
  method: 'GET' | 'POST',
  path: string,
  body: string | null,
  options: {
    app?: { key: string; secret: string };
    now?: number;
    extra?: Record<string, string>;
    tamper?: (p: Record<string, string>) => void;
  } = {},
): Promise<{ status: number; body: { error?: string; code?: string; [k: string]: unknown } }> {
  const params = signedParams(options.app ?? APP, method, path, body, options.now ?? Math.floor(Date.now() / 1000), options.extra);
  options.tamper?.(params);
  const response = await fetch(`${relay.httpUrl(path)}?${new URLSearchParams(params)}`, {
    method,
    ...(body !== null ? { body, headers: { 'content-type': 'application/json' } } : {}),
  });
  return { status: response.status, body: (await response.json()) as { error?: string; code?: string } };
}

/** The status and body of the SDK's RequestError. */
async function sdkRefusal(promise: Promise<unknown>): Promise<{ status: number; body: { code?: string; error?: string } }> {
  try {
    await promise;
  } catch (error) {
    const { status, body } = error as { status: number; body: string };
    return { status, body: JSON.parse(body) as { code?: string } };
  }
  throw new Error('expected the SDK call to fail');
}

describe('Pusher HTTP API with the pusher SDK', () => {
  it('events and batch_events reach a page through its page channel, with info', async () => {
    const relay = await relayWithApps();
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), { protocols: [SUBPROTOCOL_V2] }), (p) => p.close());
    const channel = `private-websock-page-${page.uuid}`;
    const pusher = sdk(relay);

    const answer = await pusher.trigger(channel, 'job-progress', { percent: 40 }, { info: 'subscription_count' });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ channels: { [channel]: { subscription_count: 1 } } });
    expect(await page.nextPacket()).toMatchObject({ opcode: 'feedback', event: 'job-progress', channel, message: { percent: 40 } });

    const batch = await pusher.triggerBatch([
      { channel, name: 'step', data: 'one' },
      { channel, name: 'step', data: { n: 2 } },
    ]);
    expect(await batch.json()).toEqual({});
    expect(await page.nextPacket()).toMatchObject({ event: 'step', message: 'one' });
    expect(await page.nextPacket()).toMatchObject({ event: 'step', message: { n: 2 } });

    // A page that is not there: published (Pusher publishes to empty channels), and said so by info.
    const nobody = await pusher.trigger('private-websock-page-nobody', 'x', {}, { info: 'subscription_count' });
    expect(await nobody.json()).toEqual({ channels: { 'private-websock-page-nobody': { subscription_count: 0 } } });
  });

  it('channels, channel, users and terminate_connections answer in Pusher’s shapes', async () => {
    const relay = await relayWithApps();
    const pusher = sdk(relay);
    expect(await (await pusher.get({ path: '/channels' })).json()).toEqual({ channels: {} });
    expect(await (await pusher.get({ path: '/channels', params: { filter_by_prefix: 'presence-', info: 'user_count' } })).json()).toEqual({
      channels: {},
    });
    expect(await (await pusher.get({ path: '/channels/presence-room', params: { info: 'subscription_count,user_count' } })).json()).toEqual(
      {
        occupied: false,
        subscription_count: 0,
        user_count: 0,
      },
    );
    expect(await (await pusher.get({ path: '/channels/presence-room/users' })).json()).toEqual({ users: [] });
    expect((await pusher.terminateUserConnections('user-1')).status).toBe(200);
  });

  it('refuses an unknown app (404), a wrong secret (401) and requests over the app’s limits (413)', async () => {
    const relay = await relayWithApps();
    expect(await sdkRefusal(sdk(relay, { ...APP, id: '999' }).trigger('orders', 'e', {}))).toMatchObject({
      status: 404,
      body: { code: 'PUSHER_UNKNOWN_APP' },
    });
    expect(await sdkRefusal(sdk(relay, { ...APP, secret: 'wrong' }).trigger('orders', 'e', {}))).toMatchObject({
      status: 401,
      body: { code: 'PUSHER_AUTH_FAILED' },
    });
    // The other app's key with this app's id.
    expect(await sdkRefusal(sdk(relay, { ...OTHER, id: APP.id }).trigger('orders', 'e', {}))).toMatchObject({
      status: 401,
      body: { code: 'PUSHER_AUTH_FAILED' },
    });
    const other = sdk(relay, OTHER);
    const batch = [1, 2, 3].map((n) => ({ channel: 'orders', name: 'e', data: String(n) }));
    expect(await sdkRefusal(other.triggerBatch(batch))).toMatchObject({
      status: 413,
      body: { code: 'PUSHER_TOO_LARGE', error: expect.stringMatching(/at most 2 events/) },
    });
    expect(await sdkRefusal(other.trigger('orders', 'e', 'x'.repeat(101)))).toMatchObject({
      status: 413,
      body: { error: expect.stringMatching(/at most 100/) },
    });
    expect(await sdkRefusal(sdk(relay).get({ path: '/channels/orders', params: { info: 'user_count' } }))).toMatchObject({
      status: 400,
      body: { code: 'PUSHER_BAD_REQUEST' },
    });
  });
});

describe('Pusher HTTP API refusals, request by request', () => {
  const path = `/apps/${APP.id}/events`;
  const body = JSON.stringify({ name: 'e', channels: ['orders'], data: '{}' });

  it('accepts the well-signed request these variations start from', async () => {
    const relay = await relayWithApps();
    expect(await signedFetch(relay, 'POST', path, body)).toEqual({ status: 200, body: {} });
  });

  it('a bad signature, an old timestamp, a body that is not the signed one: 401 with Pusher’s reasons', async () => {
    const relay = await relayWithApps();
    const now = Math.floor(Date.now() / 1000);
    const cases = [
      [
        await signedFetch(relay, 'POST', path, body, { tamper: (p) => (p.auth_signature = 'f'.repeat(64)) }),
        'PUSHER_AUTH_FAILED',
        /auth_signature is wrong/,
      ],
      [await signedFetch(relay, 'POST', path, body, { now: now - 601 }), 'PUSHER_TIMESTAMP_EXPIRED', /not within 600 s/],
      [
        await signedFetch(relay, 'POST', path, body, { tamper: (p) => (p.body_md5 = md5Hex('other')) }),
        'PUSHER_AUTH_FAILED',
        /body_md5 is not the MD5/,
      ],
      [
        await signedFetch(relay, 'POST', path, body, { tamper: (p) => delete p.auth_signature }),
        'PUSHER_AUTH_FAILED',
        /auth_signature is missing/,
      ],
      [
        await signedFetch(relay, 'POST', path, body, { app: { key: APP.key, secret: 'guess' } }),
        'PUSHER_AUTH_FAILED',
        /auth_signature is wrong/,
      ],
    ] as const;
    for (const [answer, code, message] of cases)
      expect(answer).toEqual({ status: 401, body: { code, error: expect.stringMatching(message) } });
  });

  it('unknown apps and endpoints, wrong methods, bad bodies and queries: clear errors', async () => {
    const relay = await relayWithApps();
    expect(await signedFetch(relay, 'POST', '/apps/nope/events', body)).toMatchObject({
      status: 404,
      body: { code: 'PUSHER_UNKNOWN_APP' },
    });
    expect(await signedFetch(relay, 'GET', `/apps/${APP.id}/nothing`, null)).toMatchObject({
      status: 404,
      body: { code: 'PUSHER_NOT_FOUND' },
    });
    expect(await signedFetch(relay, 'GET', path, null)).toMatchObject({ status: 405, body: { code: 'PUSHER_METHOD_NOT_ALLOWED' } });
    for (const bad of [
      '{',
      '[]',
      '{"name":"e","data":"x"}',
      '{"name":"e","channels":["bad channel"],"data":"x"}',
      '{"name":"","channels":["a"],"data":"x"}',
      '{"name":"e","channels":["a"],"data":"x","socket_id":"nope"}',
    ]) {
      expect(await signedFetch(relay, 'POST', path, bad)).toMatchObject({ status: 400, body: { code: 'PUSHER_BAD_REQUEST' } });
    }
    const many = JSON.stringify({ name: 'e', channels: Array.from({ length: 101 }, (_, i) => `c${i}`), data: 'x' });
    expect(await signedFetch(relay, 'POST', path, many)).toMatchObject({
      status: 413,
      body: { error: expect.stringMatching(/at most 100 channels/) },
    });
    const twice = await fetch(`${relay.httpUrl(`/apps/${APP.id}/channels`)}?auth_key=a&auth_key=b`);
    expect([twice.status, ((await twice.json()) as { code: string }).code]).toEqual([400, 'PUSHER_BAD_REQUEST']);
  });

  it('a body past the bound is refused before it is read to the end', async () => {
    const relay = await relayWithApps();
    const huge = JSON.stringify({ name: 'e', channels: ['a'], data: 'x'.repeat(4 * 1024 * 1024) });
    expect(await signedFetch(relay, 'POST', path, huge)).toMatchObject({ status: 413, body: { code: 'PUSHER_TOO_LARGE' } });
  });

  it('counts requests per app in /metrics', async () => {
    const relay = await relayWithApps();
    await signedFetch(relay, 'POST', path, body);
    await signedFetch(relay, 'POST', '/apps/nope/events', body);
    const text = await (await fetch(relay.httpUrl('/metrics'))).text();
    expect(text).toMatch(/websock_pusher_api_requests_total\{app="default",endpoint="events",status="200"\} 1/);
    expect(text).toMatch(/websock_pusher_api_requests_total\{app="-",endpoint="unknown",status="404"\} 1/);
    expect(text).toMatch(/websock_pusher_api_events_total\{app="default"\} 1/);
  });
});
