/**
 * preSend and postSend on every delivery path, against a real relay: feedback
 * by uuid (v1 and v2 pages) and by Ident, broadcast, replay after a resume,
 * HTTP publish; replacement, veto, async hooks, a hook that throws.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Hooks } from '../../server/hooks/hook-types.js';
import type { Relay } from '../../server/relay.js';
import type { Connection } from '../../server/transport/connection.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';
import { MemoryLogger } from './memory-logger.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());
const V2 = { protocols: ['websock.v2'] };

async function relayWith(hooks: Hooks<never>, logger = new MemoryLogger()): Promise<Relay> {
  const relay = cleanup.add(await startRelay({}, { logger }), (r) => r.stop());
  relay.hooks.add(hooks, { name: 'test-app', scope: null });
  return relay;
}

async function page(relay: Relay, options: { protocols?: string[]; headers?: Record<string, string> } = {}) {
  return cleanup.add(await PageClient.connect(relay.url('/web'), options), (p) => p.close());
}

/** A v2 backend that publishes and returns the outcome (or error code) it is told. */
async function publisher(relay: Relay) {
  const client = cleanup.add(await PageClient.connect(relay.url('/php'), { ...V2, headers: { 'Client-Type': 'php' } }), (p) => p.close());
  let n = 0;
  return async (packet: object): Promise<unknown> => {
    const id = `m${n++}`;
    client.send({ opcode: 'feedback', ...packet, id });
    const answer = await client.nextPacket();
    return answer.outcome ?? answer.code;
  };
}

/** preSend that replaces "secret" and drops messages containing "drop", recording what it saw. */
function redactor(seen: string[]): Hooks<never> {
  return {
    preSend: (_to: Connection, message: string) => {
      seen.push(message);
      if (message.includes('drop')) return false;
      return message.includes('secret') ? message.replace('secret', '******') : undefined;
    },
  };
}

