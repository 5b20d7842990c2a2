import { afterEach, describe, expect, it } from 'vitest';
import type { RelayConfig } from '../../server/config/relay-config.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';
import { get, post, RawHttp } from './http-client.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function relayWithApi(overrides: Partial<RelayConfig> = {}) {
  const relay = cleanup.add(await startRelay(overrides), (r) => r.stop());
  return relay;
}

async function raw(port: number): Promise<RawHttp> {
  return cleanup.add(await RawHttp.open(port), (c) => c.destroy());
}

/** The relay still answers after whatever the test did to it. */
async function stillServes(relay: { httpUrl(path: string): string }): Promise<void> {
  expect((await get(relay.httpUrl('/health'))).status).toBe(200);
  expect((await post(relay.httpUrl('/feedback'), { uuid: 'nobody', message: 'x' }, { authorization: 'Bearer s3cret' })).status).toBe(404);
}

describe('publish auth', () => {
  it('with publishSecret: 401 and a challenge when missing, 403 when wrong, through when right', async () => {
    const relay = await relayWithApi({ publishSecret: 's3cret' });
    const page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const body = { uuid: page.uuid, message: 'x' };
    const missing = await post(relay.httpUrl('/feedback'), body);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
    expect(missing.json).toMatchObject({ code: 'UNAUTHORIZED', error: expect.stringMatching(/Authorization: Bearer/) });
    const basic = await post(relay.httpUrl('/feedback'), body, { authorization: 'Basic czNjcmV0' });
    expect(basic.status).toBe(401);
    const wrong = await post(relay.httpUrl('/feedback'), body, { authorization: 'Bearer s3cre7' });
    expect(wrong.status).toBe(403);
    expect(wrong.json).toEqual({ code: 'FORBIDDEN', error: 'the bearer secret is wrong' });
    const batch = await post(relay.httpUrl('/feedback/batch'), [body], { authorization: 'Bearer nope' });
    expect(batch.status).toBe(403);
    // Nothing refused reached the page.
    const right = await post(relay.httpUrl('/feedback'), { ...body, message: 'authorized' }, { authorization: 'Bearer s3cret' });
    expect(right.json).toEqual({ outcome: 'delivered' });
    expect((await page.nextPacket()).message).toBe('authorized');
  });

  it('with a secret, the address does not matter (even outside allowedIP)', async () => {
    const relay = await relayWithApi({ publishSecret: 's3cret', allowedIP: ['192.0.2.1'] });
    const answer = await post(relay.httpUrl('/feedback'), { uuid: 'nobody', message: 'x' }, { authorization: 'Bearer s3cret' });
    expect(answer.status).toBe(404);
  });

  it('without a secret: only allowedIP may publish', async () => {
    const closed = await relayWithApi({ allowedIP: ['192.0.2.1'] });
    const refused = await post(closed.httpUrl('/feedback'), { uuid: 'nobody', message: 'x' }, { authorization: 'Bearer anything' });
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ code: 'FORBIDDEN', error: expect.stringMatching(/not allowed from 127\.0\.0\.1/) });
    const open = await relayWithApi({ allowedIP: ['self'] });
    expect((await post(open.httpUrl('/feedback'), { uuid: 'nobody', message: 'x' })).status).toBe(404);
  });

  it('judges the address behind a trusted proxy by X-Forwarded-For', async () => {
    const relay = await relayWithApi({ allowedIP: ['198.51.100.0/24'], trustedProxies: ['127.0.0.1'] });
    const inside = await post(relay.httpUrl('/feedback'), { uuid: 'n', message: 'x' }, { 'x-forwarded-for': '198.51.100.9' });
    expect(inside.status).toBe(404);
    const outside = await post(relay.httpUrl('/feedback'), { uuid: 'n', message: 'x' }, { 'x-forwarded-for': '203.0.113.9' });
    expect(outside.status).toBe(403);
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After past publishRateLimit per second, per IP', async () => {
    const relay = await relayWithApi({ publishRateLimit: 1, trustedProxies: ['127.0.0.1'], allowedIP: ['0.0.0.0/0'] });
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    expect((await post(relay.httpUrl('/feedback'), { uuid: 'n', message: 'x' }, from('198.51.100.1'))).status).toBe(404);
    // The next token comes a second later; two loopback requests in a row take far less.
    const limited = await post(relay.httpUrl('/feedback'), { uuid: 'n', message: 'x' }, from('198.51.100.1'));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.json).toMatchObject({
      code: 'RATE_LIMITED',
      error: expect.stringMatching(/more than 1 publish requests per second from 198\.51\.100\.1/),
    });
    const batch = await post(relay.httpUrl('/feedback/batch'), [], from('198.51.100.1'));
    expect(batch.status).toBe(429);
    // Another client is not affected.
    expect((await post(relay.httpUrl('/feedback'), { uuid: 'n', message: 'x' }, from('198.51.100.2'))).status).toBe(404);
    // Health and metrics are not rate limited.
    expect((await get(relay.httpUrl('/health'))).status).toBe(200);
  });

  it('is off at 0', async () => {
    const relay = await relayWithApi({ publishRateLimit: 0 });
    for (let i = 0; i < 30; i++) expect((await post(relay.httpUrl('/feedback'), { uuid: 'n', message: 'x' })).status).toBe(404);
  });
});

