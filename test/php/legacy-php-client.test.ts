/**
 * Real PHP (php-cli) against a real relay: a backend that reads and writes
 * the way the original phpWebSocketServer PHP client does, so PHP's own
 * buffered stream reads decide whether `ready` and script-to-script
 * messages arrive.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { RelayClient } from '../../clients/index.js';
import { payloadBounds, PhpStyleClient } from '../helpers/php-style-client.js';
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
    // One message at a time: the sender sends the next once the receiver
    // said it got the last, so a busy machine cannot make php-cli's reads
    // fall behind (that rate is a figure: `node dist/bench/php-burst.js`).
    const receiver = php([relay.port, 'receive', 50, 'php-receiver', 'paced']);
    expect(await receiver.line(/listening|not connected/)).toBe('listening');
    const sender = php([relay.port, 'send', 50, 'php-receiver', 'paced']);
    for (let i = 1; i <= 50; i++) {
      sender.child.stdin.write('next\n');
      expect(await receiver.line(new RegExp(`got ${i}\\n`))).toBe(`got ${i}\n`);
    }
    sender.child.stdin.end();
    expect(await sender.line(/sent ok=\d+/)).toBe('sent ok=50');
    expect(await receiver.line(/received=\d+/)).toBe('received=50');
  });

  // How fast php-cli drains such a burst depends on the machine's load (a
  // reader that falls behind the gap gets two frames in one read and keeps
  // the first): that is a figure, measured by `node dist/bench/php-burst.js`.
  // What the relay controls is the spacing, checked here with a raw reader.
});

describe('frames to a v1 PHP backend are spaced by backendFrameGap', () => {
  it('a pipelined burst of 200 from a v2 publisher leaves the relay one frame at a time, each at least the gap after the one before', async () => {
    const gapMs = 5;
    const relay = cleanup.add(await startRelay({ backendFrameGapMs: gapMs }), (r) => r.stop());
    const receiver = cleanup.add(await PhpStyleClient.connect({ port: relay.port, ident: 'burst' }), (c) => c.destroy());
    const timeline = new FrameTimeline(receiver.socket);
    const publisher = cleanup.add(await RelayClient.connect(relay.url('/php')), (c) => c.terminate());
    const start = performance.now();
    const outcomes = await Promise.all(Array.from({ length: 200 }, (_, i) => publisher.send('burst', `m${i}`)));
    expect(outcomes.every((o) => o === 'delivered')).toBe(true);
    const frames = await timeline.take(200);
    expect(frames.map((f) => JSON.parse(f.text).message)).toEqual(Array.from({ length: 200 }, (_, i) => `m${i}`));
    expect(frames.every((f) => f.opcode === 1 && f.fin)).toBe(true);
    // The relay writes frame i no sooner than i gaps after frame 0, and frame 0
    // no sooner than `start`; load can only make frames later. (The relay
    // spaces by Date.now(), whole milliseconds: allow 1 ms per gap.)
    const early = frames.map((f, i) => ({ i, ms: f.at - start })).filter(({ i, ms }) => ms < i * (gapMs - 1));
    expect(early.slice(0, 5)).toEqual([]);
  });
});

/** A raw reader that notes when the last byte of each frame arrived. */
class FrameTimeline {
  readonly frames: { opcode: number; fin: boolean; text: string; at: number }[] = [];
  #pending = Buffer.alloc(0);
  #wake: (() => void) | null = null;

  constructor(socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      const at = performance.now();
      this.#pending = Buffer.concat([this.#pending, chunk]);
      for (;;) {
        const frame = splitFrame(this.#pending);
        if (!frame) break;
        this.#pending = this.#pending.subarray(frame.size);
        this.frames.push({ opcode: frame.opcode, fin: frame.fin, text: frame.text, at });
      }
      this.#wake?.();
    });
  }

  /** Wait (bounded) until `count` frames have arrived. */
  async take(count: number, timeoutMs = 20_000): Promise<FrameTimeline['frames']> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`only ${this.frames.length} of ${count} frames arrived`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.frames.slice(0, count);
  }
}

/** The first whole unmasked frame of `data`, with its size in bytes; null while incomplete. */
function splitFrame(data: Buffer): { opcode: number; fin: boolean; text: string; size: number } | null {
  const bounds = payloadBounds(data);
  if (bounds === null) return null;
  const { start, length } = bounds;
  if (data.length < start + length) return null;
  const text = data.subarray(start, start + length).toString('utf8');
  return { opcode: data[0]! & 0x0f, fin: (data[0]! & 0x80) !== 0, text, size: start + length };
}
