/**
 * Losing a node loses nothing: three relay processes from dist/ share a real
 * redis-server; 50 v2 pages are held by node A while a publisher on node B
 * streams 10 000 messages to them. A is killed with SIGKILL mid-stream; every
 * page resumes on B or C and, in the end, has each of its 200 messages
 * exactly once and in order, whatever outcome the publisher was told.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import type { ChildRelay } from '../fuzz/child-relay.js';
import { RedisServer } from '../../bench/lib/redis-server.js';
import { ClusterFixture, until } from './cluster-sockets.js';
import { ResumingPage } from './resuming-page.js';

const PAGES = 50;
const MESSAGES = 10_000;
/** Publications in flight at once (the publisher waits for outcomes beyond this). */
const WINDOW = 200;
/** Kill node A once this many messages reached the pages. */
const KILL_AFTER = 3_000;

let redis: RedisServer;
const cluster = new ClusterFixture();
const open = cluster.open.bind(cluster);

beforeAll(async () => {
  redis = await RedisServer.start();
  await cluster.startNodes(3, redis.url, 'loss:');
}, 60_000);

afterAll(async () => {
  await cluster.closeAll();
  await redis?.stop();
});

let received = 0;
describe('Redis engine: kill -9 of the node holding 50 pages during a 10 000-message stream', () => {
  it('every page resumes on another node and gets all its messages, in order, none twice', async () => {
    const [a, b, c] = cluster.nodes as [ChildRelay, ChildRelay, ChildRelay];
    const pages = Array.from({ length: PAGES }, () => new ResumingPage(open, () => received++));
    for (const page of pages) await page.connect(a.port);

    const outcomes = new Map<string, number>();
    let answered = 0;
    let sent = 0;
    const pump = (): void => {
      while (sent < MESSAGES && sent - answered < WINDOW) {
        const page = pages[sent % PAGES]!;
        publisher.send(JSON.stringify({ opcode: 'feedback', uuid: page.uuid, message: `m${sent}`, id: sent }));
        sent++;
      }
    };
    const publisher: WebSocket = await open(
      b.port,
      '/php',
      (packet) => {
        if (packet.opcode !== 'outcome' && packet.opcode !== 'error') return;
        const outcome = String(packet.outcome ?? packet.code);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        answered++;
        pump();
      },
      { 'Client-Type': 'php' },
    );
    pump();

    await until(`${KILL_AFTER} messages before the kill`, () => received >= KILL_AFTER, 60_000);
    await a.kill();
    // Mid-stream: what is published from here on meets a dead holder, then the resumes.
    const sentAtKill = sent;
    expect(sentAtKill).toBeLessThan(MESSAGES);
    // The pages notice the loss and resume, half on B, half on C.
    await Promise.all(pages.map((page) => page.closed()));
    await Promise.all(pages.map((page, i) => page.resume(i % 2 === 0 ? b.port : c.port)));
    for (const page of pages) expect(page.resumed).toMatchObject({ opcode: 'resumed', recovered: true });

    await until('every outcome', () => answered === MESSAGES, 120_000);
    await until('every message on its page', () => pages.every((page) => page.messages.length >= MESSAGES / PAGES), 60_000).catch(
      (error: Error) => {
        const short = pages.filter((page) => page.messages.length < MESSAGES / PAGES).length;
        throw new Error(`${error.message}: ${short} pages short; outcomes ${JSON.stringify([...outcomes])}`);
      },
    );

    pages.forEach((page, i) => {
      const expected = Array.from({ length: MESSAGES / PAGES }, (_, k) => `m${k * PAGES + i}`);
      expect(page.messages).toEqual(expected);
      // One numbering across the move: consecutive, none repeated.
      expect(page.seqs).toEqual(page.seqs.map((_, k) => page.seqs[0]! + k));
    });
    console.log(`node loss: killed after ${sentAtKill} sent; outcomes ${JSON.stringify([...outcomes])}`);
    expect(b.exited).toBeNull();
    expect(c.exited).toBeNull();
  }, 240_000);
});
