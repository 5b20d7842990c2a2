import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());
const V2 = { protocols: ['websock.v2'] };
/** Backends are allowed from 127.0.0.1 only: 127.0.0.2 (loopback too) stands for another machine. */
const CONFIG = { allowedIP: ['127.0.0.1'], publishSecret: 'relay-wide-secret' };
const ELSEWHERE = '127.0.0.2';

/** An HTTP request from 127.0.0.2; its status and JSON answer. */
function fromElsewhere(
  url: string,
  method: string,
  token: string,
  body?: object,
): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, localAddress: ELSEWHERE, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function tokenFor(page: PageClient, job: string | number, ttl?: number): Promise<string> {
  page.send({ opcode: 'token', job, ...(ttl !== undefined ? { ttl } : {}), id: 't' });
  const answer = await page.nextPacket();
  expect(answer).toMatchObject({ opcode: 'token', job, id: 't' });
  expect(answer.expires).toBeGreaterThan(Date.now() / 1000);
  return answer.token as string;
}

describe('job tokens', () => {
  it('publish over HTTP from outside allowedIP to their page and job, and read its signals; nothing else', async () => {
    const relay = cleanup.add(await startRelay(CONFIG), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    const other = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    const token = await tokenFor(page, 'import');
    const feedback = relay.httpUrl('/feedback');
    // The page hands out the token, not its uuid: the relay fills it in.
    const ok = await fromElsewhere(feedback, 'POST', token, { progress: { job: 'import', done: 1, total: 2 } });
    expect(ok).toEqual({ status: 200, json: { outcome: 'delivered' } });
    expect(await page.nextPacket()).toMatchObject({ opcode: 'feedback', uuid: page.uuid, progress: { job: 'import', done: 1 } });
    // Without the token, 127.0.0.2 is nobody.
    expect((await fromElsewhere(feedback, 'POST', 'wrong', { uuid: page.uuid, message: 'x' })).status).toBe(403);
    const refusals: [string, object, RegExp][] = [
      ['another page', { uuid: other.uuid, progress: { job: 'import' } }, /another page/],
      ['another job', { progress: { job: 'export' } }, /for job "import"/],
      ['no job', { message: 'hi' }, /for job "import"/],
      ['an ident', { ident: 'worker', progress: { job: 'import' } }, /not to an ident/],
    ];
    for (const [what, body, error] of refusals) {
      const answer = await fromElsewhere(feedback, 'POST', token, body);
      expect(answer.status, what).toBe(403);
      expect(answer.json, what).toMatchObject({ code: 'FORBIDDEN', error: expect.stringMatching(error) });
    }
    const batch = await fromElsewhere(relay.httpUrl('/feedback/batch'), 'POST', token, [{ progress: { job: 'import' } }]);
    expect(batch.status).toBe(403);
    const expired = relay.jobTokens.mint(page.uuid, 'import', 1, Date.now() - 10_000).token;
    expect((await fromElsewhere(feedback, 'POST', expired, { progress: { job: 'import' } })).json).toMatchObject({
      code: 'FORBIDDEN',
      error: expect.stringMatching(/expired/),
    });
    const [payload, mac] = token.split('.') as [string, string];
    const forged = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { u: string };
    forged.u = other.uuid;
    const tampered = [
      `${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${mac}`,
      `${payload}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`,
    ];
    for (const bad of tampered) {
      expect((await fromElsewhere(feedback, 'POST', bad, { progress: { job: 'import' } })).json).toMatchObject({
        code: 'FORBIDDEN',
        error: expect.stringMatching(/signature is wrong/),
      });
    }
    expect((await fromElsewhere(relay.httpUrl('/jobs?uuid=x'), 'GET', token)).status).toBe(403);
    // Its signals: by token, without naming page or job.
    page.send({ opcode: 'signal', job: 'import', signal: 'cancel', id: 's' });
    expect(await page.nextPacket()).toEqual({ opcode: 'outcome', id: 's', outcome: 'held' });
    expect(await fromElsewhere(relay.httpUrl('/signals'), 'GET', token)).toEqual({
      status: 200,
      json: { job: 'import', state: 'running', signals: [{ opcode: 'signal', uuid: page.uuid, job: 'import', signal: 'cancel' }] },
    });
    expect((await fromElsewhere(relay.httpUrl(`/signals?uuid=${encodeURIComponent(other.uuid)}`), 'GET', token)).status).toBe(403);
  });

  it('admit a backend WebSocket from outside allowedIP, for its page and job only', async () => {
    const relay = cleanup.add(await startRelay(CONFIG), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    const token = await tokenFor(page, 7);
    const backendOptions = (auth?: string) => ({
      ...V2,
      localAddress: ELSEWHERE,
      headers: { 'Client-Type': 'php', Ident: 'hijack', ...(auth ? { Authorization: `Bearer ${auth}` } : {}) },
    });
    const refused = cleanup.add(await PageClient.connect(relay.url('/php'), backendOptions()).catch((error: Error) => error), () => {});
    expect(String(refused)).toMatch(/not allowed from 127\.0\.0\.2/);
    const badToken = `${token.slice(0, -2)}xx`;
    expect(String(await PageClient.connect(relay.url('/php'), backendOptions(badToken)).catch((error: Error) => error))).toMatch(
      /signature is wrong/,
    );
    const backend = cleanup.add(await PageClient.connect(relay.url('/php'), backendOptions(token)), (p) => p.close());
    expect(relay.hub.byIdent('hijack')).toBeUndefined();
    backend.send({ opcode: 'feedback', uuid: page.uuid, progress: { job: 7, done: 1 }, id: 1 });
    expect(await backend.nextPacket()).toEqual({ opcode: 'outcome', id: 1, outcome: 'delivered' });
    backend.send({ opcode: 'feedback', uuid: page.uuid, progress: { job: 8 }, id: 2 });
    expect(await backend.nextPacket()).toMatchObject({
      opcode: 'error',
      id: 2,
      code: 'FORBIDDEN',
      error: expect.stringMatching(/for job "7"/),
    });
    backend.send({ opcode: 'broadcast', message: 'all', id: 3 });
    expect(await backend.nextPacket()).toMatchObject({
      opcode: 'error',
      id: 3,
      code: 'FORBIDDEN',
      error: expect.stringMatching(/cannot broadcast/),
    });
    // Signals reach it like any v2 backend.
    page.send({ opcode: 'signal', job: 7, signal: 'cancel', id: 's' });
    expect(await backend.nextPacket()).toEqual({ opcode: 'signal', uuid: page.uuid, job: 7, signal: 'cancel' });
    const seen = [await page.nextPacket(), await page.nextPacket()];
    expect(seen.map((p) => p.opcode).sort()).toEqual(['feedback', 'outcome']);
  });

  it('are asked for by v2 pages only, with a sensible ttl', async () => {
    const relay = cleanup.add(await startRelay(CONFIG), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    page.send({ opcode: 'token', job: 'j', ttl: 0, id: 1 });
    expect(await page.nextPacket()).toMatchObject({ opcode: 'error', id: 1, code: 'BAD_PACKET' });
    const backend = cleanup.add(await PageClient.connect(relay.url('/php'), { ...V2, headers: { 'Client-Type': 'php' } }), (p) =>
      p.close(),
    );
    backend.send({ opcode: 'token', job: 'j', id: 2 });
    expect(await backend.nextPacket()).toMatchObject({ opcode: 'error', id: 2, code: 'FORBIDDEN' });
  });
  it('a publishSecret shaped like a job token is still the secret (checked in constant time); a wrong one of that shape is refused', async () => {
    const secret = `${'s'.repeat(8)}.${'S'.repeat(43)}`;
    const relay = cleanup.add(await startRelay({ ...CONFIG, publishSecret: secret }), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    const feedback = relay.httpUrl('/feedback');
    expect(await fromElsewhere(feedback, 'POST', secret, { uuid: page.uuid, message: 'x' })).toEqual({
      status: 200,
      json: { outcome: 'delivered' },
    });
    const wrong = `${'s'.repeat(8)}.${'S'.repeat(42)}T`;
    expect((await fromElsewhere(feedback, 'POST', wrong, { uuid: page.uuid, message: 'x' })).status).toBe(403);
  });
});
