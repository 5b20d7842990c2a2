/**
 * POST /demo/job on a real relay: the limit on jobs running at once holds
 * even when many requests arrive together and their bodies come later.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../test/helpers/build-once.js';
import { startRelay } from '../../test/helpers/relay-fixture.js';
import { RawHttp, until } from '../../test/http/http-client.js';
import type { HttpHandler } from '../http/http-router.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, type LogFields } from '../logger/logger.js';
import type { Relay } from '../relay.js';
import { DemoJobs } from './demo-jobs.js';
import { installDemo } from './index.js';

let relay: Relay | undefined;
const sockets: RawHttp[] = [];

beforeAll(async () => {
  await ensureBuilt();
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await relay?.stop();
  relay = undefined;
});

describe('POST /demo/job', () => {
  it('never runs more than maxJobs, however many requests arrive at once', async () => {
    relay = await startRelay();
    // Count the requests that reached the handler, so the bodies are sent only once every one of them is in.
    let entered = 0;
    const add = relay.http.add.bind(relay.http);
    relay.http.add = (method: string, path: string, handler: HttpHandler) =>
      add(method, path, (req, res, ctx) => {
        if (path === '/demo/job') entered++;
        return handler(req, res, ctx);
      });
    installDemo(relay, { maxJobs: 2, stepMs: 2_000, ratePerSecond: 100 });

    const body = JSON.stringify({ uuid: 'nobody-is-here', steps: 1 });
    const requests = 6;
    for (let i = 0; i < requests; i++) {
      const socket = await RawHttp.open(relay.port);
      sockets.push(socket);
      socket.write(`POST /demo/job HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    }
    await until(() => entered === requests);
    for (const socket of sockets) socket.write(body);
    const statuses = (await Promise.all(sockets.map((socket) => socket.response()))).map((answer) => answer.status);

    expect(statuses.filter((status) => status === 202)).toHaveLength(2);
    expect(statuses.filter((status) => status === 429)).toHaveLength(requests - 2);
  });
});

describe('demo jobs and the relay lifecycle', () => {
  it('killAll() ends running jobs, even one that would never stop by itself', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'demo-jobs-'));
    const script = join(dir, 'stubborn.mjs');
    writeFileSync(script, "process.on('SIGINT', () => {}); setInterval(() => {}, 1000);\n");
    const pids: number[] = [];
    const logger = {
      ...silentLogger,
      info(message: string, fields?: LogFields) {
        if (message === 'demo job started' && typeof fields?.pid === 'number') pids.push(fields.pid);
      },
    };
    const jobs = new DemoJobs({ script, maxJobs: 5, stepMs: 10, timeoutMs: 60_000 }, logger);
    jobs.start({ uuid: 'u', job: 'j', steps: 1 }, 'tcp://127.0.0.1:1/php');
    await until(() => pids.length === 1);
    const alive = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(alive(pids[0]!)).toBe(true);
    jobs.killAll();
    await until(() => jobs.running === 0);
    expect(alive(pids[0]!)).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });

  it('the relay runs its stop hooks (installDemo registers killAll there)', async () => {
    relay = await startRelay();
    let ran = 0;
    relay.onStop(() => {
      ran++;
    });
    await relay.stop();
    relay = undefined;
    expect(ran).toBe(1);
  });
});
