/**
 * The PHP example of docs/pusher.md (plain curl, signing as the Pusher PHP
 * SDK does) run under php-cli against a live relay: its event reaches a
 * page through the page's channel and a pusher-js subscriber of a channel,
 * and a wrong secret is refused.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SUBPROTOCOL_V2 } from '../../include/protocol.js';
import { pusherApp } from '../../server/pusher/apps/pusher-app.js';
import { testedExample } from '../docs/markdown-blocks.js';
import { root } from '../helpers/build-once.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';
import { disconnect, pusherJs, subscribed, waitFor } from './ws-clients.js';

const APP = pusherApp({ id: '31', key: 'php-key', secret: 'php-secret-for-the-docs' });

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** The block of the docs marked `<!-- tested: NAME -->`. */
function example(name: string): string {
  return testedExample(root, name);
}

function php(file: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('php', [file, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  cleanup.add(child, (c) => c.exitCode === null && c.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`php did not finish: ${stderr}`)), 15_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('docs/pusher.md: publishing from PHP with curl', () => {
  it('signs like the Pusher SDK: the event reaches the page; a wrong secret is refused with 401', async () => {
    const relay = cleanup.add(await startRelay({ pusherApps: [APP] }), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), { protocols: [SUBPROTOCOL_V2] }), (p) => p.close());
    const dir = cleanup.add(mkdtempSync(join(tmpdir(), 'pusher-php-')), (d) => rmSync(d, { recursive: true, force: true }));
    const file = join(dir, 'publish.php');
    writeFileSync(file, example('pusher-php-curl'));
    const env = {
      PUSHER_URL: relay.httpUrl('/').replace(/\/$/, ''),
      PUSHER_APP_ID: APP.id,
      PUSHER_APP_KEY: APP.key,
      PUSHER_APP_SECRET: APP.secret,
    };

    const sent = await php(file, [`private-websock-page-${page.uuid}`, 'import-progress', '{"done":3,"total":10}'], env);
    expect(sent).toEqual({ code: 0, stdout: '200 {}\n', stderr: '' });
    expect(await page.nextPacket()).toMatchObject({ opcode: 'feedback', event: 'import-progress', message: { done: 3, total: 10 } });

    // And to a pusher-js subscriber of an ordinary channel.
    const subscriber = cleanup.add(pusherJs(relay, APP), disconnect);
    const channel = await subscribed(subscriber, 'imports');
    const got = waitFor<unknown>('the PHP event', (done) => channel.bind('import-progress', done));
    expect(await php(file, ['imports', 'import-progress', '{"done":4,"total":10}'], env)).toMatchObject({ code: 0, stdout: '200 {}\n' });
    expect(await got).toEqual({ done: 4, total: 10 });

    const refused = await php(file, ['orders', 'e'], { ...env, PUSHER_APP_SECRET: 'not-the-secret' });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^401 .*PUSHER_AUTH_FAILED/);

    expect((await php(file, [], env)).code).toBe(64);
  });
});
