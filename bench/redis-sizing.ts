/**
 * How much Redis one page costs with the Redis engine: starts a redis-server
 * (from the PATH) and one relay on it, opens N v2 pages, publishes M
 * messages of 100 B with progress to each, and reads Redis's used_memory
 * before and after. docs/deployment.md sizes Redis from its output.
 *
 *   npm run build && node dist/bench/redis-sizing.js [pages=1000] [messages=10]
 */
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { WebSocket } from 'ws';
import { parseAddress } from '../include/address.js';
import { defaultConfig } from '../server/config/relay-config.js';
import { Relay } from '../server/relay.js';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function usedMemory(port: number): number {
  const info = execFileSync('redis-cli', ['-p', String(port), 'info', 'memory']).toString();
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
}

function firstMessage(ws: WebSocket): Promise<{ uuid?: string }> {
  return new Promise((resolve, reject) => {
    ws.once('message', (data: Buffer) => resolve(JSON.parse(data.toString('utf8')) as { uuid?: string }));
    ws.once('error', reject);
  });
}

const pagesWanted = Number(process.argv[2] ?? 1000);
const messagesEach = Number(process.argv[3] ?? 10);
const port = await freePort();
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
  stdio: 'ignore',
});
for (let tries = 0; ; tries++) {
  try {
    usedMemory(port);
    break;
  } catch (error) {
    if (tries > 50) throw error;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
const relay = new Relay(
  {
    ...defaultConfig(),
    address: parseAddress('ws://127.0.0.1:0'),
    secret: 'redis-sizing-secret',
    demo: false,
    broker: `redis://127.0.0.1:${port}`,
  },
  {},
);
await relay.start();
const before = usedMemory(port);
const pages: { ws: WebSocket; uuid: string }[] = [];
for (let i = 0; i < pagesWanted; i++) {
  const ws = new WebSocket(`ws://127.0.0.1:${relay.port}/web`, ['websock.v2']);
  pages.push({ ws, uuid: String((await firstMessage(ws)).uuid) });
}
const afterPages = usedMemory(port);
const publisher = new WebSocket(`ws://127.0.0.1:${relay.port}/php`, ['websock.v2'], { headers: { 'Client-Type': 'php' } });
await firstMessage(publisher);
const total = pagesWanted * messagesEach;
let answered = 0;
const allAnswered = new Promise<void>((resolve) =>
  publisher.on('message', () => {
    if (++answered === total) resolve();
  }),
);
const text = 'x'.repeat(100);
for (let k = 0; k < messagesEach; k++) {
  for (const page of pages) {
    publisher.send(JSON.stringify({ opcode: 'feedback', uuid: page.uuid, message: text, progress: { job: 'j', percent: k }, id: k }));
  }
}
await allAnswered;
const afterMessages = usedMemory(port);
console.log(
  JSON.stringify({
    pages: pagesWanted,
    messagesEach,
    redisBytesPerPage: Math.round((afterPages - before) / pagesWanted),
    redisBytesPerMessage: Math.round((afterMessages - afterPages) / total),
    redisBytesPerPageWithHistory: Math.round((afterMessages - before) / pagesWanted),
  }),
);
for (const page of pages) page.ws.terminate();
publisher.terminate();
await relay.stop();
redis.kill('SIGKILL');
