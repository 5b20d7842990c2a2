import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startReferenceRelay, type ReferenceRelay } from './reference-relay.js';

/** Collects a socket's text frames as parsed JSON and lets a test await the next one. */
class Inbox {
  readonly #queue: unknown[] = [];
  readonly #waiting: Array<(value: unknown) => void> = [];
  constructor(socket: WebSocket) {
    socket.on('message', (data) => {
      const value: unknown = JSON.parse(data.toString());
      const waiter = this.#waiting.shift();
      if (waiter) waiter(value);
      else this.#queue.push(value);
    });
  }
  next(timeoutMs = 2000): Promise<unknown> {
    if (this.#queue.length > 0) return Promise.resolve(this.#queue.shift());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no frame in time')), timeoutMs);
      this.#waiting.push((value) => {
        clearTimeout(timer);
        resolve(value);
      });
    });
  }
}

describe('reference relay', () => {
  let relay: ReferenceRelay;
  const sockets: WebSocket[] = [];

  async function connect(path: string, headers: Record<string, string> = {}): Promise<{ socket: WebSocket; inbox: Inbox; uuid: string }> {
    const socket = new WebSocket(`ws://127.0.0.1:${relay.port}${path}`, { headers });
    sockets.push(socket);
    const inbox = new Inbox(socket);
    const ready = (await inbox.next()) as { opcode: string; uuid: string };
    expect(ready.opcode).toBe('ready');
    return { socket, inbox, uuid: ready.uuid };
  }

  beforeEach(async () => {
    relay = await startReferenceRelay(0);
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.terminate();
    await relay.close();
  });

  it('routes feedback by uuid and by Ident, answering each with next', async () => {
    const page = await connect('/web');
    const receiver = await connect('/php', { 'Client-Type': 'php', Ident: 'rx' });
    const sender = await connect('/php', { 'Client-Type': 'php' });

    const toPage = { opcode: 'feedback', uuid: page.uuid, message: 'hello', fromUUID: 'x' };
    sender.socket.send(JSON.stringify(toPage));
    expect(await page.inbox.next()).toEqual(toPage);
    expect(await sender.inbox.next()).toEqual({ opcode: 'next', fyi: '' });

    const toScript = { opcode: 'feedback', ident: 'rx', uuid: page.uuid, message: 'hi' };
    sender.socket.send(JSON.stringify(toScript));
    expect(await receiver.inbox.next()).toEqual(toScript);
    expect(await sender.inbox.next()).toEqual({ opcode: 'next', fyi: '' });
  });

  it('broadcasts to pages except the sender, not to backends; echoes back', async () => {
    const a = await connect('/web');
    const b = await connect('/web');
    const backend = await connect('/php', { 'Client-Type': 'php' });

    a.socket.send(JSON.stringify({ opcode: 'broadcast', message: 'all' }));
    expect(await b.inbox.next()).toEqual({ opcode: 'broadcast', message: 'all' });
    expect(await a.inbox.next()).toEqual({ opcode: 'next', fyi: '' });

    backend.socket.send(JSON.stringify({ opcode: 'echo', message: 'me' }));
    expect(await backend.inbox.next()).toEqual({ opcode: 'echo', message: 'me' });
    expect(await backend.inbox.next()).toEqual({ opcode: 'next', fyi: '' });
    // The backend got no broadcast: its next frame was the echo.
  });

  it('publishes POST /feedback to the page as a feedback packet', async () => {
    const page = await connect('/web');
    const post = (body: unknown) =>
      fetch(`http://127.0.0.1:${relay.port}/feedback`, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
    const delivered = await post({ uuid: page.uuid, message: 'over http' });
    expect(delivered.status).toBe(200);
    expect(await delivered.json()).toEqual({ outcome: 'delivered' });
    expect(await page.inbox.next()).toEqual({ opcode: 'feedback', uuid: page.uuid, message: 'over http' });
    const unknown = await post({ uuid: 'nobody', message: 'x' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ outcome: 'unknown' });
  });

  it('publishes POST /feedback/batch message by message, with an outcome each', async () => {
    const page = await connect('/web');
    const answer = await fetch(`http://127.0.0.1:${relay.port}/feedback/batch`, {
      method: 'POST',
      body: JSON.stringify({
        messages: [
          { uuid: page.uuid, message: 'one' },
          { uuid: 'nobody', message: 'x' },
          { uuid: page.uuid, message: 'two' },
        ],
      }),
      headers: { 'content-type': 'application/json' },
    });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ results: [{ outcome: 'delivered' }, { outcome: 'unknown' }, { outcome: 'delivered' }] });
    expect(await page.inbox.next()).toEqual({ opcode: 'feedback', uuid: page.uuid, message: 'one' });
    expect(await page.inbox.next()).toEqual({ opcode: 'feedback', uuid: page.uuid, message: 'two' });
  });
});
