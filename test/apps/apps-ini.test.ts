/**
 * Apps loaded from the [apps] section of websock.ini by the built `websock`
 * command: the shipped chat mounted at /chat, a hooks-only app that imports
 * nothing from the relay, and the one-line errors (exit code 2) of a bad
 * app path, a bad app key and a module that is not an app.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ensureBuilt, root } from '../helpers/build-once.js';
import { PageClient } from '../helpers/relay-fixture.js';

const CLI = join(root, 'dist', 'clients', 'cli', 'websock.js');
const CHAT = join(root, 'dist', 'server', 'apps', 'chat.js');
const WAIT_MS = 10_000;

interface Run {
  child: ChildProcessWithoutNullStreams;
  stdout: string;
  stderr: string;
  exit: Promise<number | null>;
}

let dir: string;
const runs: Run[] = [];
const clients: PageClient[] = [];

function start(iniFile: string): Run {
  const child = spawn(process.execPath, [CLI, 'serve', '-i', iniFile], { cwd: dir, stdio: 'pipe' });
  const run: Run = { child, stdout: '', stderr: '', exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (run.stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (run.stderr += chunk));
  runs.push(run);
  return run;
}

function exited(run: Run): Promise<number | null> {
  return Promise.race([
    run.exit,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no exit; stderr: ${run.stderr}`)), WAIT_MS).unref()),
  ]);
}

async function listening(run: Run): Promise<number> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const match = /relay listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(run.stdout);
    if (match) return Number(match[1]);
    if (run.child.exitCode !== null || Date.now() > deadline) throw new Error(`not listening; stderr: ${run.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function writeIni(name: string, apps: string): string {
  const file = join(dir, name);
  writeFileSync(file, `adress = ws://127.0.0.1:0\ndemo = false\nconsole = false\n\n${apps}`);
  return file;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'websock-apps-'));
  mkdirSync(join(dir, 'apps'));
  // A hooks-only app with no import from the relay: a plain object is an app.
  writeFileSync(
    join(dir, 'apps', 'gate.mjs'),
    `let word = null;
export default {
  settings: { password: { type: 'text', required: true } },
  setup({ settings }) { word = settings.password; },
  hooks: {
    preConnect(conn, request) {
      if (request.headers['x-password'] !== word) return { refuse: 'wrong password', code: 4403 };
      conn.data = { via: 'gate' };
    },
  },
};
`,
  );
  writeFileSync(join(dir, 'apps', 'nothing.mjs'), 'export default { name: "not an app" };\n');
  await ensureBuilt();
}, 120_000);

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const run of runs.splice(0)) {
    if (run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill('SIGKILL');
      await run.exit;
    }
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('[apps] in websock.ini', () => {
  it('mounts the shipped chat at /chat and loads a hooks-only app from a path relative to the ini file', async () => {
    const file = writeIni(
      'chat.ini',
      `[apps]\n/chat = ${CHAT}\ngate = apps/gate.mjs\n\n[app:/chat]\nmaxIdle = 60\n\n[app:gate]\npassword = sesame\n`,
    );
    const run = start(file);
    const port = await listening(run);
    const url = `ws://127.0.0.1:${port}/chat`;
    const headers = { 'x-password': 'sesame' };
    const alice = await PageClient.connect(url, { headers });
    const bob = await PageClient.connect(url, { headers });
    clients.push(alice, bob);
    const said = '{"opcode":"say","message":"hello from alice"}';
    alice.send(said);
    expect(await bob.next()).toBe(said);
    // The sender gets only its v1 acknowledgement, not its own message.
    expect(await alice.nextPacket()).toMatchObject({ opcode: 'next' });
    bob.send({ opcode: 'echo', message: 'ping' });
    expect(await alice.next()).toBe('{"opcode":"echo","message":"ping"}');

    const refused = new WebSocket(url);
    const answer = await new Promise<{ text: string; code: number }>((resolve) => {
      let text = '';
      refused.on('message', (data: Buffer) => (text = data.toString()));
      refused.on('close', (code: number) => resolve({ text, code }));
    });
    expect(answer).toEqual({ text: '{"opcode":"close","error":"wrong password"}', code: 4403 });
  });

  it('stops with one line and exit code 2 for a missing app file', async () => {
    const file = writeIni('missing.ini', '[apps]\n/chat = apps/no-such-chat.js\n');
    const run = start(file);
    expect(await exited(run)).toBe(2);
    expect(run.stderr).toBe(
      `websock: ${file}: [apps] /chat = "apps/no-such-chat.js": no such file (${join(dir, 'apps', 'no-such-chat.js')}); paths start at the ini file's folder\n`,
    );
  });

  it('stops with one line and exit code 2 for an unknown app key, a bad maxIdle and a missing required key', async () => {
    const unknown = start(writeIni('unknown.ini', `[apps]\ngate = apps/gate.mjs\n\n[app:gate]\npassword = x\npasword = y\n`));
    expect(await exited(unknown)).toBe(2);
    expect(unknown.stderr).toMatch(/^websock: \S+unknown\.ini: \[app:gate\] unknown key "pasword" \(this app reads: password\)\n$/);

    const idle = start(writeIni('idle.ini', `[apps]\n/chat = ${CHAT}\n\n[app:/chat]\nmaxIdle = soon\n`));
    expect(await exited(idle)).toBe(2);
    expect(idle.stderr).toMatch(
      /^websock: \S+idle\.ini: \[app:\/chat\] maxIdle = "soon": expected a number of seconds >= 0 \(decimals allowed\)\n$/,
    );

    const required = start(writeIni('required.ini', `[apps]\ngate = apps/gate.mjs\n`));
    expect(await exited(required)).toBe(2);
    expect(required.stderr).toMatch(/^websock: \S+required\.ini: \[app:gate\] password is required and not set\n$/);
  });

  it('stops with one line and exit code 2 for a module that is not an app', async () => {
    const run = start(writeIni('nothing.ini', '[apps]\nnothing = apps/nothing.mjs\n'));
    expect(await exited(run)).toBe(2);
    expect(run.stderr).toMatch(
      /: \[apps\] nothing = "apps\/nothing\.mjs": not an app; its default export must be an object with onMessage/,
    );
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
