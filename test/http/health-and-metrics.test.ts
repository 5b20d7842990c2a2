import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { observeRelayLatency } from '../../server/metrics/prometheus.js';
import type { Relay } from '../../server/relay.js';
import { PhpStyleClient } from '../helpers/php-style-client.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';
import { get, post, RawHttp, until } from './http-client.js';
import { parseSamples, sampleValue, type Sample } from './prometheus-text.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());
const V2 = { protocols: ['websock.v2'] };

async function relayWithApi(): Promise<Relay> {
  const relay = cleanup.add(await startRelay(), (r) => r.stop());
  return relay;
}

async function scrape(relay: Relay): Promise<Sample[]> {
  const answer = await get(relay.httpUrl('/metrics'));
  expect(answer.status).toBe(200);
  expect(answer.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseSamples(answer.text);
}

describe('GET /health', () => {
  it('answers 200 with the status, uptime and connection counts', async () => {
    const relay = await relayWithApi();
    cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    cleanup.add(await PhpStyleClient.connect({ port: relay.port }), (c) => c.destroy());
    const answer = await get(relay.httpUrl('/health'));
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.json).toEqual({ status: 'ok', uptimeSeconds: expect.any(Number), connections: 2, browsers: 1, sessions: 1 });
    expect(answer.json.uptimeSeconds).toBeGreaterThanOrEqual(0);
  });

  it('answers 503 while the relay is shutting down', async () => {
    const relay = cleanup.add(await startRelay({ shutdownGraceMs: 2_000 }), (r) => r.stop());
    // A backend that never answers the close frame keeps the relay in its grace period.
    const stubborn = cleanup.add(await PhpStyleClient.connect({ port: relay.port }), (c) => c.destroy());
    stubborn.socket.pause();
    // A request begun before the shutdown (its head not finished) is still served during it.
    const client = cleanup.add(await RawHttp.open(relay.port), (c) => c.destroy());
    client.write('GET /health HTTP/1.1\r\nHost: x\r\n');
    const stopping = relay.stop();
    await until(() => (relay as unknown as { shuttingDown: boolean }).shuttingDown);
    client.write('\r\n');
    const answer = await client.response();
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.body)).toMatchObject({ status: 'shutting down' });
    stubborn.destroy();
    await stopping;
  });
});