describe('preSend on feedback', () => {
  it('replaces and vetoes feedback to a v1 page; a veto is told as dropped', async () => {
    const seen: string[] = [];
    const relay = await relayWith(redactor(seen));
    const target = await page(relay);
    const publish = await publisher(relay);
    expect(await publish({ uuid: target.uuid, message: 'the secret is out' })).toBe('delivered');
    expect(await target.nextPacket()).toMatchObject({ opcode: 'feedback', message: 'the ****** is out' });
    expect(await publish({ uuid: target.uuid, message: 'please drop me' })).toBe('dropped');
    expect(await publish({ uuid: target.uuid, message: 'plain' })).toBe('delivered');
    // Unchanged: the bytes as the publisher sent them.
    expect(await target.next()).toMatch(/^\{"opcode":"feedback","uuid":"[^"]+","message":"plain"\}$/);
    // The relay's own packets (ready, next, outcome) are not messages: the hook never saw them.
    expect(seen.every((text) => text.includes('"feedback"'))).toBe(true);
  });

  it('a replaced message to a v2 page keeps its seq', async () => {
    const relay = await relayWith({
      preSend: (_to: Connection, message: string) =>
        message.includes('"rewrite"') ? '{"opcode":"feedback","message":"rewritten"}' : undefined,
    });
    const target = await page(relay, V2);
    const publish = await publisher(relay);
    expect(await publish({ uuid: target.uuid, message: 'first' })).toBe('delivered');
    expect(await target.nextPacket()).toMatchObject({ seq: 1, message: 'first' });
    expect(await publish({ uuid: target.uuid, message: 'rewrite' })).toBe('delivered');
    expect(await target.nextPacket()).toEqual({ seq: 2, opcode: 'feedback', message: 'rewritten' });
  });

  it('applies to feedback by Ident and to HTTP publish (a veto answers 503)', async () => {
    const relay = await relayWith(redactor([]));
    const script = cleanup.add(await PageClient.connect(relay.url('/php'), { headers: { 'Client-Type': 'php', Ident: 'worker' } }), (p) =>
      p.close(),
    );
    const publish = await publisher(relay);
    expect(await publish({ ident: 'worker', message: 'secret job' })).toBe('delivered');
    expect(await script.nextPacket()).toMatchObject({ message: '****** job' });

    const target = await page(relay);
    const post = (message: string) =>
      fetch(relay.httpUrl('/feedback'), { method: 'POST', body: JSON.stringify({ uuid: target.uuid, message }) });
    const replaced = await post('http secret');
    expect(replaced.status).toBe(200);
    expect(await target.nextPacket()).toMatchObject({ message: 'http ******' });
    const vetoed = await post('drop over http');
    expect(vetoed.status).toBe(503);
    expect(await vetoed.json()).toMatchObject({ outcome: 'dropped' });
  });
});

describe('preSend on broadcast', () => {
  it('keeps the shared frame for unchanged recipients, replaces or drops per recipient', async () => {
    const relay = await relayWith({
      preSend: (to: Connection, message: string) => {
        const role = (to.data as { role?: string } | undefined)?.role;
        if (role === 'muted') return false;
        if (role === 'shouty') return message.toUpperCase();
      },
      preConnect: (conn: Connection, req) => {
        conn.data = { role: req.headers['x-role'] };
      },
    });
    const plain = await page(relay, { headers: { 'x-role': 'plain' } });
    const shouty = await page(relay, { headers: { 'x-role': 'shouty' } });
    const muted = await page(relay, { headers: { 'x-role': 'muted' } });
    const sender = await page(relay, { ...V2, headers: { 'x-role': 'sender' } });
    sender.send({ opcode: 'broadcast', message: 'hello all', id: 'b1' });
    expect(await sender.nextPacket()).toMatchObject({ opcode: 'outcome', id: 'b1', count: 2 });
    expect(await plain.next()).toBe('{"opcode":"broadcast","message":"hello all"}');
    expect(await shouty.next()).toBe('{"OPCODE":"BROADCAST","MESSAGE":"HELLO ALL"}');
    sender.send({ opcode: 'broadcast', message: 'second', id: 'b2' });
    expect(await plain.nextPacket()).toMatchObject({ message: 'second' });
    expect(muted.received).toEqual([]);
  });
});

describe('preSend on replay after a resume', () => {
  it('runs again on the retained original: replaced and vetoed on replay as live, numbers kept', async () => {
    const seen: string[] = [];
    const relay = await relayWith(redactor(seen));
    const first = await page(relay, V2);
    const publish = await publisher(relay);
    first.close();
    await expect.poll(() => relay.hub.size).toBe(1);
    expect(await publish({ uuid: first.uuid, message: 'secret one' })).toBe('held');
    expect(await publish({ uuid: first.uuid, message: 'drop two' })).toBe('held');
    expect(await publish({ uuid: first.uuid, message: 'three' })).toBe('held');
    const again = await page(relay, V2);
    again.send({ opcode: 'resume', uuid: first.uuid, resumeToken: first.resumeToken, lastSeq: 0, id: 'r' });
    expect(await again.nextPacket()).toMatchObject({ opcode: 'resumed', recovered: true, lastSeq: 3 });
    expect(await again.nextPacket()).toMatchObject({ seq: 1, message: '****** one' });
    expect(await again.nextPacket()).toMatchObject({ seq: 3, message: 'three' });
    // What the hook saw on replay is what was retained: the originals, numbered.
    expect(seen.filter((text) => text.includes('secret one'))[0]).toMatch(/^\{"seq":1,/);
  });
});

describe('async preSend, a throwing preSend, postSend', () => {
  it('an async hook delays a message without reordering the ones after it', async () => {
    const relay = await relayWith({
      preSend: (_to: Connection, message: string) =>
        message.includes('slow')
          ? new Promise<string>((resolve) => setTimeout(() => resolve(message.replace('slow', 'late')), 50))
          : undefined,
    });
    const target = await page(relay);
    const publish = await publisher(relay);
    await publish({ uuid: target.uuid, message: 'slow 1' });
    await publish({ uuid: target.uuid, message: 'fast 2' });
    await publish({ uuid: target.uuid, message: 'fast 3' });
    expect((await target.nextPacket()).message).toBe('late 1');
    expect((await target.nextPacket()).message).toBe('fast 2');
    expect((await target.nextPacket()).message).toBe('fast 3');
  });

  it('a throwing hook is logged with its name and the connection, and the message goes unchanged', async () => {
    const logger = new MemoryLogger();
    const relay = await relayWith(
      {
        preSend: () => {
          throw new Error('rule crashed');
        },
      },
      logger,
    );
    const target = await page(relay);
    const publish = await publisher(relay);
    expect(await publish({ uuid: target.uuid, message: 'still delivered' })).toBe('delivered');
    expect(await target.nextPacket()).toMatchObject({ message: 'still delivered' });
    expect(logger.find('hook failed')[0]?.fields).toMatchObject({ hook: 'preSend', app: 'test-app', reason: 'rule crashed', path: '/web' });
  });

  it('postSend sees every message written, as written, and nothing vetoed', async () => {
    const sent: { to: string; message: string }[] = [];
    const relay = await relayWith({
      ...redactor([]),
      postSend: (to: Connection, message: string) => {
        sent.push({ to: to.uuid, message: JSON.parse(message).message as string });
      },
    });
    const target = await page(relay);
    const publish = await publisher(relay);
    await publish({ uuid: target.uuid, message: 'a secret' });
    await publish({ uuid: target.uuid, message: 'drop b' });
    await publish({ uuid: target.uuid, message: 'c' });
    await target.nextPacket();
    await target.nextPacket();
    expect(sent).toEqual([
      { to: target.uuid, message: 'a ******' },
      { to: target.uuid, message: 'c' },
    ]);
  });
});

describe('hooks of a mounted app', () => {
  it('run only for the connections on its path', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    relay.hooks.add({ preSend: (_to: Connection, message: string) => message.replace('x', 'y') }, { name: '/room', scope: '/room' });
    relay.registerResource('/room', { onMessage: (conn, { raw }, ctx) => void ctx.send(conn, raw) });
    const inRoom = cleanup.add(await PageClient.connect(relay.url('/room')), (p) => p.close());
    const outside = await page(relay);
    inRoom.send('{"opcode":"say","message":"x"}');
    expect(await inRoom.nextPacket()).toMatchObject({ opcode: 'next' });
    expect(await inRoom.next()).toBe('{"opcode":"say","message":"y"}');
    outside.send({ opcode: 'echo', message: 'x' });
    expect(await outside.nextPacket()).toMatchObject({ opcode: 'next' });
    expect(await outside.nextPacket()).toMatchObject({ message: 'x' });
  });
});
