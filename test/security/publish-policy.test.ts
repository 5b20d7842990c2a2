import { afterEach, describe, expect, it } from 'vitest';
import { PublishPolicy } from '../../server/routing/publish-policy.js';
import { MemoryLogger } from '../helpers/memory-logger.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

/**
 * Who may publish to whom, against a real relay. The outsider is a page on
 * 127.0.0.2: loopback, but not in allowedIP (127.0.0.1 only here), so it can
 * never be admitted as a backend.
 */
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const V2 = { protocols: ['websock.v2'] };
const OUTSIDER = { localAddress: '127.0.0.2' };
const BACKEND = { headers: { 'Client-Type': 'php' } };
const ONLY_LOCALHOST = { allowedIP: ['127.0.0.1'] };

function bare(uuid: string): string {
  return uuid.slice(0, uuid.indexOf('.'));
}

describe('PublishPolicy.decide', () => {
  it('lets backends do anything and pages only what the rules allow', () => {
    const policy = new PublishPolicy({ pageIdents: ['support'], pageBroadcast: false });
    const backend = { role: 'backend' } as const;
    const page = { role: 'page' } as const;
    for (const target of [
      { kind: 'echo' },
      { kind: 'broadcast' },
      { kind: 'ident', ident: 'anything' },
      { kind: 'uuid', signed: false },
      { kind: 'uuid', signed: true },
    ] as const) {
      expect(policy.decide(backend, target).allowed).toBe(true);
    }
    expect(policy.decide(page, { kind: 'echo' }).allowed).toBe(true);
    expect(policy.decide(page, { kind: 'uuid', signed: true }).allowed).toBe(true);
    expect(policy.decide(page, { kind: 'uuid', signed: false })).toMatchObject({ allowed: false, code: 'FORBIDDEN' });
    expect(policy.decide(page, { kind: 'ident', ident: 'support' }).allowed).toBe(true);
    expect(policy.decide(page, { kind: 'ident', ident: 'billing' })).toMatchObject({ allowed: false, code: 'FORBIDDEN' });
    expect(policy.decide(page, { kind: 'broadcast' })).toMatchObject({ allowed: false, code: 'FORBIDDEN' });
    expect(new PublishPolicy({ pageIdents: [], pageBroadcast: true }).decide(page, { kind: 'broadcast' }).allowed).toBe(true);
  });
});

