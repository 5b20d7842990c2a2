import { afterEach, describe, expect, it } from 'vitest';
import type { RelayConfig } from '../../server/config/relay-config.js';
import { PhpStyleClient } from '../helpers/php-style-client.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';
import { post, until } from './http-client.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());
const V2 = { protocols: ['websock.v2'] };

async function relayWithApi(overrides: Partial<RelayConfig> = {}) {
  const relay = cleanup.add(await startRelay(overrides), (r) => r.stop());
  return relay;
}

describe('POST /feedback', () => {
  it('delivers to a v1 page: 200, and the page gets the whole packet as a feedback', async () => {
    const relay = await relayWithApi();
    const page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const body = { opcode: 'echo', uuid: page.uuid, message: '50 %', progress: { job: 'import', done: 5, total: 10 }, from: 'cron' };
    const answer = await post(relay.httpUrl('/feedback'), body);
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ outcome: 'delivered' });
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(await page.nextPacket()).toEqual({ ...body, opcode: 'feedback' });
  });

  it('forwards a body as its own text when it can: the page reads what JSON.parse of the body gave', async () => {
    const relay = await relayWithApi();
    const v1 = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const v2 = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    for (const page of [v1, v2]) {
      const text = `\ufeff {\n  "uuid": "${page.uuid}",\n  "message": {"a": 1.50, "b": [1E2, "\\u00e9"]},\n  "from": "x",\n  "from": "cron"\n}\n`;
      expect((await post(relay.httpUrl('/feedback'), text)).status).toBe(200);
      const seq = page === v2 ? { seq: 1 } : {};
      expect(await page.nextPacket()).toEqual({
        ...seq,
        opcode: 'feedback',
        uuid: page.uuid,
        message: { a: 1.5, b: [100, 'é'] },
        from: 'cron',
      });
    }
  });

  it('delivers to a v2 page with its sequence numbers, in order', async () => {
    const relay = await relayWithApi();
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    for (let i = 1; i <= 3; i++) {
      expect((await post(relay.httpUrl('/feedback'), { uuid: page.uuid, message: `m${i}`, seq: 1000 })).status).toBe(200);
    }
    for (let i = 1; i <= 3; i++) expect(await page.nextPacket()).toEqual({ opcode: 'feedback', uuid: page.uuid, message: `m${i}`, seq: i });
  });

  it('delivers to a script by ident', async () => {
    const relay = await relayWithApi();
    const receiver = cleanup.add(await PhpStyleClient.connect({ port: relay.port, ident: 'receiver' }), (c) => c.destroy());
    const answer = await post(relay.httpUrl('/feedback'), { ident: 'receiver', message: 'hello script' });
    expect(answer.json).toEqual({ outcome: 'delivered' });
    expect(await receiver.readPacket()).toEqual({ opcode: 'feedback', ident: 'receiver', message: 'hello script' });
  });

  it('answers 202 held for a v2 page that went away, and replays it on resume', async () => {
    const relay = await relayWithApi();
    const page = await PageClient.connect(relay.url('/web'), V2);
    page.ws.close();
    await page.closed();
    await until(() => relay.hub.size === 0);
    const answer = await post(relay.httpUrl('/feedback'), { uuid: page.uuid, message: 'while away' });
    expect(answer.status).toBe(202);
    expect(answer.json).toEqual({ outcome: 'held' });
    const back = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    back.send({ opcode: 'resume', uuid: page.uuid, resumeToken: page.resumeToken, lastSeq: 0 });
    expect(await back.nextPacket()).toMatchObject({ opcode: 'resumed', recovered: true });
    expect(await back.nextPacket()).toMatchObject({ message: 'while away', seq: 1 });
  });

  it('answers 404 unknown, with the reason, when nobody has the uuid or ident', async () => {
    const relay = await relayWithApi();
    for (const body of [
      { uuid: 'nobody', message: 'x' },
      { ident: 'nobody', message: 'x' },
    ]) {
      const answer = await post(relay.httpUrl('/feedback'), body);
      expect(answer.status).toBe(404);
      expect(answer.json).toEqual({ outcome: 'unknown', error: 'no client has this uuid or ident', code: 'UNKNOWN_RECIPIENT' });
    }
  });

  it.each([
    ['bad JSON', '{"uuid": "u", ', 400, 'BAD_JSON'],
    ['an empty body', '', 400, 'BAD_JSON'],
    ['a JSON array', '[1,2]', 400, 'BAD_PACKET'],
    ['a JSON string', '"hello"', 400, 'BAD_PACKET'],
    ['null', 'null', 400, 'BAD_PACKET'],
    ['no recipient', '{"message":"x"}', 400, 'BAD_PACKET'],
    ['a numeric uuid', '{"uuid":5,"message":"x"}', 400, 'BAD_PACKET'],
    ['no message', '{"uuid":"u"}', 400, 'BAD_PACKET'],
    ['a bad progress', '{"uuid":"u","progress":{"done":"five"}}', 400, 'BAD_PACKET'],
  ])('refuses %s with %i %s and a sentence', async (_what, body, status, code) => {
    const relay = await relayWithApi();
    const answer = await post(relay.httpUrl('/feedback'), body);
    expect(answer.status).toBe(status);
    expect(answer.json.code).toBe(code);
    expect(typeof answer.json.error).toBe('string');
    expect(String(answer.json.error).length).toBeGreaterThan(10);
  });

  it('refuses a message nested too deeply to forward, alone or in a batch', async () => {
    const relay = await relayWithApi();
    const depth = 200_000;
    const deep = `{"uuid":"u","message":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const alone = await post(relay.httpUrl('/feedback'), deep);
    expect(alone.status).toBe(400);
    expect(alone.json).toEqual({ code: 'BAD_PACKET', error: 'the message is nested too deeply to forward' });
    const batch = await post(relay.httpUrl('/feedback/batch'), `[${deep},{"uuid":"nobody","message":"x"}]`);
    expect(batch.json).toEqual({ results: [alone.json, { outcome: 'unknown' }] });
  });

  it('reads a form-encoded body as JSON (curl -d) but refuses a multipart form with 415', async () => {
    const relay = await relayWithApi();
    const page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const body = JSON.stringify({ uuid: page.uuid, message: 'from curl' });
    const curlish = await post(relay.httpUrl('/feedback'), body, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(curlish.status).toBe(200);
    const form = await post(relay.httpUrl('/feedback'), body, { 'content-type': 'multipart/form-data; boundary=x' });
    expect(form.status).toBe(415);
    expect(form.json.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    // The header is not checked (docs/http-api.md): the answer must not ask for one.
    expect(form.json.error).not.toMatch(/Content-Type/i);
    expect(form.json.error).toMatch(/multipart/);
    const plain = await post(relay.httpUrl('/feedback'), body, { 'content-type': 'text/plain' });
    expect(plain.status).toBe(200);
  });

  it('answers 405 to other methods', async () => {
    const relay = await relayWithApi();
    const answer = await fetch(relay.httpUrl('/feedback'), { signal: AbortSignal.timeout(5_000) });
    expect(answer.status).toBe(405);
  });
});

describe('POST /feedback/batch', () => {
  it('answers each message in order; a bad item does not spoil the others', async () => {
    const relay = await relayWithApi();
    const page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const answer = await post(relay.httpUrl('/feedback/batch'), {
      messages: [
        { uuid: page.uuid, message: 'one' },
        { uuid: 'nobody', message: 'lost' },
        { uuid: page.uuid, progress: { done: 'x' } },
        'not an object',
        { uuid: page.uuid, message: 'two' },
      ],
    });
    expect(answer.status).toBe(200);
    const results = answer.json.results as { [k: string]: unknown }[];
    expect(results).toHaveLength(5);
    expect(results[0]).toEqual({ outcome: 'delivered' });
    expect(results[1]).toEqual({ outcome: 'unknown' });
    expect(results[2]).toMatchObject({ code: 'BAD_PACKET', error: expect.stringMatching(/progress\.done/) });
    expect(results[3]).toMatchObject({ code: 'BAD_PACKET' });
    expect(results[4]).toEqual({ outcome: 'delivered' });
    expect((await page.nextPacket()).message).toBe('one');
    expect((await page.nextPacket()).message).toBe('two');
  });

  it('delivers a batch interleaved over several pages in order, each page its own, v1 and v2 alike', async () => {
    const relay = await relayWithApi();
    const v1 = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const v2 = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    const messages = Array.from({ length: 60 }, (_, i) => ({ uuid: i % 2 === 0 ? v1.uuid : v2.uuid, message: `m${i}` }));
    const answer = await post(relay.httpUrl('/feedback/batch'), { messages });
    expect(answer.json).toEqual({ results: messages.map(() => ({ outcome: 'delivered' })) });
    for (let i = 0; i < 60; i += 2) expect(await v1.nextPacket()).toEqual({ opcode: 'feedback', uuid: v1.uuid, message: `m${i}` });
    for (let i = 1; i < 60; i += 2) {
      expect(await v2.nextPacket()).toEqual({ opcode: 'feedback', uuid: v2.uuid, message: `m${i}`, seq: (i + 1) / 2 });
    }
  });

  it('accepts a bare array and an empty batch', async () => {
    const relay = await relayWithApi();
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    const answer = await post(relay.httpUrl('/feedback/batch'), [{ uuid: page.uuid, message: 'a' }]);
    expect(answer.json).toEqual({ results: [{ outcome: 'delivered' }] });
    expect((await post(relay.httpUrl('/feedback/batch'), [])).json).toEqual({ results: [] });
  });

  it('refuses a batch of the wrong shape with 400 and one over the cap with 413', async () => {
    const relay = await relayWithApi();
    const shape = await post(relay.httpUrl('/feedback/batch'), { message: 'x' });
    expect(shape.status).toBe(400);
    expect(shape.json.code).toBe('BAD_PACKET');
    const many = await post(relay.httpUrl('/feedback/batch'), { messages: new Array(1001).fill({ uuid: 'u', message: 'x' }) });
    expect(many.status).toBe(413);
    expect(many.json).toMatchObject({ code: 'TOO_MANY_ITEMS', error: expect.stringMatching(/at most 1000/) });
  });
});
