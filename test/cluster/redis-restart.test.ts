/**
 * Redis stopped and started again mid-stream, under two relay processes
 * from dist/: while it is down every publish is answered `failed` (HTTP
 * 503 too), never `delivered`; everything answered `delivered` reached the
 * page, once and in order; once Redis is back the stream is delivered again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildRelay } from '../fuzz/child-relay.js';
import { RedisServer } from '../../bench/lib/redis-server.js';
import { ClusterFixture, until } from './cluster-sockets.js';

let redis: RedisServer;
const cluster = new ClusterFixture();
const open = cluster.open.bind(cluster);

beforeAll(async () => {
  redis = await RedisServer.start();
  await cluster.startNodes(2, redis.url, 'restart:');
}, 60_000);

afterAll(async () => {
  await cluster.closeAll();
  await redis?.stop();
});

describe('Redis engine: Redis stopped and restarted mid-stream', () => {
  it('answers failed while it is down, never a false delivered, and delivers again once it is back', async () => {
    const [a, b] = cluster.nodes as [ChildRelay, ChildRelay];
    let uuid = '';
    const arrived: string[] = [];
    await open(a.port, '/web', (packet) => {
      if (packet.opcode === 'ready') uuid = String(packet.uuid);
      else if (packet.opcode === 'feedback') arrived.push(String(packet.message));
    });
    await until('ready', () => uuid !== '', 10_000);

    // One message at a time: each outcome is known before the next is sent.
    const outcomes: string[] = [];
    let waiting: ((outcome: string) => void) | null = null;
    const publisher = await open(
      b.port,
      '/php',
      (packet) => {
        if (packet.opcode === 'outcome' || packet.opcode === 'error') waiting?.(String(packet.outcome ?? packet.code));
      },
      { 'Client-Type': 'php' },
    );
    let sent = 0;
    const publish = async (): Promise<string> => {
      const answer = new Promise<string>((resolve) => (waiting = resolve));
      publisher.send(JSON.stringify({ opcode: 'feedback', uuid, message: `m${sent}`, id: sent }));
      sent++;
      const outcome = await answer;
      outcomes.push(outcome);
      return outcome;
    };

    for (let i = 0; i < 200; i++) expect(await publish()).toBe('delivered');
    await redis.stop();
    // Down: published until the engine says so, then some more; none may claim delivery.
    let failedWhileDown = 0;
    for (let i = 0; i < 400 && failedWhileDown < 20; i++) if ((await publish()) === 'failed') failedWhileDown++;
    expect(failedWhileDown).toBe(20);
    const http = await fetch(`http://127.0.0.1:${b.port}/feedback`, { method: 'POST', body: JSON.stringify({ uuid, message: 'by HTTP' }) });
    expect(http.status).toBe(503);

    redis = await RedisServer.start(10_000, redis.port);
    // Back: the nodes reconnect and announce their clients again; publishes reach the page again.
    for (const node of [a, b]) {
      let healthy = false;
      await until(
        `node ${node.port} healthy again`,
        () => {
          void fetch(`http://127.0.0.1:${node.port}/health`).then(
            (r) => (healthy = r.status === 200),
            () => {},
          );
          return healthy;
        },
        30_000,
      );
    }
    let deliveredAgain = 0;
    for (let i = 0; i < 2_000 && deliveredAgain < 200; i++) if ((await publish()) === 'delivered') deliveredAgain++;
    expect(deliveredAgain).toBe(200);

    await until('the last delivered message on the page', () => arrived.includes(`m${sent - 1}`), 10_000);
    const delivered = outcomes.flatMap((outcome, i) => (outcome === 'delivered' ? [`m${i}`] : []));
    // Every delivered one arrived, once, in order; what arrived beyond it was answered failed (its fate unknown to the publisher).
    const arrivedDelivered = arrived.filter((message) => delivered.includes(message));
    expect(arrivedDelivered).toEqual(delivered);
    expect(new Set(arrived).size).toBe(arrived.length);
    expect(arrived).toEqual([...arrived].sort((x, y) => Number(x.slice(1)) - Number(y.slice(1))));
    const counts = outcomes.reduce<Record<string, number>>((all, o) => ({ ...all, [o]: (all[o] ?? 0) + 1 }), {});
    console.log(`redis restart: outcomes ${JSON.stringify(counts)}; ${arrived.length} arrived of ${sent} sent`);
  }, 120_000);
});