describe('who may publish to whom (live relay)', () => {
  it('ignores the Ident header of a page: a backend keeps its Ident', async () => {
    const relay = cleanup.add(await startRelay(ONLY_LOCALHOST), (r) => r.stop());
    const receiver = cleanup.add(
      await PageClient.connect(relay.url('/php'), { ...V2, headers: { 'Client-Type': 'php', Ident: 'receiver' } }),
      (c) => c.close(),
    );
    // The outsider connects after the backend: today the newest holder of an Ident wins.
    const thief = cleanup.add(await PageClient.connect(relay.url('/web'), { ...V2, ...OUTSIDER, headers: { Ident: 'receiver' } }), (c) =>
      c.close(),
    );
    const sender = cleanup.add(await PageClient.connect(relay.url('/php'), { ...V2, ...BACKEND }), (c) => c.close());

    sender.send({ opcode: 'feedback', ident: 'receiver', message: 'for the script', id: 1 });
    expect(await sender.nextPacket()).toEqual({ opcode: 'outcome', id: 1, outcome: 'delivered' });
    expect(await receiver.nextPacket()).toMatchObject({ opcode: 'feedback', message: 'for the script' });
    // The thief's next message is the broadcast that follows, not the feedback.
    sender.send({ opcode: 'broadcast', message: 'marker' });
    expect(await thief.nextPacket()).toMatchObject({ opcode: 'broadcast', message: 'marker' });
  });

  it('refuses a bare uuid from a v2 page with FORBIDDEN and delivers by the signed one', async () => {
    const relay = cleanup.add(await startRelay(ONLY_LOCALHOST), (r) => r.stop());
    const victim = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (c) => c.close());
    const outsider = cleanup.add(await PageClient.connect(relay.url('/web'), { ...V2, ...OUTSIDER }), (c) => c.close());

    outsider.send({ opcode: 'feedback', uuid: bare(victim.uuid), message: 'guessed', id: 'a' });
    expect(await outsider.nextPacket()).toMatchObject({ opcode: 'error', id: 'a', code: 'FORBIDDEN' });
    outsider.send({ opcode: 'feedback', uuid: `${bare(victim.uuid)}.00000000000000000000000000000000`, message: 'forged', id: 'b' });
    expect(await outsider.nextPacket()).toMatchObject({ opcode: 'error', id: 'b', code: 'FORBIDDEN' });
    outsider.send({ opcode: 'feedback', uuid: victim.uuid, message: 'signed', id: 'c' });
    expect(await outsider.nextPacket()).toEqual({ opcode: 'outcome', id: 'c', outcome: 'delivered' });
    expect(await victim.nextPacket()).toMatchObject({ opcode: 'feedback', message: 'signed' });
    // Still open after the refusals.
    outsider.send({ opcode: 'echo', message: 'still here' });
    expect(await outsider.nextPacket()).toMatchObject({ opcode: 'echo', message: 'still here' });
  });

  it('drops a bare uuid from a v1 page, answers next as always, logs once and counts every refusal', async () => {
    const logger = new MemoryLogger();
    const relay = cleanup.add(await startRelay(ONLY_LOCALHOST, { logger }), (r) => r.stop());
    const victim = cleanup.add(await PageClient.connect(relay.url('/web')), (c) => c.close());
    const outsider = cleanup.add(await PageClient.connect(relay.url('/web'), OUTSIDER), (c) => c.close());
    for (const message of ['guess 1', 'guess 2']) {
      outsider.send({ opcode: 'feedback', uuid: bare(victim.uuid), message });
      expect(await outsider.nextPacket()).toEqual({ opcode: 'next', fyi: '' });
    }
    outsider.send({ opcode: 'feedback', uuid: victim.uuid, message: 'signed' });
    expect(await outsider.nextPacket()).toEqual({ opcode: 'next', fyi: '' });
    expect(await victim.nextPacket()).toMatchObject({ message: 'signed' });
    expect(logger.matching('refused by the publish policy')).toHaveLength(1);
    const metrics = await (await fetch(relay.httpUrl('/metrics'))).text();
    expect(metrics).toMatch(/^websock_publish_refused_total 2$/m);
  });

  it('lets pages address only the Idents in pageIdents; backends address any', async () => {
    const relay = cleanup.add(await startRelay({ ...ONLY_LOCALHOST, pageIdents: ['support'] }), (r) => r.stop());
    const support = cleanup.add(
      await PageClient.connect(relay.url('/php'), { ...V2, headers: { 'Client-Type': 'php', Ident: 'support' } }),
      (c) => c.close(),
    );
    const worker = cleanup.add(
      await PageClient.connect(relay.url('/php'), { ...V2, headers: { 'Client-Type': 'php', Ident: 'worker' } }),
      (c) => c.close(),
    );
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), { ...V2, ...OUTSIDER }), (c) => c.close());

    page.send({ opcode: 'feedback', ident: 'worker', message: 'stop everything', id: 1 });
    expect(await page.nextPacket()).toMatchObject({ opcode: 'error', id: 1, code: 'FORBIDDEN' });
    page.send({ opcode: 'feedback', ident: 'support', message: 'help', id: 2 });
    expect(await page.nextPacket()).toEqual({ opcode: 'outcome', id: 2, outcome: 'delivered' });
    expect(await support.nextPacket()).toMatchObject({ message: 'help' });
    support.send({ opcode: 'feedback', ident: 'worker', message: 'from a backend', id: 3 });
    expect(await support.nextPacket()).toEqual({ opcode: 'outcome', id: 3, outcome: 'delivered' });
    expect(await worker.nextPacket()).toMatchObject({ message: 'from a backend' });
  });

  it('refuses broadcasts from pages when pageBroadcast is off; backends still broadcast', async () => {
    const relay = cleanup.add(await startRelay({ ...ONLY_LOCALHOST, pageBroadcast: false }), (r) => r.stop());
    const listener = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (c) => c.close());
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), { ...V2, ...OUTSIDER }), (c) => c.close());
    const backend = cleanup.add(await PageClient.connect(relay.url('/php'), { ...V2, ...BACKEND }), (c) => c.close());

    page.send({ opcode: 'broadcast', message: 'spam', id: 1 });
    expect(await page.nextPacket()).toMatchObject({ opcode: 'error', id: 1, code: 'FORBIDDEN' });
    backend.send({ opcode: 'broadcast', message: 'announcement', id: 2 });
    expect(await backend.nextPacket()).toMatchObject({ opcode: 'outcome', id: 2, outcome: 'delivered' });
    expect(await listener.nextPacket()).toMatchObject({ opcode: 'broadcast', message: 'announcement' });
  });

  it('does not admit the outsider as a backend', async () => {
    const relay = cleanup.add(await startRelay(ONLY_LOCALHOST), (r) => r.stop());
    const fake = cleanup.add(
      await PageClient.connect(relay.url('/php'), { ...V2, ...OUTSIDER, ...BACKEND }).catch((e: Error) => e),
      () => {},
    );
    // Refused: the first packet is the close packet, not ready.
    expect(fake).toBeInstanceOf(Error);
  });
});
