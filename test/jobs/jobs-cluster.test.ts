/**
 * Jobs across nodes: relay processes from dist/ on one real redis-server.
 * A page on node A signals its job whose publisher is on node B (a v2
 * backend, or an HTTP publisher long-polling B) and hears the same outcomes
 * as on one node; GET /jobs on A shows jobs reported through B; a job whose
 * publisher's node is killed with kill -9 ends `lost` after the grace; and a
 * page whose node and publisher went away hears `lost` exactly once, kept in
 * its log for a later resume.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import type { ChildRelay } from '../fuzz/child-relay.js';
import { RedisServer } from '../../bench/lib/redis-server.js';
import { ClusterFixture, until, type Packet } from '../cluster/cluster-sockets.js';

const GRACE_S = 1;
const EXTRA = [`jobGrace = ${GRACE_S}`];

let redis: RedisServer;
const cluster = new ClusterFixture();
let a: ChildRelay;
let b: ChildRelay;
let c: ChildRelay;

beforeAll(async () => {
  redis = await RedisServer.start();
  const nodes = await cluster.startNodes(3, redis.url, 'jobs:', EXTRA);
  [a, b, c] = [nodes[0]!, nodes[1]!, nodes[2]!];
}, 60_000);

afterAll(async () => {
  await cluster.closeAll();
  await redis?.stop();
});

/** A v2 socket whose packets are kept in order, taken with `next(opcode)`. */
class Peer {
  readonly packets: Packet[] = [];
  ws: WebSocket | null = null;
  #taken = 0;

  static async open(port: number, path: string, headers: Record<string, string> = {}): Promise<Peer> {
    const peer = new Peer();
    peer.ws = await cluster.open(port, path, (packet) => peer.packets.push(packet), headers);
    return peer;
  }

  send(packet: object): void {
    this.ws!.send(JSON.stringify(packet));
  }

  /** The next packet with this opcode (later than the last one taken). */
  async next(opcode: string, timeoutMs = 10_000): Promise<Packet> {
    let found: Packet | undefined;
    await until(
      `a ${opcode} packet`,
      () => {
        for (let i = this.#taken; i < this.packets.length; i++) {
          if (this.packets[i]!.opcode === opcode) {
            found = this.packets[i];
            this.#taken = i + 1;
            return true;
          }
        }
        return false;
      },
      timeoutMs,
    );
    return found!;
  }

  all(opcode: string): Packet[] {
    return this.packets.filter((packet) => packet.opcode === opcode);
  }
}

const BACKEND = { 'Client-Type': 'php' };

async function page(node: ChildRelay): Promise<Peer & { uuid: string; resumeToken: string; epoch: string }> {
  const peer = await Peer.open(node.port, '/web');
  const ready = await peer.next('ready');
  return Object.assign(peer, { uuid: String(ready.uuid), resumeToken: String(ready.resumeToken), epoch: String(ready.epoch) });
}

async function post(node: ChildRelay, body: object): Promise<{ outcome: string; signals?: unknown[] }> {
  const res = await fetch(`http://127.0.0.1:${node.port}/feedback`, { method: 'POST', body: JSON.stringify(body) });
  return (await res.json()) as { outcome: string; signals?: unknown[] };
}

async function jobsOf(node: ChildRelay, uuid: string): Promise<{ job: unknown; state: string; reason?: string }[]> {
  const res = await fetch(`http://127.0.0.1:${node.port}/jobs?uuid=${encodeURIComponent(uuid)}`);
  return ((await res.json()) as { jobs: { job: unknown; state: string; reason?: string }[] }).jobs;
}

