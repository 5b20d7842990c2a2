/**
 * Item 10 of the hardening issue: POST /demo/job makes a trusted backend
 * publish to the uuid it is given, so it answers only this machine by
 * default, only the demo page's own origin, only JSON, at a limited rate,
 * and gives up a body that trickles in.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { installDemo } from '../../server/demo/index.js';
import type { RelayConfig } from '../../server/config/relay-config.js';
import { ensureBuilt } from '../helpers/build-once.js';
import { RawSocket } from '../helpers/raw-socket.js';
import { Cleanup, startRelay } from '../helpers/relay-fixture.js';

const cleanup = new Cleanup();
beforeAll(() => ensureBuilt());
afterEach(() => cleanup.run());

async function demoRelay(overrides: Partial<RelayConfig> = {}) {
  const relay = cleanup.add(await startRelay({ demo: true, ...overrides }), (r) => r.stop());
  installDemo(relay, { maxJobs: 1, stepMs: 10 });
  return relay;
}

/** A bad uuid, so that an accepted request is answered 400 and starts no job. */
const BODY = '{"uuid":"has space"}';

async function post(port: number, headers: Record<string, string>, body = BODY, from?: string): Promise<{ status: number; text: string }> {
  const raw = cleanup.add(await RawSocket.open(port, from), (s) => s.destroy());
  const lines = ['POST /demo/job HTTP/1.1', `Host: 127.0.0.1:${port}`, `Content-Length: ${Buffer.byteLength(body)}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  raw.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
  await raw.until(() => /\r\n\r\n[^]*\}/.test(raw.data.toString('latin1')));
  const text = raw.data.toString('latin1');
  raw.destroy();
  return { status: Number(text.split(' ')[1]), text: text.slice(text.indexOf('\r\n\r\n') + 4) };
}

const JSON_TYPE = { 'Content-Type': 'application/json' };

describe('POST /demo/job', () => {
  it('answers only demoAllowedIP (loopback by default): an outsider gets 403', async () => {
    const relay = await demoRelay({ demoAllowedIP: ['127.0.0.1'] });
    expect((await post(relay.port, JSON_TYPE, BODY, '127.0.0.2')).status).toBe(403);
    expect((await post(relay.port, JSON_TYPE, BODY, '127.0.0.1')).status).toBe(400);
  });

  it("refuses another site's Origin and a DNS-rebound name, accepts the page's own", async () => {
    const relay = await demoRelay();
    const own = `http://127.0.0.1:${relay.port}`;
    expect((await post(relay.port, { ...JSON_TYPE, Origin: 'https://evil.example' })).status).toBe(403);
    expect((await post(relay.port, { ...JSON_TYPE, Origin: 'null' })).status).toBe(403);
    const rebound = await post(relay.port, {
      ...JSON_TYPE,
      Origin: `http://evil.example:${relay.port}`,
      Host: `evil.example:${relay.port}`,
    });
    expect(rebound.status).toBe(403);
    expect((await post(relay.port, { ...JSON_TYPE, Origin: own })).status).toBe(400);
  });

  it('takes only a JSON body: a cross-site form or simple fetch (text/plain) gets 415', async () => {
    const relay = await demoRelay();
    expect((await post(relay.port, { 'Content-Type': 'text/plain;charset=UTF-8' })).status).toBe(415);
    expect((await post(relay.port, { 'Content-Type': 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect((await post(relay.port, {})).status).toBe(415);
    expect((await post(relay.port, { 'Content-Type': 'application/json; charset=utf-8' })).status).toBe(400);
  });

  it('is rate limited per client', async () => {
    const relay = await demoRelay();
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await post(relay.port, JSON_TYPE)).status);
    // A burst of 5, then one a second: ten in a row cannot all pass on any machine that runs them within 4 s.
    expect(statuses).toContain(429);
    expect(statuses.slice(0, 5)).toEqual([400, 400, 400, 400, 400]);
  });

  it('gives up a body that trickles in after handshakeTimeout with 408', async () => {
    const relay = await demoRelay({ handshakeTimeoutMs: 300 });
    const raw = cleanup.add(await RawSocket.open(relay.port), (s) => s.destroy());
    raw.write(`POST /demo/job HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"uu`);
    // The server's own request timeout is 30 s; the demo's deadline is handshakeTimeout.
    await raw.until(() => raw.data.includes('\r\n\r\n'), 5_000);
    expect(raw.data.toString('latin1')).toMatch(/^HTTP\/1\.1 408 /);
    expect(await raw.closed()).toBe(true);
  });
});
