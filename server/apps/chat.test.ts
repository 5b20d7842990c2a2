import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, PageClient, startRelay } from '../../test/helpers/relay-fixture.js';
import chat from './chat.js';
import { useApp } from './install-app.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('the chat example', () => {
  it('sends every message to everyone but the sender, unchanged, v1 and v2 alike', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    await useApp(relay, chat, { path: '/chat' });
    const url = relay.url('/chat');
    const a = cleanup.add(await PageClient.connect(url), (p) => p.close());
    const b = cleanup.add(await PageClient.connect(url, { protocols: ['websock.v2'] }), (p) => p.close());
    const c = cleanup.add(await PageClient.connect(url), (p) => p.close());
    const text = '{"opcode":"say","message":"héllo","extra":{"kept":[1,2,3]}}';
    a.send(text);
    expect(await b.next()).toBe(text);
    expect(await c.next()).toBe(text);
    expect(await a.nextPacket()).toEqual({ opcode: 'next', fyi: '' });
    b.send({ opcode: 'say', message: 'from b' });
    expect(await a.nextPacket()).toEqual({ opcode: 'say', message: 'from b' });
    expect(await c.nextPacket()).toEqual({ opcode: 'say', message: 'from b' });
    // Pages on /web are not in the chat.
    const outsider = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    c.send({ opcode: 'say', message: 'only the chat' });
    expect(await a.nextPacket()).toMatchObject({ message: 'only the chat' });
    expect(outsider.received).toEqual([]);
  });

  it('drops a user idle for maxIdle with 1000, and keeps serving the others', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    await useApp(relay, chat, { path: '/chat', settings: { maxIdle: 0.2 } });
    const idle = cleanup.add(await PageClient.connect(relay.url('/chat')), (p) => p.close());
    const reasons: string[] = [];
    idle.ws.on('close', (_code: number, reason: Buffer) => reasons.push(reason.toString()));
    expect(await idle.closed()).toBe(1000);
    expect(reasons[0]).toMatch(/^idle for more than 0 s|^idle/);
    const fresh = cleanup.add(await PageClient.connect(relay.url('/chat')), (p) => p.close());
    const other = cleanup.add(await PageClient.connect(relay.url('/chat')), (p) => p.close());
    fresh.send({ opcode: 'say', message: 'hi' });
    expect(await other.nextPacket()).toEqual({ opcode: 'say', message: 'hi' });
  });
});