describe('signals across nodes', () => {
  it('reach a v2 backend on another node: the backend gets the signal, the page `delivered`', async () => {
    const p = await page(a);
    const backend = await Peer.open(b.port, '/php', BACKEND);
    backend.send({ opcode: 'feedback', uuid: p.uuid, progress: { job: 42, done: 1, total: 5 }, id: 1 });
    expect(await backend.next('outcome')).toMatchObject({ id: 1, outcome: 'delivered' });
    await p.next('feedback');
    p.send({ opcode: 'signal', job: 42, signal: 'cancel', data: { why: 'user' }, id: 's1' });
    expect(await p.next('outcome')).toEqual({ opcode: 'outcome', id: 's1', outcome: 'delivered' });
    // Named as the backend wrote them: its uuid, and the job id as a number.
    expect(await backend.next('signal')).toEqual({ opcode: 'signal', uuid: p.uuid, job: 42, signal: 'cancel', data: { why: 'user' } });
  });

  it('reach an HTTP publisher of another node: long-polling GET /signals there, and in its next POST /feedback', async () => {
    const p = await page(a);
    expect(await post(b, { uuid: p.uuid, progress: { job: 'h', done: 1 } })).toEqual({ outcome: 'delivered' });
    const polled = fetch(`http://127.0.0.1:${b.port}/signals?uuid=${encodeURIComponent(p.uuid)}&job=h&wait=20`).then(
      (res) => res.json() as Promise<{ signals: unknown[] }>,
    );
    // Whether the poll reaches B before the signal or after, it takes it (held for the job until then).
    p.send({ opcode: 'signal', job: 'h', signal: 'pause', id: 1 });
    expect(await p.next('outcome')).toEqual({ opcode: 'outcome', id: 1, outcome: 'held' });
    expect((await polled).signals).toEqual([{ opcode: 'signal', uuid: p.uuid, job: 'h', signal: 'pause' }]);
    p.send({ opcode: 'signal', job: 'h', signal: 'resume', id: 2 });
    expect(await p.next('outcome')).toEqual({ opcode: 'outcome', id: 2, outcome: 'held' });
    const answer = await post(b, { uuid: p.uuid, progress: { job: 'h', done: 2 } });
    expect(answer).toEqual({ outcome: 'delivered', signals: [{ opcode: 'signal', uuid: p.uuid, job: 'h', signal: 'resume' }] });
  });

  it("refuse a page signalling another page's job, and say `unknown` when no job runs", async () => {
    const victim = await page(a);
    const other = await page(a);
    const backend = await Peer.open(b.port, '/php', BACKEND);
    backend.send({ opcode: 'feedback', uuid: victim.uuid, progress: { job: 'v', done: 1 }, id: 1 });
    await backend.next('outcome');
    other.send({ opcode: 'signal', uuid: victim.uuid, job: 'v', signal: 'cancel', id: 'x' });
    expect(await other.next('error')).toMatchObject({ id: 'x', code: 'FORBIDDEN' });
    // Without a uuid it names its own page, which has no such job on any node.
    other.send({ opcode: 'signal', job: 'v', signal: 'cancel', id: 'y' });
    expect(await other.next('outcome')).toEqual({ opcode: 'outcome', id: 'y', outcome: 'unknown' });
    victim.send({ opcode: 'signal', job: 'none-such', signal: 'cancel', id: 'z' });
    expect(await victim.next('outcome')).toEqual({ opcode: 'outcome', id: 'z', outcome: 'unknown' });
    // The backend got nothing: the next frame it reads is its own echo.
    backend.send({ opcode: 'echo', message: 'nothing came before this', id: 2 });
    await backend.next('echo');
    expect(backend.all('signal')).toEqual([]);
  });

  it('say `unknown` once the job ended on its node', async () => {
    const p = await page(a);
    const backend = await Peer.open(b.port, '/php', BACKEND);
    backend.send({ opcode: 'feedback', uuid: p.uuid, progress: { job: 'e', state: 'done' }, id: 1 });
    await backend.next('outcome');
    await p.next('feedback');
    p.send({ opcode: 'signal', job: 'e', signal: 'cancel', id: 1 });
    expect(await p.next('outcome')).toEqual({ opcode: 'outcome', id: 1, outcome: 'unknown' });
  });
});

describe('GET /jobs across nodes', () => {
  it('shows on node A the jobs reported through node B, and their ends', async () => {
    const p = await page(a);
    const backend = await Peer.open(b.port, '/php', BACKEND);
    backend.send({ opcode: 'feedback', uuid: p.uuid, progress: { job: 'w', done: 1 }, id: 1 });
    await backend.next('outcome');
    expect(await post(c, { uuid: p.uuid, progress: { job: 'x', done: 1 } })).toEqual({ outcome: 'delivered' });
    let listed = await jobsOf(a, p.uuid);
    expect(listed.map(({ job, state }) => ({ job, state })).sort((l, r) => String(l.job).localeCompare(String(r.job)))).toEqual([
      { job: 'w', state: 'running' },
      { job: 'x', state: 'running' },
    ]);
    backend.send({ opcode: 'feedback', uuid: p.uuid, progress: { job: 'w', state: 'failed' }, id: 2 });
    await backend.next('outcome');
    listed = await jobsOf(a, p.uuid);
    expect(listed.find((item) => item.job === 'w')).toMatchObject({ state: 'failed' });
  });
});

