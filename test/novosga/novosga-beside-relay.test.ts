/**
 * The event server shares the relay's port: our own endpoints work beside
 * connected socket.io clients, socket.io serves its client script, the
 * relay's connection limits count both, and stop() ends both.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { NovosgaClientEvent as C, NovosgaServerEvent as S } from '../../include/novosga-events.js';
import { parseAddress } from '../../include/address.js';
import { SUBPROTOCOL_V2 } from '../../include/protocol.js';
import { PhpStyleClient } from '../helpers/php-style-client.js';
import { Cleanup, PageClient } from '../helpers/relay-fixture.js';
import { makeSelfSignedCert } from '../helpers/tls-cert.js';
import { SGA_SECRET, SgaClient, startSgaRelay } from './sga-harness.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

function get(url: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('the event server beside the relay', () => {
  it('leaves /web, /php and HTTP working on the same port while socket.io clients are connected', async () => {
    const { relay } = cleanup.add(await startSgaRelay(), ({ relay: r }) => r.stop());
    const screen = cleanup.add(await SgaClient.connect(relay, 'v2-websocket'), (c) => c.close());
    await screen.register(C.RegisterPanel, { unity: 1, services: [1] });
    const desk = cleanup.add(await SgaClient.connect(relay, 'v2-polling'), (c) => c.close());
    await desk.register(C.RegisterUser, { secret: SGA_SECRET, user: 1, unity: 1 });

    const page = cleanup.add(await PageClient.connect(relay.url('/web'), { protocols: [SUBPROTOCOL_V2] }), (p) => p.close());
    const backend = cleanup.add(await PhpStyleClient.connect({ port: relay.port, path: '/php' }), (c) => c.destroy());
    await backend.talk({ opcode: 'feedback', uuid: page.uuid, ident: '', message: 'from php', fromUUID: backend.uuid });
    expect(await page.nextPacket()).toMatchObject({ opcode: 'feedback', message: 'from php' });

    desk.emit(C.CallTicket, { unity: 1, service: 1, hash: 'h1' });
    expect(await screen.next()).toEqual({ event: S.CallTicket, args: [{ unity: 1, service: 1, hash: 'h1' }] });
    expect((await get(relay.httpUrl('/health'))).status).toBe(200);
    expect(relay.hub.size).toBe(2);

    screen.emit(C.CallTicket, { unity: 1, service: 1, hash: 'h' });
    expect((await screen.nextError()).code).toBe('NOT_ALLOWED');
    const metrics = (await get(relay.httpUrl('/metrics'))).body;
    expect(metrics).toMatch(/^websock_novosga_clients\{role="panel"\} 1$/m);
    expect(metrics).toMatch(/^websock_novosga_clients\{role="user"\} 1$/m);
    expect(metrics).toMatch(/^websock_novosga_events_total 4$/m);
    expect(metrics).toMatch(/^websock_novosga_refused_total\{code="NOT_ALLOWED"\} 1$/m);
  });

  it('serves the socket.io client script and the pages, and 404s beside them', async () => {
    const { relay } = cleanup.add(await startSgaRelay(), ({ relay: r }) => r.stop());
    const script = await get(relay.httpUrl('/socket.io/socket.io.js'));
    expect(script.status).toBe(200);
    expect(script.type).toMatch(/javascript/);
    expect(script.body).toContain('io');
    expect((await get(relay.httpUrl('/socket.io'))).status).toBe(404);
    expect((await get(relay.httpUrl('/socket.io/nothing.js'))).status).toBe(400);
    const page = await get(relay.httpUrl('/novosga/panel.html'));
    expect(page.status).toBe(200);
    expect(page.body).toContain('panel.js');
    expect(JSON.parse((await get(relay.httpUrl('/novosga/settings.json'))).body)).toEqual({ path: '/socket.io' });
  });

  it('counts socket.io clients in maxClients and maxPerIP', async () => {
    const { relay } = cleanup.add(await startSgaRelay({ maxClients: 2 }), ({ relay: r }) => r.stop());
    cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    cleanup.add(await SgaClient.connect(relay, 'v2-websocket'), (c) => c.close());
    await expect(SgaClient.connect(relay, 'v4')).rejects.toThrow(/connect error/);
    const perIp = cleanup.add(await startSgaRelay({ maxPerIP: 1 }), ({ relay: r }) => r.stop());
    cleanup.add(await SgaClient.connect(perIp.relay, 'v4'), (c) => c.close());
    await expect(SgaClient.connect(perIp.relay, 'v2-websocket')).rejects.toThrow(/connect error/);
  });

  it('mounts at another path when configured, and stop() disconnects its clients', async () => {
    const { relay } = await startSgaRelay({ novosgaPath: '/sga/io' });
    const client = cleanup.add(await SgaClient.connect(relay, 'v2-websocket', undefined, { path: '/sga/io' }), (c) => c.close());
    await client.register(C.RegisterTriage, { unity: 1 });
    await relay.stop();
    expect(await client.disconnected()).toMatch(/transport close|io server disconnect/);
  });

  it('drops events over maxMessageRate with RATE_LIMITED, and the client stays connected', async () => {
    const { relay } = cleanup.add(await startSgaRelay({ maxMessageRate: 2 }), ({ relay: r }) => r.stop());
    const desk = cleanup.add(await SgaClient.connect(relay, 'v2-websocket'), (c) => c.close());
    await desk.register(C.RegisterUser, { secret: SGA_SECRET, user: 1, unity: 1 });
    // The registration took one token; of these ten in a burst, at most one more is let through at once.
    for (let i = 0; i < 10; i++) desk.emit(C.ChangeTicket, { unity: 1 });
    const answers: string[] = [];
    while (answers.length < 10) {
      const got = await desk.next();
      answers.push(got.event === S.RequestError ? (got.args[0] as { code: string }).code : got.event);
    }
    expect(answers.filter((a) => a === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(5);
    expect(answers.every((a) => a === 'RATE_LIMITED' || a === S.UpdateQueue)).toBe(true);
    expect(desk.socket.connected).toBe(true);
  });

  it('serves socket.io over TLS on a wss:// relay (Novo SGA over https connects with wss://)', async () => {
    const cert = makeSelfSignedCert();
    cleanup.add(cert, (c) => c.remove());
    const tls = { address: parseAddress('wss://127.0.0.1:0'), certFile: cert.certFile, pkFile: cert.pkFile };
    const { relay } = cleanup.add(await startSgaRelay(tls), ({ relay: r }) => r.stop());
    expect(relay.httpUrl('/')).toMatch(/^https:/);
    const ca = readFileSync(cert.certFile);
    const screen = cleanup.add(await SgaClient.connect(relay, 'v2-websocket', undefined, { ca }), (c) => c.close());
    await screen.register(C.RegisterPanel, { unity: 1, services: [1] });
    const desk = cleanup.add(await SgaClient.connect(relay, 'v4', undefined, { ca }), (c) => c.close());
    await desk.register(C.RegisterUser, { secret: SGA_SECRET, user: 1, unity: 1 });
    desk.emit(C.CallTicket, { unity: 1, service: 1, hash: 'over-tls' });
    expect(await screen.next()).toEqual({ event: S.CallTicket, args: [{ unity: 1, service: 1, hash: 'over-tls' }] });
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), { ca }), (p) => p.close());
    expect(page.uuid).toMatch(/./);
  });

  it('disconnects a client that never registers', async () => {
    const { relay } = cleanup.add(await startSgaRelay({}, { registerTimeoutMs: 200 }), ({ relay: r }) => r.stop());
    // Connected first: its timer (same length) has run by the time the idle one's has.
    const registered = cleanup.add(await SgaClient.connect(relay, 'v4'), (c) => c.close());
    await registered.register(C.RegisterTriage, { unity: 1 });
    const idle = cleanup.add(await SgaClient.connect(relay, 'v4'), (c) => c.close());
    expect(await idle.disconnected()).toBe('io server disconnect');
    expect(registered.socket.connected).toBe(true);
  });
});
