import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());
const V2 = { protocols: ['websock.v2'] };
const BACKEND = { ...V2, headers: { 'Client-Type': 'php' } };

/** The next packet that is not a progress echo of `skip` opcodes. */
async function nextOf(client: PageClient, opcode: string): Promise<{ opcode: string; [k: string]: unknown }> {
  for (;;) {
    const packet = await client.nextPacket();
    if (packet.opcode === opcode) return packet;
  }
}

/** Wait until `condition` holds (checked every few ms, at most 5 s). */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A backend in its own process (node + ws), reporting one running step for `job`, then waiting to be killed. */
function backendProcess(url: string, uuid: string, job: string): { child: ReturnType<typeof spawn>; reported: Promise<void> } {
  const script = `
    import { WebSocket } from 'ws';
    const ws = new WebSocket(${JSON.stringify(url)}, ['websock.v2'], { headers: { 'Client-Type': 'php' } });
    ws.on('message', (data) => {
      const p = JSON.parse(String(data));
      if (p.opcode === 'ready') ws.send(JSON.stringify({ opcode: 'feedback', uuid: ${JSON.stringify(uuid)}, progress: { job: ${JSON.stringify(job)}, done: 1, total: 9 }, id: 1 }));
      if (p.opcode === 'outcome') process.stdout.write('reported\\n');
    });`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const reported = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (data: Buffer) => {
      if (String(data).includes('reported')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`backend exited with ${code}`)));
  });
  return { child, reported };
}

describe('job state', () => {
  it('tells the page its job is lost once jobGrace has passed after its backend was killed with -9, not before', async () => {
    const graceMs = 400;
    const relay = cleanup.add(await startRelay({ jobGraceMs: graceMs }), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    const { child, reported } = backendProcess(relay.url('/php'), page.uuid, 'import-1');
    cleanup.add(child, (c) => c.exitCode === null && c.kill('SIGKILL'));
    await reported;
    expect((await nextOf(page, 'feedback')).progress).toMatchObject({ job: 'import-1' });
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    const killedAt = Date.now();
    const lost = await nextOf(page, 'job');
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(graceMs - 50);
    expect(lost).toMatchObject({ opcode: 'job', job: 'import-1', state: 'lost', reason: 'publisher-gone' });
    expect(typeof lost.seq).toBe('number');
    const answer = await fetch(relay.httpUrl(`/jobs?uuid=${encodeURIComponent(page.uuid)}`));
    expect(await answer.json()).toMatchObject({ jobs: [{ job: 'import-1', state: 'lost', reason: 'publisher-gone' }] });
  });

  it('keeps the job when its backend reconnects within the grace, and done ends it', async () => {
    const relay = cleanup.add(await startRelay({ jobGraceMs: 60_000 }), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    const first = await PageClient.connect(relay.url('/php'), BACKEND);
    first.send({ opcode: 'feedback', uuid: page.uuid, progress: { job: 7, done: 1, total: 3 }, id: 1 });
    await first.nextPacket();
    const key = relay.jobs.jobsOf([...relay.sessions.all()][0]!.key)[0]!;
    first.close();
    await until(() => key.away);
    expect(key).toMatchObject({ state: 'running', away: true });
    expect(key.timer).not.toBeNull();
    const second = cleanup.add(await PageClient.connect(relay.url('/php'), BACKEND), (p) => p.close());
    second.send({ opcode: 'feedback', uuid: page.uuid, progress: { job: 7, done: 2, total: 3 }, id: 2 });
    await second.nextPacket();
    expect(key).toMatchObject({ state: 'running', away: false, timer: null });
    second.send({ opcode: 'feedback', uuid: page.uuid, progress: { job: 7, done: 3, total: 3, state: 'done' }, id: 3 });
    await second.nextPacket();
    second.close();
    await until(() => relay.hub.size === 1);
    expect(key).toMatchObject({ state: 'done', timer: null });
    for (let i = 0; i < 3; i++) expect((await page.nextPacket()).opcode).toBe('feedback');
  });

  it('declares an HTTP job lost when its lease (progress.ttl) lapses; failed ends one', async () => {
    const relay = cleanup.add(await startRelay({ jobGraceMs: 60_000 }), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    const post = (body: object): Promise<Response> =>
      fetch(relay.httpUrl('/feedback'), { method: 'POST', body: JSON.stringify({ uuid: page.uuid, ...body }) });
    expect((await post({ progress: { job: 'http-1', ttl: 0.3, done: 1 } })).status).toBe(200);
    expect((await post({ progress: { job: 'http-2', done: 1 } })).status).toBe(200);
    expect((await post({ progress: { job: 'http-2', state: 'failed' } })).status).toBe(200);
    expect((await post({ progress: { job: 'x', ttl: -1 } })).status).toBe(400);
    expect(await nextOf(page, 'job')).toMatchObject({ job: 'http-1', state: 'lost', reason: 'lease-expired' });
    const answer = (await (await fetch(relay.httpUrl(`/jobs?uuid=${encodeURIComponent(page.uuid)}`))).json()) as {
      jobs: { job: string; state: string }[];
    };
    expect(answer.jobs.map((j) => [j.job, j.state])).toEqual([
      ['http-1', 'lost'],
      ['http-2', 'failed'],
    ]);
  });

  it('declares a job lost after a restarted relay resumes its page and nobody reports within the grace', async () => {
    const first = await startRelay({ jobGraceMs: 200 });
    const page = await PageClient.connect(first.url('/web'), V2);
    const backend = await PageClient.connect(first.url('/php'), BACKEND);
    backend.send({ opcode: 'feedback', uuid: page.uuid, progress: { job: 'j', done: 1, total: 2 }, id: 1 });
    await backend.nextPacket();
    const progress = await page.nextPacket();
    await first.stop();
    // The same secret: the page's signed uuid and resumeToken are good on the new process.
    const second = cleanup.add(await startRelay({ jobGraceMs: 200 }), (r) => r.stop());
    const again = cleanup.add(await PageClient.connect(second.url('/web'), V2), (p) => p.close());
    again.send({ opcode: 'resume', uuid: page.uuid, resumeToken: page.resumeToken, lastSeq: progress.seq, jobs: ['j'] });
    expect(await again.nextPacket()).toMatchObject({ opcode: 'resumed', recovered: false });
    expect(await nextOf(again, 'job')).toMatchObject({ job: 'j', state: 'lost', reason: 'relay-restarted' });
  });

  it('refuses GET /jobs without the publish credentials', async () => {
    const relay = cleanup.add(await startRelay({ publishSecret: 's3cret' }), (r) => r.stop());
    expect((await fetch(relay.httpUrl('/jobs?uuid=x'))).status).toBe(401);
    const ok = await fetch(relay.httpUrl('/jobs?uuid=x'), { headers: { authorization: 'Bearer s3cret' } });
    expect(await ok.json()).toEqual({ uuid: 'x', jobs: [] });
    expect((await fetch(relay.httpUrl('/jobs'), { headers: { authorization: 'Bearer s3cret' } })).status).toBe(400);
  });
});
