/**
 * The nginx and HAProxy configurations of docs/deployment.md, run as
 * written (only the node addresses and the listener are replaced by
 * loopback ones) in front of two relay processes on one real redis-server.
 * A page connects through the proxy, its node is killed with SIGKILL, and
 * the page reconnects through the same proxy, lands on the other node and
 * resumes with every message published meanwhile, once and in order. The
 * publisher posts to /feedback through the proxy too.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChildRelay } from '../fuzz/child-relay.js';
import { testedExample } from '../docs/markdown-blocks.js';
import { root } from '../helpers/build-once.js';
import { ProxyProcess, type ProxyKind } from '../helpers/proxy-process.js';
import { RedisServer } from '../../bench/lib/redis-server.js';
import { ClusterFixture, until } from './cluster-sockets.js';
import { ResumingPage } from './resuming-page.js';

const BEFORE_KILL = 5;
const WHILE_AWAY = 5;
const AFTER_RESUME = 5;

/** The fenced block of docs/deployment.md marked `<!-- tested: NAME -->`. */
function documented(name: string): string {
  return testedExample(root, name);
}

/**
 * The documented block with its `server 10.0.0.x:8080` lines pointed at
 * `ports` (extra server lines dropped, options kept); each port must get one.
 */
function withNodes(text: string, ports: number[]): string {
  let used = 0;
  const out = text.split('\n').flatMap((line) => {
    const match = /^(\s*server\s+(?:\S+\s+)?)10\.0\.0\.\d+:8080(.*)$/.exec(line);
    if (!match) return [line];
    return used < ports.length ? [`${match[1]}127.0.0.1:${ports[used++]}${match[2]}`] : [];
  });
  if (used !== ports.length) throw new Error(`the documented block names ${used} servers, the test has ${ports.length} nodes`);
  return out.join('\n');
}

/** nginx's whole file: the documented http-level block inside what a standalone nginx needs. */
function nginxConfig(ports: number[]) {
  return (dir: string, port: number): string => {
    const block = withNodes(documented('nginx-config'), ports);
    const listen = /listen 443 ssl http2;/;
    if (!listen.test(block)) throw new Error('the nginx block no longer listens with "listen 443 ssl http2;": update this test');
    return [
      'daemon off;',
      'worker_processes 1;',
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log warn;`,
      'events { worker_connections 256; }',
      'http {',
      '  access_log off;',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${dir}/${kind};`),
      block.replace(listen, `listen 127.0.0.1:${port};`),
      '}',
    ].join('\n');
  };
}

/** HAProxy's whole file: the documented backend behind a frontend on the test's port. */
function haproxyConfig(ports: number[]) {
  return (_dir: string, port: number): string =>
    [
      'defaults',
      '  mode http',
      '  timeout connect 2s',
      '  timeout client 30s',
      '  timeout server 30s',
      'frontend relay',
      `  bind 127.0.0.1:${port}`,
      '  default_backend websock',
      withNodes(documented('haproxy-config'), ports),
    ].join('\n');
}

async function health(port: number): Promise<{ status: number; browsers: number }> {
  const res = await fetch(`http://127.0.0.1:${port}/health`);
  const body = (await res.json().catch(() => ({}))) as { browsers?: number };
  return { status: res.status, browsers: body.browsers ?? -1 };
}

/** Resolves once GET /health through the proxy answers 200 (the proxy listens and reaches a node). */
async function proxyReady(proxy: ProxyProcess): Promise<void> {
  let ok = false;
  const started = Date.now();
  while (!ok) {
    ok = await health(proxy.port).then(
      (answer) => answer.status === 200,
      () => false,
    );
    if (!ok && Date.now() - started > 15_000) throw new Error(`${proxy.kind} not serving /health: ${proxy.output}`);
    if (!ok) await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let redis: RedisServer;
beforeAll(async () => {
  redis = await RedisServer.start();
}, 30_000);
afterAll(async () => {
  await redis?.stop();
});

describe.each<[ProxyKind, (ports: number[]) => (dir: string, port: number) => string]>([
  ['nginx', nginxConfig],
  ['haproxy', haproxyConfig],
])('behind %s, configured as docs/deployment.md says', (kind, config) => {
  const cluster = new ClusterFixture();
  let proxy: ProxyProcess | null = null;

  afterEach(async () => {
    await proxy?.stop();
    await cluster.closeAll();
  });

  it('a page whose node is killed resumes through the proxy on the other node and misses nothing', async () => {
    const nodes = await cluster.startNodes(2, redis.url, `lb-${kind}:`);
    proxy = await ProxyProcess.start(kind, config(nodes.map((node) => node.port)));
    await proxyReady(proxy);
    const publish = async (message: string): Promise<string> => {
      const res = await fetch(`http://127.0.0.1:${proxy!.port}/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ uuid: page.uuid, message }),
      });
      const text = await res.text();
      try {
        return String((JSON.parse(text) as { outcome?: string }).outcome);
      } catch {
        return `HTTP ${res.status} from the proxy: ${text.slice(0, 200)}`;
      }
    };

    // The fixture's sockets go to any port: here, the proxy's.
    const page = new ResumingPage((port, path, onPacket) => cluster.open(port, path, onPacket));
    await page.connect(proxy.port);
    const holders = await Promise.all(nodes.map((node) => health(node.port)));
    const held = holders.findIndex((answer) => answer.browsers === 1);
    expect(holders.map((answer) => answer.browsers).sort()).toEqual([0, 1]);
    const [doomed, survivor] = [nodes[held]!, nodes[1 - held]!] as [ChildRelay, ChildRelay];

    for (let i = 0; i < BEFORE_KILL; i++) expect(await publish(`m${i}`)).toBe('delivered');
    await until('the first messages on the page', () => page.messages.length === BEFORE_KILL, 10_000);

    await doomed.kill();
    await page.closed();
    // While the page is away: whatever the publisher is told, each is in the page's log.
    const away: string[] = [];
    for (let i = BEFORE_KILL; i < BEFORE_KILL + WHILE_AWAY; i++) away.push(await publish(`m${i}`));

    await page.resume(proxy.port);
    expect(page.resumed).toMatchObject({ opcode: 'resumed', recovered: true });
    expect((await health(survivor.port)).browsers).toBe(1);
    const total = BEFORE_KILL + WHILE_AWAY + AFTER_RESUME;
    for (let i = BEFORE_KILL + WHILE_AWAY; i < total; i++) expect(await publish(`m${i}`)).toBe('delivered');
    await until('every message on the page', () => page.messages.length >= total, 15_000).catch((error: Error) => {
      throw new Error(`${error.message}: got ${JSON.stringify(page.messages)}; outcomes while away ${JSON.stringify(away)}`);
    });

    expect(page.messages).toEqual(Array.from({ length: total }, (_, i) => `m${i}`));
    expect(page.seqs).toEqual(page.seqs.map((_, k) => page.seqs[0]! + k));
    expect(survivor.exited).toBeNull();
  }, 60_000);
});
