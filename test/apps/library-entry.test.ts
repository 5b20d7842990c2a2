/**
 * The package as a library, seen from another Node project: a folder of
 * its own whose node_modules/websock-relay links to this package (what
 * `npm install /path/to/websock-relay` makes). Its TypeScript type-checks
 * against the published types, and its built code embeds a relay with an
 * app, which real sockets then talk to.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, root } from '../helpers/build-once.js';
import { PageClient } from '../helpers/relay-fixture.js';

let project: string;
let child: ChildProcessWithoutNullStreams | null = null;
const clients: PageClient[] = [];

const EMBED = `import { Relay, defaultConfig, defineApp, parseAddress, useApp, type HookConnection } from 'websock-relay';
import { RelayClient } from 'websock-relay/client';

interface Member { name: string }

const greeter = defineApp<Member>({
  hooks: {
    preConnect(conn: HookConnection<Member>, request) {
      conn.data = { name: String(request.headers['x-name'] ?? 'anonymous') };
    },
  },
  onMessage(conn, _message, ctx) {
    ctx.sendToAll({ opcode: 'hello', from: conn.data.name });
  },
});

const relay = new Relay({ ...defaultConfig(), address: parseAddress('ws://127.0.0.1:0'), demo: false });
await useApp(relay, greeter, { path: '/greet' });
await relay.start();
const client: typeof RelayClient = RelayClient;
process.stdout.write(JSON.stringify({ url: relay.url('/greet'), client: typeof client }) + '\\n');
process.on('SIGTERM', () => void relay.stop().then(() => process.exit(0)));
`;

beforeAll(async () => {
  await ensureBuilt();
  project = mkdtempSync(join(tmpdir(), 'websock-embed-'));
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(root, join(project, 'node_modules', 'websock-relay'), 'dir');
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'embedder', type: 'module', private: true }));
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        outDir: 'out',
        skipLibCheck: true,
        types: [],
      },
      files: ['main.ts'],
    }),
  );
  writeFileSync(join(project, 'main.ts'), EMBED);
}, 120_000);

afterAll(async () => {
  for (const client of clients) client.close();
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
  rmSync(project, { recursive: true, force: true });
});

describe("import { Relay, defineApp } from 'websock-relay'", () => {
  it('type-checks and builds in another project, and the embedded relay serves its app', async () => {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    await promisify(execFile)(process.execPath, [tsc, '-p', project], { cwd: project }).catch((error: { stdout?: string }) => {
      throw new Error(`tsc failed in the embedding project:\n${error.stdout ?? ''}`);
    });
    child = spawn(process.execPath, [join(project, 'out', 'main.js')], { cwd: project, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no url line; stderr: ${stderr}`)), 10_000);
      child!.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        if (stdout.includes('\n')) {
          clearTimeout(timer);
          resolve(stdout.split('\n')[0]!);
        }
      });
      child!.once('exit', (code) => reject(new Error(`exited with ${code}; stderr: ${stderr}`)));
    });
    const { url, client } = JSON.parse(line) as { url: string; client: string };
    expect(client).toBe('function');
    const ann = await PageClient.connect(url, { headers: { 'x-name': 'ann' } });
    const bo = await PageClient.connect(url, { headers: { 'x-name': 'bo' } });
    clients.push(ann, bo);
    ann.send({ opcode: 'hi' });
    expect(await bo.nextPacket()).toEqual({ opcode: 'hello', from: 'ann' });
  }, 120_000);
});
