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

const SECRET = 'docs-example-secret';

/** The code block that follows the `<!-- tested: NAME ... -->` marker in docs/http-api.md. */
/** The block of the docs marked `<!-- tested: NAME -->`. */
function example(name: string): string {
  return testedExample(root, name);
}

/** Run a program to its end (bounded); its exit code and output. */
function run(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  cleanup.add(child, (c) => c.exitCode === null && c.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} did not finish: ${stderr}`)), 15_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function scriptFile(name: string, text: string): string {
  const dir = cleanup.add(mkdtempSync(join(tmpdir(), 'websock-docs-')), (d) => rmSync(d, { recursive: true, force: true }));
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

async function relayWithSecret() {
  const relay = cleanup.add(await startRelay({ publishSecret: SECRET }), (r) => r.stop());
  return relay;
}

describe('the examples in docs/http-api.md', () => {
  it('PHP with file_get_contents reports every step to the page, and stops when nobody listens', async () => {
    const relay = await relayWithSecret();
    const page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const file = scriptFile('job.php', example('php-publish'));
    const env = { WEBSOCK_URL: relay.httpUrl('').replace(/\/$/, ''), WEBSOCK_SECRET: SECRET };
    const done = await run('php', [file, page.uuid], env);
    expect(done.stderr).toBe('');
    expect(done).toMatchObject({ code: 0, stdout: 'reported 10 steps\n' });
    for (let step = 1; step <= 10; step++) {
      expect(await page.nextPacket()).toMatchObject({
        opcode: 'feedback',
        message: `step ${step} of 10`,
        progress: { job: 'import', done: step, total: 10 },
      });
    }
    const gone = await run('php', [file, 'nobody'], env);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/nobody is waiting/);
    const noArgument = await run('php', [file], env);
    expect(noArgument.code).toBe(64);
    expect(noArgument.stderr).toBe('usage: php job.php <page uuid>\n');
    const wrongSecret = await run('php', [file, page.uuid], { ...env, WEBSOCK_SECRET: 'wrong' });
    expect(wrongSecret.code).toBe(2);
    expect(wrongSecret.stderr).toMatch(/publish failed \(403\): the bearer secret is wrong/);
  });

  it('the shell script with curl reports every step, and stops when nobody listens', async () => {
    const relay = await relayWithSecret();
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), { protocols: ['websock.v2'] }), (p) => p.close());
    const file = scriptFile('progress.sh', example('shell-publish'));
    const env = { WEBSOCK_URL: relay.httpUrl('').replace(/\/$/, ''), WEBSOCK_SECRET: SECRET };
    const done = await run('sh', [file, page.uuid], env);
    expect(done).toMatchObject({ code: 0, stderr: '' });
    for (let step = 1; step <= 5; step++) {
      expect(await page.nextPacket()).toMatchObject({ seq: step, message: `step ${step} of 5`, progress: { job: 'backup', done: step } });
    }
    const gone = await run('sh', [file, 'nobody'], env);
    expect(gone.code).toBe(1);
    const noSecret = await run('sh', [file, page.uuid], { ...env, WEBSOCK_SECRET: '' });
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toMatch(/HTTP 401/);
  });
});