describe('body limits and broken requests', () => {
  const SMALL = { maxMessageBytes: 1024, publishSecret: 's3cret' };
  const AUTH = 'Authorization: Bearer s3cret\r\n';

  it('answers 413 by Content-Length before reading the body, and drops a client that keeps sending', async () => {
    const relay = await relayWithApi(SMALL);
    const client = await raw(relay.port);
    client.write(`POST /feedback HTTP/1.1\r\nHost: x\r\n${AUTH}Content-Type: application/json\r\nContent-Length: 5000000\r\n\r\n{"uuid":`);
    const answer = await client.response();
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({
      code: 'TOO_LARGE',
      error: expect.stringMatching(/at most 1024 bytes.*declares 5000000/),
    });
    // The rest is read and thrown away only up to a bound: past it the connection goes.
    client.write(Buffer.alloc(2 * 1024 * 1024, 0x78));
    await client.closed();
    await stillServes(relay);
  });

  it('answers a large upload refused early in a way fetch can read', async () => {
    const relay = await relayWithApi(SMALL);
    const body = 'x'.repeat(3_000_000);
    const tooLarge = await post(relay.httpUrl('/feedback'), body, { authorization: 'Bearer s3cret' });
    expect(tooLarge.status).toBe(413);
    const wrongSecret = await post(relay.httpUrl('/feedback'), body, { authorization: 'Bearer wrong' });
    expect(wrongSecret.status).toBe(403);
  });

  it('answers 413 with fetch for a body over maxMessageBytes', async () => {
    const relay = await relayWithApi(SMALL);
    const answer = await post(relay.httpUrl('/feedback'), { uuid: 'u', message: 'x'.repeat(2000) }, { authorization: 'Bearer s3cret' });
    expect(answer.status).toBe(413);
    expect(answer.json.code).toBe('TOO_LARGE');
  });

  it('answers 413 while streaming a chunked body that passes the limit, and stops keeping it', async () => {
    const relay = await relayWithApi(SMALL);
    const client = await raw(relay.port);
    client.write(`POST /feedback/batch HTTP/1.1\r\nHost: x\r\n${AUTH}Transfer-Encoding: chunked\r\n\r\n`);
    const piece = 'x'.repeat(600);
    client.write(`${piece.length.toString(16)}\r\n${piece}\r\n`);
    client.write(`${piece.length.toString(16)}\r\n${piece}\r\n`);
    const answer = await client.response();
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'TOO_LARGE', error: expect.stringMatching(/passed 1024 bytes/) });
    const big = 'y'.repeat(2 * 1024 * 1024);
    client.write(`${big.length.toString(16)}\r\n${big}\r\n`);
    await client.closed();
    await stillServes(relay);
  });

  it('survives a huge Content-Length', async () => {
    const relay = await relayWithApi(SMALL);
    for (const length of ['99999999999999', '99999999999999999999999999']) {
      const client = await raw(relay.port);
      client.write(`POST /feedback HTTP/1.1\r\nHost: x\r\n${AUTH}Content-Length: ${length}\r\n\r\n{}`);
      const answer = await client.response();
      expect([400, 413]).toContain(answer.status);
    }
    await stillServes(relay);
  });

  it('survives a body cut short (the client half-closes) and a client aborting mid-body', async () => {
    const relay = await relayWithApi(SMALL);
    const truncated = await raw(relay.port);
    truncated.write(`POST /feedback HTTP/1.1\r\nHost: x\r\n${AUTH}Content-Length: 100\r\n\r\n{"uuid":"u","mess`);
    truncated.socket.end();
    await truncated.closed();
    const aborted = await raw(relay.port);
    aborted.write(`POST /feedback HTTP/1.1\r\nHost: x\r\n${AUTH}Content-Length: 500\r\n\r\n{"uuid":"u",`);
    aborted.socket.resetAndDestroy();
    await aborted.closed();
    const chunkedAbort = await raw(relay.port);
    chunkedAbort.write(`POST /feedback HTTP/1.1\r\nHost: x\r\n${AUTH}Transfer-Encoding: chunked\r\n\r\n5\r\n{"uui`);
    chunkedAbort.destroy();
    await chunkedAbort.closed();
    await stillServes(relay);
  });

  it('keeps a kept-alive connection usable after a small refused request', async () => {
    const relay = await relayWithApi(SMALL);
    const client = await raw(relay.port);
    const body = '{"uuid":"nobody","message":"x"}';
    client.write(`POST /feedback HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    expect((await client.response()).status).toBe(401);
    // The same connection serves the next request.
    const before = client.received.length;
    client.write(`POST /feedback HTTP/1.1\r\nHost: x\r\n${AUTH}Content-Length: ${body.length}\r\n\r\n${body}`);
    const deadline = Date.now() + 5_000;
    while (!/HTTP\/1\.1 404/.test(client.received.slice(before))) {
      if (Date.now() > deadline || client.ended) throw new Error(`no second answer: ${client.received}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  });
});
