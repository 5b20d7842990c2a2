/**
 * A v2 backend that publishes without waiting, through a shared engine
 * whose holder does not answer (SIGSTOP: its sockets stay open), may keep
 * only so many publishes waiting: past MAX_UNSETTLED_PUBLISHES the relay
 * stops reading it, so what it sends waits in its own socket instead of the
 * relay's memory. Once the holder answers, reading resumes and every message
 * is delivered, once.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { MAX_UNSETTLED_PUBLISHES } from '../../server/limits/unsettled-publishes.js';
import { RedisServer } from '../../bench/lib/redis-server.js';
import { ChildRelay } from '../fuzz/child-relay.js';
import { ensureBuilt } from '../helpers/build-once.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

const SECRET = 'unsettled-publishes-secret-5a6b7c';
const PREFIX = 'unsettled:';
const MESSAGES = 5_000;
/** Frames already read when reading pauses are still handled: at most about one socket read (64 KiB) more. */
const READ_SLACK = 1_000;
const cleanup = new Cleanup();
let redis: RedisServer;

beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis.stop();
});
afterEach(() => cleanup.run());

function pendingAnswers(metrics: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith('websock_engine_pending_answers '));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

describe('publishes waiting for a shared engine, per connection', () => {
  it('stops reading a publisher past the bound while the holder is frozen, and delivers everything once it answers', async () => {
    await ensureBuilt();
    const publisherNode = cleanup.add(
      await startRelay({ broker: redis.url, brokerPrefix: PREFIX, secret: SECRET }, { engine: { answerTimeoutMs: 30_000 } }),
      (relay) => relay.stop(),
    );
    const holder = cleanup.add(
      await ChildRelay.start([`broker = ${redis.url}`, `brokerPrefix = ${PREFIX}`, `secret = ${SECRET}`]),
      (child) => child.stop(),
    );
    const page = cleanup.add(await PageClient.connect(`ws://127.0.0.1:${holder.port}/web`, { protocols: ['websock.v2'] }), (p) =>
      p.close(),
    );

    let pageGotAll: () => void = () => {};
    const pageDone = new Promise<void>((resolve) => (pageGotAll = resolve));
    let feedbacks = 0;
    page.ws.on('message', (data: Buffer) => {
      if (data.toString().includes('"opcode":"feedback"') && ++feedbacks === MESSAGES) pageGotAll();
    });

    const backend = new WebSocket(publisherNode.url('/php'), ['websock.v2'], { headers: { 'Client-Type': 'php' } });
    cleanup.add(backend, (ws) => ws.terminate());
    const outcomes: string[] = [];
    let allAnswered: () => void = () => {};
    const answered = new Promise<void>((resolve) => (allAnswered = resolve));
    backend.on('message', (data: Buffer) => {
      const packet = JSON.parse(data.toString()) as { opcode: string; outcome?: string; code?: string };
      if (packet.opcode === 'outcome' || packet.opcode === 'error') outcomes.push(String(packet.outcome ?? packet.code));
      if (outcomes.length === MESSAGES) allAnswered();
    });
    await new Promise((resolve) => backend.once('message', resolve)); // ready

    holder.freeze();
    let highest = 0;
    try {
      for (let i = 0; i < MESSAGES; i++) backend.send(JSON.stringify({ opcode: 'feedback', uuid: page.uuid, message: `m${i}`, id: i }));
      // Scrape until the bound is reached, then a few times more: the count must stay there while nothing is answered.
      for (let scrapes = 0; scrapes < 200 && highest < MAX_UNSETTLED_PUBLISHES; scrapes++) {
        highest = Math.max(highest, pendingAnswers(await (await fetch(publisherNode.httpUrl('/metrics'))).text()));
      }
      for (let more = 0; more < 20; more++) {
        highest = Math.max(highest, pendingAnswers(await (await fetch(publisherNode.httpUrl('/metrics'))).text()));
      }
    } finally {
      holder.thaw();
    }
    expect(highest).toBeGreaterThanOrEqual(MAX_UNSETTLED_PUBLISHES);
    expect(highest).toBeLessThan(MAX_UNSETTLED_PUBLISHES + READ_SLACK);

    await answered;
    expect(outcomes.filter((outcome) => outcome === 'delivered')).toHaveLength(MESSAGES);
    await pageDone;
    expect(feedbacks).toBe(MESSAGES);
  }, 60_000);
});