describe('a lost publisher node', () => {
  it('kill -9 of the node of a running job: the page on another node gets `lost` after the grace, once', async () => {
    const [doomed] = await cluster.startNodes(1, redis.url, 'jobs:', EXTRA);
    const p = await page(a);
    const backend = await Peer.open(doomed!.port, '/php', BACKEND);
    backend.send({ opcode: 'feedback', uuid: p.uuid, progress: { job: 'k', done: 1, total: 9 }, id: 1 });
    await backend.next('outcome');
    await p.next('feedback');
    const killed = Date.now();
    await doomed!.kill();
    const lost = await p.next('job', 20_000);
    expect(Date.now() - killed).toBeGreaterThanOrEqual(GRACE_S * 1000);
    expect(lost).toMatchObject({ job: 'k', state: 'lost', reason: 'publisher-gone' });
    expect((await jobsOf(b, p.uuid)).find((item) => item.job === 'k')).toMatchObject({ state: 'lost' });
  }, 30_000);

  it('a publisher that reconnects to another node within the grace keeps its job', async () => {
    const [doomed] = await cluster.startNodes(1, redis.url, 'jobs:', ['jobGrace = 30']);
    const p = await page(a);
    const backend = await Peer.open(doomed!.port, '/php', BACKEND);
    backend.send({ opcode: 'feedback', uuid: p.uuid, progress: { job: 'r', done: 1 }, id: 1 });
    await backend.next('outcome');
    await doomed!.kill();
    const again = await Peer.open(c.port, '/php', BACKEND);
    again.send({ opcode: 'feedback', uuid: p.uuid, progress: { job: 'r', done: 2 }, id: 1 });
    await again.next('outcome');
    p.send({ opcode: 'signal', job: 'r', signal: 'cancel', id: 1 });
    expect(await p.next('outcome')).toEqual({ opcode: 'outcome', id: 1, outcome: 'delivered' });
    expect(await again.next('signal')).toMatchObject({ job: 'r', signal: 'cancel' });
  }, 30_000);
});

describe('every node restarted mid-job (Redis engine)', () => {
  it('the page resuming on a fresh node gets `lost` exactly once, and a later resume replays it', async () => {
    const [first] = await cluster.startNodes(1, redis.url, 'restart-jobs:', EXTRA);
    const p = await page(first!);
    const backend = await Peer.open(first!.port, '/php', BACKEND);
    backend.send({ opcode: 'feedback', uuid: p.uuid, progress: { job: 'j', done: 1, total: 2 }, id: 1 });
    await backend.next('outcome');
    const progress = await p.next('feedback');
    await first!.stop();
    const [fresh] = await cluster.startNodes(1, redis.url, 'restart-jobs:', EXTRA);
    const resume = { opcode: 'resume', uuid: p.uuid, resumeToken: p.resumeToken, lastSeq: progress.seq, epoch: p.epoch };
    const again = await Peer.open(fresh!.port, '/web');
    again.send(resume);
    await again.next('resumed');
    const lost = await again.next('job', 20_000);
    expect(lost).toMatchObject({ job: 'j', state: 'lost' });
    // Later, on yet another fresh node, from before the loss: it is in the log, told once and not suspected again.
    const [another] = await cluster.startNodes(1, redis.url, 'restart-jobs:', EXTRA);
    const later = await Peer.open(another!.port, '/web');
    later.send(resume);
    await later.next('resumed');
    expect(await later.next('job')).toMatchObject({ job: 'j', state: 'lost', seq: lost.seq });
    // Nothing else is announced within two more graces (a negative check needs its window).
    await new Promise((resolve) => setTimeout(resolve, GRACE_S * 2000));
    expect(later.all('job')).toHaveLength(1);
    expect((await jobsOf(another!, p.uuid)).find((item) => item.job === 'j')).toMatchObject({ state: 'lost' });
    expect(again.all('job')).toHaveLength(1);
  }, 40_000);
});
