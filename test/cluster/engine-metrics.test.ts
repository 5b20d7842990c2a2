/**
 * The Redis engine's metrics on /metrics, each moved by a real cause
 * against a real redis-server: command round trips by operation, trims by
 * the retention limit, ownership renewals and a name taken by another node,
 * a deaf subscription (CLIENT PAUSE WRITE swallows the probe), Redis
 * stopped and started empty (connection and command errors, reconnects,
 * names found gone), and a frozen holder (SIGSTOP: its sockets stay open,
 * it never answers) for the pending-answers gauge and the answer timeout.
 * The memory engine shows none of them.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Relay } from '../../server/relay.js';
import { ChildRelay } from '../fuzz/child-relay.js';
import { ensureBuilt } from '../helpers/build-once.js';
import { RedisServer } from '../../bench/lib/redis-server.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

const V2 = { protocols: ['websock.v2'] };
const SECRET = 'engine-metrics-secret-0c1d2e3f';
/** Renew every second (holdTtl / 3), probe every 300 ms, answer within 1 s. */
const TIMING = { holdTtlMs: 3_000, probeMs: 300, answerTimeoutMs: 1_000 };
const cleanup = new Cleanup();
let redis: RedisServer;
let prefixes = 0;

beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis.stop();
});
afterEach(() => cleanup.run());

async function node(brokerPrefix: string, overrides: Parameters<typeof startRelay>[0] = {}): Promise<Relay> {
  return cleanup.add(await startRelay({ broker: redis.url, brokerPrefix, secret: SECRET, ...overrides }, { engine: TIMING }), (r) =>
    r.stop(),
  );
}

/** One scrape of /metrics, as Prometheus would. */
async function scrape(relay: Relay): Promise<string> {
  const answer = await fetch(relay.httpUrl('/metrics'));
  expect(answer.status).toBe(200);
  return answer.text();
}

/** The value of one sample (`name{labels}`), 0 when absent. */
function sample(text: string, series: string): number {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return 0;
}