describe('GET /metrics', () => {
  it('counts connections by kind and protocol, and the buffered bytes', async () => {
    const relay = await relayWithApi();
    cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    cleanup.add(await PhpStyleClient.connect({ port: relay.port }), (c) => c.destroy());
    const samples = await scrape(relay);
    expect(sampleValue(samples, 'websock_connections', { kind: 'browser', protocol: '1', transport: 'h1' })).toBe(1);
    expect(sampleValue(samples, 'websock_connections', { kind: 'browser', protocol: '2', transport: 'h1' })).toBe(2);
    expect(sampleValue(samples, 'websock_connections', { kind: 'backend', protocol: '1', transport: 'h1' })).toBe(1);
    expect(sampleValue(samples, 'websock_connections', { kind: 'backend', protocol: '2', transport: 'h1' })).toBe(0);
    expect(sampleValue(samples, 'websock_sessions')).toBe(2);
    expect(samples.some((s) => s.name === 'websock_buffered_bytes')).toBe(true);
    // The process's default metrics come along.
    expect(samples.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true);
  });

  it('moves outcomes, messages, HTTP statuses and the latency histogram after publishes', async () => {
    const relay = await relayWithApi();
    const page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const before = await scrape(relay);
    for (let i = 0; i < 3; i++) expect((await post(relay.httpUrl('/feedback'), { uuid: page.uuid, message: `m${i}` })).status).toBe(200);
    expect((await post(relay.httpUrl('/feedback'), { uuid: 'nobody', message: 'x' })).status).toBe(404);
    expect((await post(relay.httpUrl('/feedback'), '{bad')).status).toBe(400);
    await post(relay.httpUrl('/feedback/batch'), [{ uuid: page.uuid, message: 'b' }, { ident: 'nobody', message: 'x' }, 7]);
    const after = await scrape(relay);
    const delta = (name: string, labels: Record<string, string> = {}) =>
      sampleValue(after, name, labels) - sampleValue(before, name, labels);
    expect(delta('websock_outcomes_total', { outcome: 'delivered' })).toBe(4);
    expect(delta('websock_outcomes_total', { outcome: 'unknown' })).toBe(2);
    expect(delta('websock_outcomes_total', { outcome: 'held' })).toBe(0);
    expect(delta('websock_messages_out_total')).toBe(4);
    expect(delta('websock_bytes_out_total')).toBeGreaterThan(4 * 20);
    expect(delta('websock_http_publish_requests_total', { endpoint: 'feedback', status: '200' })).toBe(3);
    expect(delta('websock_http_publish_requests_total', { endpoint: 'feedback', status: '404' })).toBe(1);
    expect(delta('websock_http_publish_requests_total', { endpoint: 'feedback', status: '400' })).toBe(1);
    expect(delta('websock_http_publish_requests_total', { endpoint: 'batch', status: '200' })).toBe(1);
    // One observation per message that reached a delivery decision (the invalid item did not).
    expect(delta('websock_relay_latency_seconds_count', { source: 'http' })).toBe(6);
    expect(sampleValue(after, 'websock_relay_latency_seconds_bucket', { source: 'http', le: '+Inf' })).toBe(6);
    expect(delta('websock_relay_latency_seconds_sum', { source: 'http' })).toBeGreaterThan(0);
  });

  it('counts messages in, held messages, retention, resumes and replays', async () => {
    const relay = await relayWithApi();
    const page = await PageClient.connect(relay.url('/web'), V2);
    page.send({ opcode: 'echo', message: 'ping' });
    await page.nextPacket();
    page.ws.close();
    await page.closed();
    await until(() => relay.hub.size === 0);
    for (let i = 0; i < 2; i++)
      expect((await post(relay.httpUrl('/feedback'), { uuid: page.uuid, message: `held ${i}` })).status).toBe(202);
    const held = await scrape(relay);
    expect(sampleValue(held, 'websock_messages_in_total')).toBe(1);
    expect(sampleValue(held, 'websock_outcomes_total', { outcome: 'held' })).toBe(2);
    expect(sampleValue(held, 'websock_retained_messages')).toBe(2);
    expect(sampleValue(held, 'websock_retained_bytes')).toBeGreaterThan(40);
    const back = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    back.send({ opcode: 'resume', uuid: page.uuid, resumeToken: page.resumeToken, lastSeq: 0 });
    expect(await back.nextPacket()).toMatchObject({ opcode: 'resumed', recovered: true });
    await back.nextPacket();
    await back.nextPacket();
    const resumer = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    resumer.send({ opcode: 'resume', uuid: 'forged.0000', lastSeq: 0 });
    expect(await resumer.nextPacket()).toMatchObject({ opcode: 'error' });
    const resumed = await scrape(relay);
    expect(sampleValue(resumed, 'websock_resumes_total', { result: 'ok' })).toBe(1);
    expect(sampleValue(resumed, 'websock_replayed_messages_total')).toBe(2);
  });

  it('counts handshake rejections and protocol errors', async () => {
    const relay = await relayWithApi();
    const nowhere = cleanup.add(new WebSocket(relay.url('/nowhere')), (w) => w.terminate());
    await new Promise((resolve) => nowhere.once('close', resolve));
    const bad = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    bad.send('{not json');
    expect(await bad.closed()).toBe(1007);
    const samples = await scrape(relay);
    expect(sampleValue(samples, 'websock_handshake_rejections_total', { reason: 'resource' })).toBe(1);
    expect(sampleValue(samples, 'websock_protocol_errors_total', { code: 'BAD_JSON' })).toBe(1);
  });

  it('keeps two relays in one process apart, and takes WebSocket latencies through observeRelayLatency', async () => {
    const first = await relayWithApi();
    const second = await relayWithApi();
    cleanup.add(await PageClient.connect(first.url('/web')), (p) => p.close());
    await post(first.httpUrl('/feedback'), { uuid: 'nobody', message: 'x' });
    observeRelayLatency(second, 0.002);
    const one = await scrape(first);
    const two = await scrape(second);
    expect(sampleValue(one, 'websock_connections', { kind: 'browser', protocol: '1', transport: 'h1' })).toBe(1);
    expect(sampleValue(two, 'websock_connections', { kind: 'browser', protocol: '1', transport: 'h1' })).toBe(0);
    expect(sampleValue(one, 'websock_outcomes_total', { outcome: 'unknown' })).toBe(1);
    expect(sampleValue(two, 'websock_outcomes_total', { outcome: 'unknown' })).toBe(0);
    expect(sampleValue(one, 'websock_relay_latency_seconds_count', { source: 'websocket' })).toBe(0);
    expect(sampleValue(two, 'websock_relay_latency_seconds_count', { source: 'websocket' })).toBe(1);
    expect(sampleValue(two, 'websock_relay_latency_seconds_bucket', { source: 'websocket', le: '0.0025' })).toBe(1);
    expect(sampleValue(two, 'websock_relay_latency_seconds_bucket', { source: 'websocket', le: '0.001' })).toBe(0);
  });
});
