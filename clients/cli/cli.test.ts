import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../test/helpers/build-once.js';
import { parseAddress } from '../../include/address.js';
import { Cleanup, PageClient, startRelay } from '../../test/helpers/relay-fixture.js';
import { ExitCode } from './exit-codes.js';
import { writeSelfSignedCert } from '../../test/helpers/tls-cert.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cliPath = join(root, 'dist', 'clients', 'cli', 'websock.js');
const cleanup = new Cleanup();
let scratch = '';

beforeAll(async () => {
  // One build per test run, shared with the other suites that need dist/ (they take the same lock).
  await ensureBuilt();
  scratch = mkdtempSync(join(tmpdir(), 'websock-cli-test-'));
}, 240_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

afterEach(() => cleanup.run());

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves with the exit code (kills the process after `timeoutMs`). */
  exit: Promise<number>;
  /** Resolves once stderr contains `text`. */
  stderrHas(text: string, timeoutMs?: number): Promise<void>;
}

function websock(args: string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Run {
  const child = spawn(process.execPath, [cliPath, ...args], {
    cwd: options.cwd ?? scratch,
    env: { ...process.env, WEBSOCK_ADDRESS: '', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const run: Run = {
    child,
    stdout: '',
    stderr: '',
    exit: new Promise<number>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve(code ?? (signal ? 128 : -1));
      });
    }),
    stderrHas(text, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        if (run.stderr.includes(text)) return resolve();
        const timer = setTimeout(() => reject(new Error(`stderr never said "${text}"; it said: ${run.stderr}`)), timeoutMs);
        const check = (): void => {
          if (!run.stderr.includes(text)) return;
          clearTimeout(timer);
          child.stderr!.off('data', check);
          resolve();
        };
        child.stderr!.on('data', check);
      });
    },
  };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (run.stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (run.stderr += chunk));
  cleanup.add(child, (c) => {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  return run;
}

async function relayWithPage(overrides: Parameters<typeof startRelay>[0] = {}) {
  const relay = cleanup.add(await startRelay(overrides), (r) => r.stop());
  const page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
  return { relay, page, address: `tcp://127.0.0.1:${relay.port}` };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('websock send', () => {
  it('sends one feedback to a page and exits 0', async () => {
    const { page, address } = await relayWithPage();
    const run = websock(['send', '--address', address, '--uuid', page.uuid, 'hello', 'page']);
    expect(await run.exit, run.stderr).toBe(ExitCode.Ok);
    const packet = await page.nextPacket(15_000);
    expect(packet).toMatchObject({ opcode: 'feedback', uuid: page.uuid, message: 'hello page' });
    // The CLI's v2 request id is for the relay's answer; the page never sees it.
    expect(packet).not.toHaveProperty('id');
    expect(run.stderr).toBe('');
  });

  it('sends structured progress', async () => {
    const { page, address } = await relayWithPage();
    const run = websock(['send', '-a', address, '--uuid', page.uuid, '--job', 'import', '--progress', '3/4', '--status', 'importing']);
    expect(await run.exit, run.stderr).toBe(ExitCode.Ok);
    expect(await page.nextPacket(15_000)).toMatchObject({
      message: 'importing',
      progress: { job: 'import', done: 3, total: 4, percent: 75 },
    });
  });

  it.each(['v1', 'v2'])('--stdin delivers 1 000 lines complete and in order (protocol %s)', async (protocol) => {
    const { page, address } = await relayWithPage();
    const run = websock(['send', '--address', address, '--protocol', protocol, '--uuid', page.uuid, '--stdin'], { timeoutMs: 60_000 });
    const lines = Array.from({ length: 1000 }, (_, i) => `line ${i} ${'·'.repeat(i % 7)}`);
    run.child.stdin!.end(`${lines.join('\n')}\n`);
    expect(await run.exit, run.stderr).toBe(ExitCode.Ok);
    const received: unknown[] = [];
    for (let i = 0; i < 1000; i++) received.push((await page.nextPacket(15_000)).message);
    expect(received).toEqual(lines);
    expect(page.received).toEqual([]); // nothing extra
  });

  it('reads the address from websock.ini in the current folder', async () => {
    const { page, relay } = await relayWithPage();
    const dir = mkdtempSync(join(scratch, 'ini-'));
    writeFileSync(join(dir, 'websock.ini'), `adress = ws://0.0.0.0:${relay.port}\n`);
    const run = websock(['send', '--uuid', page.uuid, 'from the ini'], { cwd: dir });
    expect(await run.exit, run.stderr).toBe(ExitCode.Ok);
    expect(await page.nextPacket(15_000)).toMatchObject({ message: 'from the ini' });
  });

  it('trusts the self-signed certFile of the websock.ini it takes an ssl:// address from', async () => {
    const dir = mkdtempSync(join(scratch, 'tls-'));
    writeSelfSignedCert(join(dir, 'cert.pem'), join(dir, 'key.pem'));
    const relay = cleanup.add(
      await startRelay({ address: parseAddress('wss://127.0.0.1:0'), certFile: join(dir, 'cert.pem'), pkFile: join(dir, 'key.pem') }),
      (r) => r.stop(),
    );
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), { rejectUnauthorized: false }), (p) => p.close());
    writeFileSync(join(dir, 'websock.ini'), `adress = ssl://0.0.0.0:${relay.port}\ncertFile = cert.pem\npkFile = key.pem\n`);
    const run = websock(['send', '--uuid', page.uuid, 'over TLS'], { cwd: dir });
    expect(await run.exit, run.stderr).toBe(ExitCode.Ok);
    expect(await page.nextPacket(15_000)).toMatchObject({ message: 'over TLS' });
    // Without that trust the certificate is refused: exit 2.
    const untrusted = websock(['send', '--address', `ssl://127.0.0.1:${relay.port}`, '--uuid', page.uuid, 'x']);
    expect(await untrusted.exit, untrusted.stderr).toBe(ExitCode.CannotConnect);
    expect(untrusted.stderr).toMatch(/self-signed|certificate/);
    // The hint is in the CLI's own flags, not the library's option names.
    expect(untrusted.stderr).toMatch(/--ca FILE.*--insecure/);
    expect(untrusted.stderr).not.toMatch(/rejectUnauthorized/);
    const insecure = websock(['send', '--address', `ssl://127.0.0.1:${relay.port}`, '--insecure', '--uuid', page.uuid, 'insecure']);
    expect(await insecure.exit, insecure.stderr).toBe(ExitCode.Ok);
    // ws:// against the TLS port: the relay drops the plain request; say it looks like TLS.
    for (const scheme of ['ws', 'tcp']) {
      const plain = websock(['send', '--address', `${scheme}://127.0.0.1:${relay.port}`, '--uuid', page.uuid, 'x']);
      expect(await plain.exit, plain.stderr).toBe(ExitCode.CannotConnect);
      expect(plain.stderr).toMatch(/looks like a TLS relay: use wss:\/\//);
    }
  });

  it('--stdin stopped with Ctrl-C (SIGINT) says how many lines were sent and exits 130', async () => {
    const { page, address } = await relayWithPage();
    const run = websock(['send', '--address', address, '--uuid', page.uuid, '--stdin']);
    run.child.stdin!.write('one\ntwo\nthree\n'); // and stdin stays open, as with a job still running
    for (const message of ['one', 'two', 'three']) expect(await page.nextPacket(15_000)).toMatchObject({ message });
    run.child.kill('SIGINT');
    expect(await run.exit, run.stderr).toBe(ExitCode.Interrupted);
    expect(run.stderr).toBe('websock send: interrupted: 3 line(s) sent and acknowledged; no line after line 3 was read\n');
  });

  it('--stdin --job stops reading and exits 7 when the page cancels the job, which is reported failed (cancelled)', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), { protocols: ['websock.v2'] }), (p) => p.close());
    const address = `tcp://127.0.0.1:${relay.port}`;
    const run = websock(['send', '--address', address, '--uuid', page.uuid, '--stdin', '--job', 'tail']);
    run.child.stdin!.write('one\ntwo\n'); // and stdin stays open: the job would run on
    for (const status of ['one', 'two']) expect(await page.nextPacket(15_000)).toMatchObject({ progress: { job: 'tail', status } });
    page.send({ opcode: 'signal', job: 'tail', signal: 'cancel', id: 1 });
    expect(await page.nextPacket(15_000)).toEqual({ opcode: 'outcome', id: 1, outcome: 'delivered' });
    expect(await page.nextPacket(15_000)).toMatchObject({ progress: { job: 'tail', state: 'failed', status: 'cancelled' } });
    expect(await run.exit, run.stderr).toBe(ExitCode.Cancelled);
    expect(run.stderr).toBe('websock send: cancelled by the page after 2 line(s); job tail reported failed (cancelled)\n');
  });

  it('--token publishes to the page and job the token names, from outside allowedIP rules', async () => {
    const relay = cleanup.add(await startRelay({ allowedIP: ['192.0.2.1'] }), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), { protocols: ['websock.v2'] }), (p) => p.close());
    const address = `tcp://127.0.0.1:${relay.port}`;
    const refused = websock(['send', '--address', address, '--uuid', page.uuid, 'hi']);
    expect(await refused.exit, refused.stderr).toBe(ExitCode.Refused);
    page.send({ opcode: 'token', job: 'nightly', id: 't' });
    const { token } = (await page.nextPacket()) as { token?: string };
    const run = websock(['send', '--address', address, '--token', token!, '--status', 'half way', '--progress', '50']);
    expect(await run.exit, run.stderr).toBe(ExitCode.Ok);
    expect(await page.nextPacket(15_000)).toMatchObject({ uuid: page.uuid, progress: { job: 'nightly', status: 'half way', percent: 50 } });
    const other = websock(['send', '--address', address, '--token', token!, '--job', 'other', 'x']);
    expect(await other.exit, other.stderr).toBe(ExitCode.Rejected);
    expect(other.stderr).toMatch(/for job "nightly"/);
  });

  it('exits 1 on a bad address or bad usage', async () => {
    const bad = websock(['send', '--address', 'http://x', '--uuid', 'u', 'm']);
    expect(await bad.exit, bad.stderr).toBe(ExitCode.Usage);
    expect(bad.stderr).toMatch(/unknown scheme/);
    const none = websock(['send', 'm']);
    expect(await none.exit, none.stderr).toBe(ExitCode.Usage);
    expect(none.stderr).toMatch(/exactly one recipient/);
  });

  it('exits 2 when nothing listens', async () => {
    const run = websock(['send', '--address', `tcp://127.0.0.1:${await closedPort()}`, '--uuid', 'u', 'm']);
    expect(await run.exit, run.stderr).toBe(ExitCode.CannotConnect);
    expect(run.stderr).toMatch(/ECONNREFUSED/);
  });

  it('exits 3 with the relay’s reason when the handshake is refused', async () => {
    const { relay } = await relayWithPage();
    const run = websock(['send', '--address', `tcp://127.0.0.1:${relay.port}/nope`, '--uuid', 'u', 'm']);
    expect(await run.exit, run.stderr).toBe(ExitCode.Refused);
    expect(run.stderr).toMatch(/no resource at \/nope/);
  });

  it('exits 4 when a v2 relay knows no such recipient', async () => {
    const { address } = await relayWithPage();
    const run = websock(['send', '--address', address, '--ident', 'nobody', 'hello?']);
    expect(await run.exit, run.stderr).toBe(ExitCode.UnknownRecipient);
    expect(run.stderr).toMatch(/nobody is connected with ident "nobody"/);
  });

  it('exits 5 when the relay goes away mid-stream', async () => {
    const { relay, page, address } = await relayWithPage({ shutdownGraceMs: 100 });
    const run = websock(['send', '--address', address, '--uuid', page.uuid, '--stdin']);
    run.child.stdin!.write('one\ntwo\n');
    expect((await page.nextPacket(15_000)).message).toBe('one');
    expect((await page.nextPacket(15_000)).message).toBe('two');
    await relay.stop(); // stdin stays open: the command must notice by itself
    expect(await run.exit, run.stderr).toBe(ExitCode.ConnectionLost);
    expect(run.stderr).toMatch(/lost/);
  });

  it('exits 6 when the relay refuses a message as too large', async () => {
    const { page, address } = await relayWithPage({ maxMessageBytes: 2048 });
    const run = websock(['send', '--address', address, '--protocol', 'v1', '--uuid', page.uuid, 'x'.repeat(5000)]);
    expect(await run.exit, run.stderr).toBe(ExitCode.Rejected);
    expect(run.stderr).toMatch(/too large/);
  });

  it('--help lists the exit codes and examples', async () => {
    const run = websock(['send', '--help']);
    expect(await run.exit, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Exit codes:[\s\S]*4 {2}unknown recipient/);
    expect(run.stdout).toContain('websock send --uuid "$PAGE_UUID" --stdin');
  });
});

