/**
 * Every fenced example in README.md, docs/*.md and php2php/README.md is run
 * or accounted for. How a block is treated:
 *
 * - `json` blocks are parsed (a block may hold one value, or one packet per
 *   line with `→`/`←` arrows and a trailing comment; `,…` elides fields).
 * - `ini` blocks are loaded as a websock.ini by the relay's config loader
 *   (unknown keys and bad values fail).
 * - `text`, `yaml`, `promql` and blocks without a language are sample output
 *   or reference text: listed as not run, with that reason.
 * - Every other block (sh, html, js, ts, php, ini, …) must be either run by a
 *   test, marked on the line before its fence with
 *   `<!-- tested: NAME -->` where NAME is listed in TESTED below (this file
 *   or test/http/docs-examples.test.ts runs it), or marked as not runnable:
 *
 *       <!-- not run: sudo and systemd; the unit file is checked by server/config/shipped-files.test.ts -->
 *       ```sh
 *
 *   A new block with neither fails "every example is run or marked", naming
 *   its file and line. Say in the reason what stands in for it, if anything.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config/load-config.js';
import type { Relay } from '../../server/relay.js';
import { ensureBuilt, launchChromium, newContext } from '../../webClient/browser-harness.js';
import { Cleanup, startRelay } from '../helpers/relay-fixture.js';
import { blockNamed, documentedFiles, fencedBlocks, type DocBlock } from './markdown-blocks.js';

/** What the page functions below use of the browser's globals (this file is compiled without the DOM lib). */
interface PageGlobals {
  document: { getElementById(id: string): { textContent: string | null } | null };
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist', 'clients', 'cli', 'websock.js');
const STANDIN = join(ROOT, 'test', 'php', 'websocket-php-standin.php');
const WAIT = { timeout: 15_000 };

/** Names of `<!-- tested: NAME -->` blocks and the test that runs each. */
const TESTED: Record<string, string> = {
  'php-publish': 'test/http/docs-examples.test.ts',
  'pusher-php-curl': 'test/pusher/http-php-snippet.test.ts',
  'shell-publish': 'test/http/docs-examples.test.ts',
  'jobs-php': 'test/jobs/jobs-php.test.ts',
  'nginx-config': 'test/cluster/load-balancers.test.ts',
  'haproxy-config': 'test/cluster/load-balancers.test.ts',
  'readme-page': 'here: the README page, served by the relay',
  'readme-page-other-origin': 'here: the README page, served by another origin',
  'readme-cli': 'here: the three CLI lines, against that page',
  'readme-curl': 'here: the curl line, against that page',
  'clients-three-lines': 'here: as readme-cli',
  'clients-stdin': 'here: as readme-cli',
  'php2php-node': 'here: the sender × receiver matrix',
  'php2php-cli': 'here: the sender × receiver matrix',
  'php2php-receiver': 'here: the sender × receiver matrix',
  'php2php-sender': 'here: the sender × receiver matrix',
  'php2php-php': 'here: the sender × receiver matrix',
};

const OUTPUT_LANGS: Record<string, string> = {
  '': 'sample output or a synopsis',
  text: 'sample output or a synopsis',
  yaml: 'a Prometheus scrape config: no Prometheus here',
  promql: 'PromQL: no Prometheus here',
};

/** Languages whose blocks are checked here without a marker. */
const AUTO_CHECKED = new Set(['json', 'ini']);

const blocks: DocBlock[] = documentedFiles(ROOT).flatMap((file) => fencedBlocks(ROOT, file));

function block(name: string): DocBlock {
  return blockNamed(blocks, name);
}

/** The JSON values of a `json` block: the whole block, or each line less its arrow and comment. */
function jsonValues(text: string): unknown[] {
  try {
    return [JSON.parse(text)];
  } catch {
    // One packet per line (or over several lines), with → / ← and prose after the last brace.
  }
  const cleaned = text
    .split('\n')
    .map((line) => line.replace(/^\s*[→←]\s*/, '').replace(/(\})[^}]*$/, '$1'))
    .map((line) => line.replace(/,\s*…/g, '')) // {"seq":42,…}: the rest of the packet left out
    .join('\n');
  const values: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < cleaned.length; i++) {
    const c = cleaned[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}' && --depth === 0) values.push(JSON.parse(cleaned.slice(start, i + 1)));
  }
  if (values.length === 0) throw new Error('no JSON value in the block');
  return values;
}

