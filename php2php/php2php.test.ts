import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../test/helpers/build-once.js';
import { Cleanup, startRelay } from '../test/helpers/relay-fixture.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = (name: string) => join(root, 'dist', 'php2php', `${name}.js`);
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

beforeAll(async () => {
  // One build per test run, shared with the other suites that need dist/ (they take the same lock).
  await ensureBuilt();
}, 240_000);

interface Proc {
  child: ChildProcess;
  out: () => string;
  exit: Promise<number>;
  waitFor(text: string, timeoutMs?: number): Promise<void>;
}

function node(script: string, args: string[]): Proc {
  const child = spawn(process.execPath, [built(script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: string): void => {
    out += chunk;
    for (const wake of waiters) wake();
  };
  child.stdout!.setEncoding('utf8').on('data', onData);
  child.stderr!.setEncoding('utf8').on('data', onData);
  const exit = new Promise<number>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code ?? -1);
    });
  });
  cleanup.add(child, (c) => {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  return {
    child,
    out: () => out,
    exit,
    waitFor(text, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${script} never printed "${text}"; it printed: ${out}`));
        }, timeoutMs);
        function check(): void {
          if (!out.includes(text)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        }
        waiters.add(check);
        check();
      });
    },
  };
}

describe('php2php examples', () => {
  it.each(['greetings', 'words'])('the receiver prints what the sender sends to its ident (%s)', async (mode) => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const address = `tcp://127.0.0.1:${relay.port}/php`;
    const receiver = node('receiver', ['--address', address]);
    await receiver.waitFor('listening as "receiver"');
    const sender = node('sender', ['--address', address, ...(mode === 'words' ? ['one', 'message'] : [])]);
    expect(await sender.exit).toBe(0);
    if (mode === 'words') {
      await receiver.waitFor('receiver: from sender: one message');
    } else {
      await receiver.waitFor('{"hello":333,"from":"sender"}');
      expect(receiver.out()).toMatch(/Hello 1 from sender[\s\S]*Hello 22 from sender[\s\S]*\{"hello":333/);
    }
    receiver.child.kill('SIGTERM');
    expect(await receiver.exit).toBe(0);
  });

  it('the sender exits 4 when nobody listens under that ident (v2 relay)', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const sender = node('sender', ['--address', `tcp://127.0.0.1:${relay.port}/php`, '--to', 'nobody', 'hi']);
    expect(await sender.exit).toBe(4);
    expect(sender.out()).toContain('→ unknown');
  });
});