describe('websock listen', () => {
  it('prints what arrives for its ident: text by default, packets with --json', async () => {
    const { address } = await relayWithPage();
    const text = websock(['listen', '--address', address, '--ident', 'receiver', '--count', '2']);
    await text.stderrHas('listening as "receiver"');
    expect(await websock(['send', '--address', address, '--ident', 'receiver', 'hello']).exit).toBe(0);
    expect(await websock(['send', '--address', address, '--ident', 'receiver', '--json', '{"n":2}']).exit).toBe(0);
    expect(await text.exit, text.stderr).toBe(0);
    expect(text.stdout).toBe('hello\n{"n":2}\n');

    const json = websock(['listen', '--address', address, '--ident', 'receiver2', '--json', '--count', '1']);
    await json.stderrHas('listening');
    expect(await websock(['send', '--address', address, '--ident', 'receiver2', 'hi']).exit).toBe(0);
    expect(await json.exit, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ opcode: 'feedback', ident: 'receiver2', message: 'hi' });
  });

  it('reconnects after the relay restarts on the same port', async () => {
    const first = await startRelay({ shutdownGraceMs: 100 });
    const port = first.port;
    const address = `tcp://127.0.0.1:${port}`;
    const listener = websock(['listen', '--address', address, '--ident', 'survivor', '--count', '1']);
    await listener.stderrHas('listening');
    await first.stop();
    await listener.stderrHas('reconnecting');
    cleanup.add(await startRelay({ address: { ...parseAddress(address), port } }), (r) => r.stop());
    await listener.stderrHas('reconnected');
    expect(await websock(['send', '--address', address, '--ident', 'survivor', 'still here']).exit).toBe(0);
    expect(await listener.exit, listener.stderr).toBe(0);
    expect(listener.stdout).toBe('still here\n');
  });

  it('stops cleanly on SIGTERM', async () => {
    const { address } = await relayWithPage();
    const listener = websock(['listen', '--address', address, '--ident', 'stopper']);
    await listener.stderrHas('listening');
    listener.child.kill('SIGTERM');
    expect(await listener.exit, listener.stderr).toBe(0);
  });

  it('exits 2 when the relay cannot be reached at start', async () => {
    const run = websock(['listen', '--address', `tcp://127.0.0.1:${await closedPort()}`, '--ident', 'x']);
    expect(await run.exit, run.stderr).toBe(ExitCode.CannotConnect);
  });
});

describe('the built websock program', () => {
  it('runs as an executable on its own (as npm links it, and as npx runs it from a cached link)', async () => {
    const child = spawn(cliPath, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    const [code] = (await Promise.race([once(child, 'exit'), once(child, 'error').then(([error]) => Promise.reject(error))])) as [number];
    expect(code).toBe(0);
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
