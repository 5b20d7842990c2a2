/**
 * For the cluster tests that run relays as processes: v2 sockets whose
 * packets go to a callback, relay nodes on one Redis, and a bounded wait on
 * a condition. Everything opened here is closed by `closeAll()`.
 */
import { WebSocket } from 'ws';
import { ChildRelay } from '../fuzz/child-relay.js';

export type Packet = { opcode: string; [k: string]: unknown };

/** v2 sockets and relay processes to close in afterAll. */
export class ClusterFixture {
  readonly nodes: ChildRelay[] = [];
  readonly #sockets: WebSocket[] = [];

  /** Start `count` relays sharing the Redis at `redisUrl` under `prefix`, with one secret (and `extra` ini lines); returns those started. */
  async startNodes(count: number, redisUrl: string, prefix: string, extra: string[] = []): Promise<ChildRelay[]> {
    const ini = [`broker = ${redisUrl}`, `brokerPrefix = ${prefix}`, `secret = ${prefix}cluster-test-secret-5b0f3c9e71a2`, ...extra];
    const started: ChildRelay[] = [];
    for (let i = 0; i < count; i++) started.push(await ChildRelay.start(ini));
    this.nodes.push(...started);
    return started;
  }

  /** Open a v2 socket to `path` on the relay at `port`, handing every packet to `onPacket`; resolves once open. */
  open(port: number, path: string, onPacket: (packet: Packet) => void, headers: Record<string, string> = {}): Promise<WebSocket> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, ['websock.v2'], { headers });
    this.#sockets.push(ws);
    ws.on('message', (data: Buffer) => onPacket(JSON.parse(data.toString('utf8')) as Packet));
    ws.on('error', () => {});
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
  }

  async closeAll(): Promise<void> {
    for (const ws of this.#sockets) ws.terminate();
    await Promise.all(this.nodes.map((node) => node.stop()));
  }
}

/** Resolves once `condition` holds (checked every 20 ms); rejects naming `what` after `timeoutMs`. */
export function until(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      if (condition()) {
        clearInterval(poll);
        resolve();
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(poll);
        reject(new Error(`timed out waiting for ${what}`));
      }
    }, 20);
  });
}
