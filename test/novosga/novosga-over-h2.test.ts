/**
 * A mounted application over HTTP/2: once the relay advertises Extended
 * CONNECT, a browser opens every wss:// of the origin as an h2 stream, so
 * socket.io at /socket.io must accept RFC 8441 as it accepts HTTP/1.1
 * upgrades. engine.io's protocol is spoken by hand over the stream (no
 * socket.io client speaks h2), against a socket.io-client 4 over HTTP/1.1.
 */
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseAddress } from '../../include/address.js';
import { NovosgaClientEvent as C, NovosgaServerEvent as S } from '../../include/novosga-events.js';
import type { RelayConfig } from '../../server/config/relay-config.js';
import { H2Connection, type H2RawWebSocket } from '../helpers/h2-websocket-client.js';
import { Cleanup } from '../helpers/relay-fixture.js';
import { makeSelfSignedCert } from '../helpers/tls-cert.js';
import { SGA_SECRET, SgaClient, startSgaRelay } from './sga-harness.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());
let cert: ReturnType<typeof makeSelfSignedCert>;
beforeAll(() => {
  cert = makeSelfSignedCert();
});
afterAll(() => cert.remove());

/** The next engine.io text packet, answering engine.io pings ("2") on the way. */
async function nextPacket(ws: H2RawWebSocket): Promise<string> {
  for (;;) {
    const frame = await ws.nextFrame();
    if (frame.opcode !== 0x1) throw new Error(`expected a text frame, got opcode ${frame.opcode}`);
    if (frame.text === '2') {
      ws.sendText('3');
      continue;
    }
    return frame.text;
  }
}

/** A socket.io event packet ("42[...]") as [event, ...args]. */
async function nextEvent(ws: H2RawWebSocket): Promise<unknown[]> {
  const packet = await nextPacket(ws);
  if (!packet.startsWith('42')) throw new Error(`expected an event, got ${packet}`);
  return JSON.parse(packet.slice(2)) as unknown[];
}

const VARIANTS: { name: string; tls: boolean; config: () => Partial<RelayConfig> }[] = [
  {
    name: 'TLS, ALPN h2',
    tls: true,
    config: () => ({ address: parseAddress('wss://127.0.0.1:0'), certFile: cert.certFile, pkFile: cert.pkFile }),
  },
  { name: 'h2c with prior knowledge', tls: false, config: () => ({ address: parseAddress('ws://127.0.0.1:0'), http2: true }) },
];

describe.each(VARIANTS)('Novo SGA at /socket.io over $name', ({ tls, config }) => {
  async function setup() {
    const { relay } = await startSgaRelay(config());
    cleanup.add(relay, (r) => r.stop());
    const h2 = cleanup.add(await H2Connection.open({ port: relay.port, tls, ca: readFileSync(cert.certFile) }), (c) => c.close());
    return { relay, h2 };
  }

  it('opens an engine.io WebSocket on an Extended CONNECT stream, and a panel on it gets a ticket called over HTTP/1.1', async () => {
    const { relay, h2 } = await setup();
    const { status, headers, ws } = await h2.websocket('/socket.io/?EIO=4&transport=websocket');
    expect(status).toBe(200);
    // HTTP/2 has no key and no accept: the 101's Sec-WebSocket-Accept must not leak into the answer.
    expect(headers['sec-websocket-accept']).toBeUndefined();
    const open = await nextPacket(ws);
    expect(open.startsWith('0')).toBe(true);
    expect(JSON.parse(open.slice(1))).toMatchObject({ sid: expect.any(String), upgrades: [] });
    ws.sendText('40');
    expect((await nextPacket(ws)).startsWith('40')).toBe(true);
    ws.sendText(`42${JSON.stringify([C.RegisterPanel, { unity: 1, services: [10] }])}`);
    expect((await nextEvent(ws))[0]).toBe(S.RegisterOk);

    const desk = cleanup.add(await SgaClient.connect(relay, 'v4', undefined, { ca: readFileSync(cert.certFile) }), (c) => c.close());
    await desk.register(C.RegisterUser, { secret: SGA_SECRET, user: 7, unity: 1 });
    desk.emit(C.CallTicket, { unity: 1, service: 10, hash: 'h2h2' });
    expect(await nextEvent(ws)).toEqual([S.CallTicket, { unity: 1, service: 10, hash: 'h2h2' }]);
  });

  it("answers engine.io's refusal on the stream with its status and body, and the connection keeps serving", async () => {
    const { h2 } = await setup();
    // An unknown session id: engine.io refuses it in HTTP (400) instead of switching protocols.
    const refused = await h2.websocket('/socket.io/?EIO=4&transport=websocket&sid=no-such-session');
    expect(refused.status).toBe(400);
    await refused.ws.closed();
    // The same HTTP/2 connection opens the relay's own WebSocket afterwards.
    const page = await h2.websocket('/web');
    expect(page.status).toBe(200);
    await page.ws.ready();
  });
});
