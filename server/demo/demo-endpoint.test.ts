/**
 * POST /demo/job on a real relay: the limit on jobs running at once holds
 * even when many requests arrive together and their bodies come later.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../test/helpers/build-once.js';
import { startRelay } from '../../test/helpers/relay-fixture.js';
import { RawHttp, until } from '../../test/http/http-client.js';
import type { HttpHandler } from '../http/http-router.js';
import type { Relay } from '../relay.js';
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
    installDemo(relay, { maxJobs: 2, stepMs: 2_000 });

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