describe('the documented examples', () => {
  it('every example is run or marked (see the top of this file)', () => {
    const unaccounted = blocks
      .filter((b) => !AUTO_CHECKED.has(b.lang) && !(b.lang in OUTPUT_LANGS) && b.notRun === null && b.tested === null)
      .map((b) => `${b.file}:${b.line} (${b.lang}) ${b.text.split('\n')[0]}`);
    expect(unaccounted, 'mark each with <!-- tested: NAME --> (and run it) or <!-- not run: REASON -->').toEqual([]);
    const unknown = blocks.filter((b) => b.tested !== null && !(b.tested in TESTED)).map((b) => `${b.file}:${b.line} ${b.tested}`);
    expect(unknown).toEqual([]);
    const emptyReasons = blocks.filter((b) => b.notRun !== null && b.notRun.length < 10).map((b) => `${b.file}:${b.line}`);
    expect(emptyReasons, 'a not-run marker says why').toEqual([]);
  });

  it('every json block parses', () => {
    const bad: string[] = [];
    for (const b of blocks.filter((x) => x.lang === 'json')) {
      try {
        jsonValues(b.text);
      } catch (error) {
        bad.push(`${b.file}:${b.line}: ${(error as Error).message}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('every ini block is a websock.ini the relay accepts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'websock-docs-ini-'));
    const bad: string[] = [];
    try {
      for (const b of blocks.filter((x) => x.lang === 'ini' && x.notRun === null)) {
        const file = join(dir, `${b.line}.ini`);
        writeFileSync(file, b.text);
        try {
          loadConfig({ iniFile: file });
        } catch (error) {
          bad.push(`${b.file}:${b.line}: ${(error as Error).message}`);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(bad).toEqual([]);
  });

  // Listed so that a run shows what is not executed, and why.
  for (const b of blocks.filter((x) => x.notRun !== null || (x.lang in OUTPUT_LANGS && x.tested === null))) {
    it.skip(`not run: ${b.file}:${b.line} (${b.lang || 'no language'}): ${b.notRun ?? OUTPUT_LANGS[b.lang]}`, () => {});
  }
});

// ---------------------------------------------------------------------------

const cleanup = new Cleanup();
afterEach(() => cleanup.run());
let browser: Browser;

beforeAll(async () => {
  await ensureBuilt();
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
});

function scratch(): string {
  return cleanup.add(mkdtempSync(join(tmpdir(), 'websock-docs-')), (d) => rmSync(d, { recursive: true, force: true }));
}

/** A shell where `websock` is this checkout's CLI and the example's placeholders exist. */
function shellPrelude(): string {
  return [
    `websock() { node ${JSON.stringify(CLI)} "$@"; }`,
    "long_job() { printf 'copying\\nchecking\\n'; }",
    "long_import() { printf 'row 1\\nrow 2\\n'; }",
  ].join('\n');
}

async function sh(script: string, env: Record<string, string>, cwd = ROOT): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)('sh', ['-ec', `${shellPrelude()}\n${script}`], {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

/** Serve one HTML page on its own port: another origin than the relay's. */
async function otherOrigin(html: string): Promise<string> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.add(server, (s) => new Promise((resolve) => s.close(resolve)));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
}

function page(body: string): string {
  return `<!doctype html><html><body>\n${body}\n<script type="module">window.exampleLoaded = true;</script></body></html>`;
}

describe('README: a page, then the shell lines that report to it', () => {
  async function runAgainst(relay: Relay, url: string): Promise<void> {
    const errors: string[] = [];
    const context = await newContext(browser, {}, (message) => errors.push(message));
    cleanup.add(context, (c) => c.close());
    const tab = await context.newPage();
    tab.on('pageerror', (error) => errors.push(error.message));
    await tab.goto(url);
    // The snippet keeps its client in a module scope: the page's uuid is on the relay.
    await expect.poll(() => [...relay.hub.all()].filter((c) => c.kind === 'browser').length, WAIT).toBe(1);
    const uuid = [...relay.hub.all()].find((c) => c.kind === 'browser')!.uuid;
    const env = { PAGE_UUID: uuid, WEBSOCK_ADDRESS: `tcp://127.0.0.1:${relay.port}` };
    const cli = block('readme-cli').text;
    await sh(cli.split('\n').slice(0, 1).join('\n'), env);
    await tab.waitForFunction(
      () => (globalThis as unknown as PageGlobals).document.getElementById('status')?.textContent === 'reading the file',
      undefined,
      WAIT,
    );
    await sh(cli.split('\n').slice(1).join('\n'), env);
    // The last line's two stdin lines come after "import finished".
    await tab.waitForFunction(
      () => (globalThis as unknown as PageGlobals).document.getElementById('status')?.textContent === 'import finished',
      undefined,
      WAIT,
    );
    expect(await tab.$eval('#bar', (bar) => [(bar as unknown as { value: number }).value, bar.getAttribute('data-state')])).toEqual([
      100,
      'done',
    ]);
    const curl = block('readme-curl').text.replace(/http:\/\/127\.0\.0\.1:8080/g, relay.httpUrl('').replace(/\/$/, ''));
    const answer = await sh(curl, env);
    expect(JSON.parse(answer.stdout)).toEqual({ outcome: 'delivered' });
    await tab.waitForFunction(
      () => (globalThis as unknown as PageGlobals).document.getElementById('status')?.textContent === '50 %',
      undefined,
      WAIT,
    );
    expect(await tab.$eval('#bar', (bar) => (bar as unknown as { value: number }).value)).toBe(50);
    expect(errors).toEqual([]);
  }

  it('the page served by the relay', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const dir = scratch();
    writeFileSync(join(dir, 'index.html'), page(block('readme-page').text));
    relay.http.addStatic('/example/', dir);
    await runAgainst(relay, relay.httpUrl('/example/'));
  });

  it('the page on another origin, importing the client from the relay (CORS) and connecting to ws://relay/web', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const html = block('readme-page-other-origin').text.replace(/relay\.example\.org:8080/g, `127.0.0.1:${relay.port}`);
    const url = await otherOrigin(page(html));
    expect(new URL(url).origin).not.toBe(new URL(relay.httpUrl('/')).origin);
    const script = await fetch(relay.httpUrl('/websock-client.mjs'), { headers: { origin: new URL(url).origin } });
    expect(script.headers.get('access-control-allow-origin')).toBe('*');
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    await runAgainst(relay, url);
  });
});

// ---------------------------------------------------------------------------

interface Proc {
  child: ChildProcess;
  out: () => string;
}

function start(command: string, args: string[], env: Record<string, string>, cwd: string): Proc {
  // Its own process group: a README line run by `sh -c` starts node as sh's child, which killing sh would orphan.
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  cleanup.add(child, (c) => {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      // The group is gone already.
    }
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (out += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (out += text));
  return { child, out: () => out };
}

/** A php2php README block with the original class's require replaced by our stand-in. */
function phpFile(dir: string, name: string, tested: string): string {
  const text = block(tested).text.replace(/require_once '[^']*websocketPhp\.php';/, `require_once ${JSON.stringify(STANDIN)};`);
  expect(text).toContain(STANDIN);
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

type Receiver = 'node' | 'cli' | 'php';
type Sender = 'node' | 'cli' | 'php';

/** What each sender's README lines send, and how each receiver prints a message. */
const SENT: Record<Sender, unknown[]> = {
  node: ['Hello 1 from sender', 'Hello 22 from sender', { hello: 333, from: 'sender' }, 'any words you like'],
  cli: ['hello', { rows: 42 }, 'a', 'b', 'c'],
  php: ['hello', 'hello again'],
};

/** The messages a receiver printed: Node's receiver prefixes each with who sent it. */
function printedMessages(receiver: Receiver, output: string): string[] {
  const lines = output.split('\n');
  return receiver === 'node' ? lines.map((l) => l.replace(/^receiver: from \S+: /, '')) : lines;
}

describe('php2php/README.md: every sender reaches every receiver', () => {
  const lines = (tested: string): string[] =>
    block(tested)
      .text.split('\n')
      .map((l) => l.replace(/\s+#.*$/, '').trim())
      .filter((l) => l !== '' && !l.startsWith('#'));

  for (const receiver of ['node', 'cli', 'php'] as const) {
    for (const sender of ['node', 'cli', 'php'] as const) {
      it(`${sender} sender → ${receiver} receiver`, async () => {
        const relay = cleanup.add(await startRelay(), (r) => r.stop());
        const dir = scratch();
        const env = { WEBSOCK_ADDRESS: `tcp://127.0.0.1:${relay.port}/php` };
        const receiverProc =
          receiver === 'node'
            ? start('sh', ['-c', lines('php2php-node').find((l) => l.includes('receiver.js'))!], env, ROOT)
            : receiver === 'cli'
              ? start('sh', ['-c', `${shellPrelude()}\n${lines('php2php-cli').find((l) => l.startsWith('websock listen'))!}`], env, ROOT)
              : start('php', [phpFile(dir, 'receiver.php', 'php2php-receiver')], env, dir);
        await expect.poll(() => relay.hub.byIdent('receiver') !== undefined, WAIT).toBe(true);
        if (sender === 'node') {
          for (const line of lines('php2php-node').filter((l) => l.includes('sender.js') && !l.includes('nobody'))) await sh(line, env);
          const nobody = lines('php2php-node').find((l) => l.includes('--to nobody'))!;
          await expect(sh(nobody, env)).rejects.toMatchObject({ code: 4 });
        } else if (sender === 'cli') {
          for (const line of lines('php2php-cli').filter((l) => l.startsWith('websock send') || l.startsWith('printf')))
            await sh(line, env);
        } else {
          phpFile(dir, 'sender.php', 'php2php-sender');
          const run = lines('php2php-php').find((l) => l.startsWith('php sender.php'))!;
          await sh(run, env, dir);
        }
        const expected = SENT[sender].map((m) => (typeof m === 'string' ? m : JSON.stringify(m)));
        await expect
          .poll(() => expected.filter((text) => printedMessages(receiver, receiverProc.out()).includes(text)).length, WAIT)
          .toBe(expected.length);
        expect(receiverProc.child.exitCode).toBeNull(); // still receiving: nothing crashed it
      });
    }
  }
});
