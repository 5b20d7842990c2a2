import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Cleanup, PageClient, startRelay } from '../../test/helpers/relay-fixture.js';
import auth, { NOT_SIGNED_IN, signSessionCookie, verifySessionCookie } from './cookie-auth.js';
import { useApp } from './install-app.js';

const SECRET = 'a-secret-shared-with-the-web-application';
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function relayWithAuth(paths = ''): Promise<Awaited<ReturnType<typeof startRelay>>> {
  const relay = cleanup.add(await startRelay(), (r) => r.stop());
  await useApp(relay, auth, { name: 'auth', settings: { secret: SECRET, paths } });
  relay.registerResource('/me', {
    onMessage(conn, _message, ctx) {
      ctx.send(conn, { opcode: 'me', data: conn.data ?? null });
    },
  });
  return relay;
}

function refusedWith(url: string, headers: Record<string, string> = {}): Promise<{ text: string; code: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    let text = '';
    ws.on('message', (data: Buffer) => (text = data.toString()));
    ws.on('error', () => {});
    ws.on('close', (code: number) => resolve({ text, code }));
  });
}

const inAnHour = (): number => Date.now() / 1000 + 3600;

describe('the signed-cookie auth hook', () => {
  it('admits a page with a valid cookie and attaches its user', async () => {
    const relay = await relayWithAuth();
    const cookie = `theme=dark; websock_session=${signSessionCookie('alice@example.org', SECRET, inAnHour())}`;
    const page = cleanup.add(await PageClient.connect(relay.url('/me'), { headers: { cookie } }), (p) => p.close());
    page.send({ opcode: 'who' });
    expect(await page.nextPacket()).toMatchObject({ opcode: 'next' });
    expect(await page.nextPacket()).toEqual({ opcode: 'me', data: { user: 'alice@example.org' } });
  });

  it('refuses without a cookie, with a forged or expired one, telling why with 4401', async () => {
    const relay = await relayWithAuth();
    const url = relay.url('/web');
    expect(await refusedWith(url)).toEqual({ text: '{"opcode":"close","error":"not signed in"}', code: NOT_SIGNED_IN });
    const forged = signSessionCookie('alice', 'another-secret', inAnHour());
    const expired = signSessionCookie('alice', SECRET, Date.now() / 1000 - 1);
    const tampered = signSessionCookie('alice', SECRET, inAnHour()).replace(/^[^.]+/, Buffer.from('mallory').toString('base64url'));
    for (const value of [forged, expired, tampered, '%E0%A4%A', 'a.b']) {
      const answer = await refusedWith(url, { cookie: `websock_session=${value}` });
      expect(answer.code, value).toBe(NOT_SIGNED_IN);
    }
    expect(relay.hub.size).toBe(0);
  });

  it('lets backends through (allowedIP decides for them) and guards only the listed paths', async () => {
    const relay = await relayWithAuth('/web');
    cleanup.add(await PageClient.connect(relay.url('/php'), { headers: { 'Client-Type': 'php' } }), (p) => p.close());
    cleanup.add(await PageClient.connect(relay.url('/me')), (p) => p.close());
    expect((await refusedWith(relay.url('/web'))).code).toBe(NOT_SIGNED_IN);
  });

  it('verifies only what it signed', () => {
    const cookie = signSessionCookie('bob', SECRET, 2_000_000_000);
    expect(verifySessionCookie(cookie, SECRET, 1_000)).toBe('bob');
    expect(verifySessionCookie(cookie, SECRET, 2_000_000_000_000)).toBeNull();
    expect(verifySessionCookie(`${cookie}x`, SECRET, 1_000)).toBeNull();
  });
});
