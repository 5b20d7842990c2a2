/**
 * Real PHP (php-cli) against a real relay: a backend that reads and writes
 * the way the original phpWebSocketServer PHP client does, so PHP's own
 * buffered stream reads decide whether `ready` and script-to-script
 * messages arrive.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { RelayClient } from '../../clients/index.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

const SCRIPT = fileURLToPath(new URL('./legacy-php-client.php', import.meta.url));
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

function php(args: (string | number)[]): {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  line: (re: RegExp) => Promise<string>;
} {
  const child = cleanup.add(spawn('php', [SCRIPT, ...args.map(String)]), (c) => c.kill('SIGKILL'));
  let output = '';
  const waiters: (() => void)[] = [];
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    output += text;
    for (const wake of waiters.splice(0)) wake();
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
  child.on('exit', () => {
    for (const wake of waiters.splice(0)) wake();
  });
  const line = async (re: RegExp): Promise<string> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const match = re.exec(output);
      if (match) return match[0];
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`php said: ${output}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 1_000);
      });
    }
  };
  return { child, output: () => output, line };
}

describe('the original PHP client’s way of reading and writing, in real PHP', () => {
  it('100 fresh connections each get ready at once (no read runs into its timeout) and deliver their feedback', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const run = php([relay.port, 'fresh', 100, page.uuid]);
    expect(await run.line(/fresh ok=\d+ stalled=\d+/)).toBe('fresh ok=100 stalled=0');
    const messages = new Set<string>();
    for (let i = 0; i < 100; i++) messages.add(String((await page.nextPacket()).message));
    expect(messages.size).toBe(100);
  });

  it('script to script by Ident: 50 stop-and-wait messages on one connection all reach the PHP receiver', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const receiver = php([relay.port, 'receive', 50, 'php-receiver']);
    expect(await receiver.line(/listening|not connected/)).toBe('listening');
    const sender = php([relay.port, 'send', 50, 'php-receiver']);
    expect(await sender.line(/sent ok=\d+/)).toBe('sent ok=50');
    expect(await receiver.line(/received=\d+/)).toBe('received=50');
  });

  it('a pipelined burst from a v2 publisher reaches a PHP receiver whole: frames are spaced for its one-frame reads', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const receiver = php([relay.port, 'receive', 200, 'php-burst']);
    expect(await receiver.line(/listening|not connected/)).toBe('listening');
    const publisher = cleanup.add(await RelayClient.connect(relay.url('/php')), (c) => c.terminate());
    const outcomes = await Promise.all(Array.from({ length: 200 }, (_, i) => publisher.send('php-burst', `m${i}`)));
    expect(outcomes.every((o) => o === 'delivered')).toBe(true);
    expect(await receiver.line(/received=\d+/)).toBe('received=200');
  });
});
