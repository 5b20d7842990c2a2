/**
 * `websock serve` with a [novosga] section, as an operator runs it: the
 * built bin reads Novo SGA's secret file, says where everything is, serves
 * a 2.x client, and stops on SIGTERM; without a secret it does not start.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NovosgaClientEvent as C, NovosgaErrorCode } from '../../include/novosga-events.js';
import { ensureBuilt, root } from '../helpers/build-once.js';
import { SgaClient } from './sga-harness.js';

const CLI = join(root, 'dist', 'clients', 'cli', 'websock.js');
let dir: string;
const children: ChildProcessWithoutNullStreams[] = [];
const clients: SgaClient[] = [];

beforeAll(async () => {
  await ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'websock-novosga-serve-'));
  writeFileSync(join(dir, 'websocket'), 'novosga_websocket_65f0c1d2e3');
}, 240_000);

afterEach(() => {
  for (const client of clients.splice(0)) client.close();
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function serve(ini: string): { child: ChildProcessWithoutNullStreams; output: () => string; exit: Promise<number | null> } {
  const file = join(dir, `${children.length}.ini`);
  writeFileSync(file, ini);
  const child = spawn(process.execPath, [CLI, 'serve', '-i', file], { cwd: dir, stdio: 'pipe' });
  children.push(child);
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  return { child, output: () => output, exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

async function until(what: string, test: () => RegExpExecArray | null, timeoutMs = 10_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = test();
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('websock serve with [novosga]', () => {
  it('reads the secret file, prints where things are, serves a 2.x client and stops on SIGTERM', async () => {
    const run = serve('adress = ws://127.0.0.1:0\ndemo = false\n[novosga]\nenabled = true\nsecretFile = websocket\n');
    const [, base] = await until('the Novo SGA line', () =>
      /Novo SGA: socket\.io at (http:\/\/127\.0\.0\.1:\d+)\/socket\.io, panel /.exec(run.output()),
    );
    const desk = await SgaClient.connect(base!, 'v2-websocket');
    clients.push(desk);
    await desk.register(C.RegisterUser, { secret: 'novosga_websocket_65f0c1d2e3', user: 1, unity: 1 });
    const intruder = await SgaClient.connect(base!, 'v2-websocket');
    clients.push(intruder);
    intruder.emit(C.RegisterUser, { secret: 'novosga_websocket_65f0c1d2e3\n', user: 1, unity: 1 });
    expect(await intruder.nextError()).toMatchObject({ code: NovosgaErrorCode.BadSecret });
    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    expect(await desk.disconnected()).toMatch(/transport close|io server disconnect/);
  });

  it('does not start without a secret, and says so in one line', async () => {
    const run = serve('adress = ws://127.0.0.1:0\ndemo = false\n[novosga]\nenabled = true\n');
    expect(await run.exit).toBe(2);
    expect(run.output().trim().split('\n')).toEqual([
      expect.stringMatching(/^websock: .*\[novosga\] enabled = "true": the Novo SGA server needs secret or secretFile/),
    ]);
  });
});