/** Scrape until the sample satisfies `ok` (the engine counts as things happen; no sleeps). */
async function scrapeUntil(relay: Relay, series: string, ok: (value: number) => boolean, timeoutMs = 15_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const value = sample(await scrape(relay), series);
    if (ok(value)) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`${series} stayed at ${value}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function publish(publisher: PageClient, packet: object): Promise<unknown> {
  publisher.send(packet);
  for (;;) {
    const answer = await publisher.nextPacket();
    if (answer.opcode === 'outcome' || answer.opcode === 'error') return answer.outcome ?? answer.code;
  }
}

async function backend(relay: Relay, ident?: string): Promise<PageClient> {
  const headers: Record<string, string> = { 'Client-Type': 'php' };
  if (ident) headers.Ident = ident;
  return cleanup.add(await PageClient.connect(relay.url('/php'), { ...V2, headers }), (p) => p.close());
}

describe('engine metrics on /metrics with broker = redis://…', () => {
  it('times commands by operation and counts trims by the retention limit', async () => {
    const prefix = `m${++prefixes}:`;
    const a = await node(prefix, { retentionCount: 3 });
    const b = await node(prefix, { retentionCount: 3 });
    const page = cleanup.add(await PageClient.connect(a.url('/web'), V2), (p) => p.close());
    const publisher = await backend(b);
    expect(await publish(publisher, { opcode: 'feedback', uuid: page.uuid, message: 'one', id: 1 })).toBe('delivered');
    const onB = await scrape(b);
    expect(sample(onB, 'websock_engine_command_seconds_count{operation="publish_uuid"}')).toBeGreaterThanOrEqual(1);
    expect(sample(onB, 'websock_engine_publish_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(sample(onB, 'websock_engine_pending_answers')).toBe(0);
    expect(sample(onB, 'websock_engine_errors_total{kind="command"}')).toBe(0);
    expect(sample(await scrape(a), 'websock_engine_command_seconds_count{operation="create_log"}')).toBeGreaterThanOrEqual(1);

    // The page goes away; 6 more are held in a log kept to 3 entries: 7 appended, 4 pushed out.
    page.close();
    await expect.poll(() => a.hub.browserCount).toBe(0);
    expect(sample(onB, 'websock_engine_trimmed_messages_total{reason="limit"}')).toBe(0);
    for (let i = 2; i <= 7; i++)
      expect(await publish(publisher, { opcode: 'feedback', uuid: page.uuid, message: `m${i}`, id: i })).toBe('held');
    expect(sample(await scrape(b), 'websock_engine_trimmed_messages_total{reason="limit"}')).toBe(4);
  });

  it('counts renewals, and an Ident taken by another node as lost (taken) without taking it back', async () => {
    const prefix = `m${++prefixes}:`;
    const a = await node(prefix);
    const b = await node(prefix);
    await backend(a, 'worker-1');
    await scrapeUntil(a, 'websock_engine_ownership_renewals_total', (n) => n >= 1);
    await backend(b, 'worker-1');
    await scrapeUntil(a, 'websock_engine_ownership_lost_total{reason="taken"}', (n) => n === 1);
    // The newest holder keeps it: a publish by Ident still goes to B's connection.
    const cmd = cleanup.add(new Redis(redis.url), (r) => r.disconnect());
    expect(await cmd.get(`${prefix}own:i:worker-1`)).toBe(b.engine.nodeId);
  });

  it('counts a pub/sub probe that never came back, and the subscriber reconnected for it', async () => {
    const a = await node(`m${++prefixes}:`);
    const before = await scrape(a);
    expect(sample(before, 'websock_engine_probe_failures_total')).toBe(0);
    const admin = cleanup.add(new Redis(redis.url), (r) => r.disconnect());
    // Writes (PUBLISH among them) wait while paused: the probe goes out and nothing comes back.
    await admin.call('CLIENT', 'PAUSE', '1500', 'WRITE');
    await scrapeUntil(a, 'websock_engine_probe_failures_total', (n) => n >= 1);
    await scrapeUntil(a, 'websock_engine_reconnects_total{connection="subscriber"}', (n) => n >= 1);
    await admin.call('CLIENT', 'UNPAUSE');
  });

  it('counts connection and command errors, reconnects and names found gone when Redis restarts empty', async () => {
    const prefix = `m${++prefixes}:`;
    const a = await node(prefix);
    const page = cleanup.add(await PageClient.connect(a.url('/web'), V2), (p) => p.close());
    const before = await scrape(a);
    expect(sample(before, 'websock_engine_errors_total{kind="connection"}')).toBe(0);
    expect(sample(before, 'websock_engine_reconnects_total{connection="command"}')).toBe(0);
    expect(sample(before, 'websock_engine_ownership_lost_total{reason="gone"}')).toBe(0);

    await redis.stop();
    await scrapeUntil(a, 'websock_engine_errors_total{kind="connection"}', (n) => n >= 1);
    const down = await fetch(a.httpUrl('/feedback'), { method: 'POST', body: JSON.stringify({ uuid: page.uuid, message: 'while down' }) });
    expect(down.status).toBe(503);
    expect(sample(await scrape(a), 'websock_engine_errors_total{kind="command"}')).toBeGreaterThanOrEqual(1);

    redis = await RedisServer.start(10_000, redis.port);
    await scrapeUntil(a, 'websock_engine_reconnects_total{connection="command"}', (n) => n >= 1);
    // The page's uuid was not in the empty Redis: the re-announce finds it gone and holds it again.
    await scrapeUntil(a, 'websock_engine_ownership_lost_total{reason="gone"}', (n) => n >= 1);
  });

  it('shows a publish waiting for a frozen holder, then answered failed when the answer times out', async () => {
    await ensureBuilt();
    const prefix = `m${++prefixes}:`;
    const a = await node(prefix);
    const holder = cleanup.add(
      await ChildRelay.start([`broker = ${redis.url}`, `brokerPrefix = ${prefix}`, `secret = ${SECRET}`]),
      (child) => child.stop(),
    );
    const page = cleanup.add(await PageClient.connect(`ws://127.0.0.1:${holder.port}/web`, V2), (p) => p.close());
    holder.freeze();
    try {
      const answer = fetch(a.httpUrl('/feedback'), {
        method: 'POST',
        body: JSON.stringify({ uuid: page.uuid, message: 'to a frozen node' }),
      });
      await scrapeUntil(a, 'websock_engine_pending_answers', (n) => n === 1);
      expect((await answer).status).toBe(503);
      expect(sample(await scrape(a), 'websock_engine_answers_timed_out_total')).toBe(1);
      expect(sample(await scrape(a), 'websock_engine_pending_answers')).toBe(0);
    } finally {
      holder.thaw();
    }
  });

  it('are absent with the memory engine', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    expect(await scrape(relay)).not.toContain('websock_engine_');
  });
});
