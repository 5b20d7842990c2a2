import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testedExample } from '../docs/markdown-blocks.js';
import { root } from '../helpers/build-once.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());
const SECRET = 'jobs-php-secret';

/** The block of the docs marked `<!-- tested: NAME -->`. */
function example(name: string): string {
  return testedExample(root, name);
}

describe('the jobs PHP example of docs/http-api.md', () => {
  it("reports with a lease, stops on the page's cancel (piggy-backed signals) and reads its state from GET /jobs", async () => {
    const relay = cleanup.add(await startRelay({ publishSecret: SECRET }), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), { protocols: ['websock.v2'] }), (p) => p.close());
    const dir = cleanup.add(mkdtempSync(join(tmpdir(), 'websock-jobs-')), (d) => rmSync(d, { recursive: true, force: true }));
    const file = join(dir, 'job.php');
    writeFileSync(file, example('jobs-php'));
    const env = { ...process.env, WEBSOCK_URL: relay.httpUrl('').replace(/\/$/, ''), WEBSOCK_SECRET: SECRET };
    const child = spawn('php', [file, page.uuid], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    cleanup.add(child, (c) => c.exitCode === null && c.kill('SIGKILL'));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    const first = await page.nextPacket(15_000);
    expect(first.progress).toMatchObject({ job: 'import', done: 1, ttl: 10 });
    page.send({ opcode: 'signal', job: 'import', signal: 'cancel', id: 'c' });
    let last = first;
    while (last.opcode !== 'feedback' || (last.progress as { state?: string }).state !== 'failed') last = await page.nextPacket(15_000);
    expect(last.progress).toMatchObject({ job: 'import', state: 'failed', status: 'cancelled' });
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^cancelled at step \d+; the relay says: failed\n$/);
  });
});
