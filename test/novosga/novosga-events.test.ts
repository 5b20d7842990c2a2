/**
 * The Novo SGA event server with the real socket.io clients: 2.x as Novo SGA
 * ships it (websocket only, as its pages and panel app connect, and the
 * default polling then upgrade) and 4.x. Every event, unity and service
 * isolation, the secret, bad payloads, re-register after a reconnect.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NovosgaClientEvent as C, NovosgaErrorCode, NovosgaServerEvent as S } from '../../include/novosga-events.js';
import { MAX_REFUSED } from '../../server/apps/novosga/novosga-client.js';
import type { NovosgaEventServer } from '../../server/apps/novosga/index.js';
import type { Relay } from '../../server/relay.js';
import { FLAVOURS, SGA_SECRET, SgaClient, startSgaRelay, type Flavour } from './sga-harness.js';

let relay: Relay;
let sga: NovosgaEventServer;
const clients: SgaClient[] = [];

beforeAll(async () => {
  ({ relay, sga } = await startSgaRelay());
});

afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

afterAll(async () => {
  await relay?.stop();
});

async function connect(flavour: Flavour, onConnect?: (client: SgaClient) => void, reconnection = false): Promise<SgaClient> {
  const client = await SgaClient.connect(relay, flavour, onConnect, { reconnection });
  clients.push(client);
  return client;
}

async function panel(flavour: Flavour, unity: number, services: number[]): Promise<SgaClient> {
  const client = await connect(flavour);
  await client.register(C.RegisterPanel, { unity, services });
  return client;
}

async function user(flavour: Flavour, unity: number, id: number): Promise<SgaClient> {
  const client = await connect(flavour);
  await client.register(C.RegisterUser, { secret: SGA_SECRET, user: id, unity });
  return client;
}

async function triage(flavour: Flavour, unity: number): Promise<SgaClient> {
  const client = await connect(flavour);
  await client.register(C.RegisterTriage, { unity });
  return client;
}

describe.each(FLAVOURS)('socket.io-client %s', (flavour) => {
  it('connects with the transports it asked for, ending on websocket', async () => {
    const client = await connect(flavour);
    const transport = (): string =>
      (client.socket as unknown as { io: { engine: { transport: { name: string } } } }).io.engine.transport.name;
    if (flavour === 'v2-websocket') expect(transport()).toBe('websocket');
    else
      await client.until(
        'the upgrade to websocket',
        () => transport() === 'websocket',
        () => null,
      );
    await client.register(C.RegisterTriage, { unity: 1 });
  });

  it('call ticket: the panels of that unity showing that service get it, the users of the unity get update queue', async () => {
    const shown = await panel(flavour, 1, [10, 11]);
    const sameUnityOtherService = await panel(flavour, 1, [12]);
    const otherUnitySameService = await panel(flavour, 2, [10]);
    const desk = await user(flavour, 1, 7);
    const colleague = await user(flavour, 1, 8);
    const otherUnityDesk = await user(flavour, 2, 9);

    desk.emit(C.CallTicket, { unity: 1, service: 10, hash: 'a1b2c3' });
    expect(await shown.next()).toEqual({ event: S.CallTicket, args: [{ unity: 1, service: 10, hash: 'a1b2c3' }] });
    expect(await desk.next()).toEqual({ event: S.UpdateQueue, args: [] });
    expect(await colleague.next()).toEqual({ event: S.UpdateQueue, args: [] });

    // Barriers: an event each of the others is meant to get, sent after. Each socket's
    // events are written in order, so had the first reached them it would come first.
    desk.emit(C.CallTicket, { unity: 1, service: 12, hash: 'barrier-1' });
    const desk2 = await user(flavour, 2, 10);
    desk2.emit(C.CallTicket, { unity: 2, service: 10, hash: 'barrier-2' });
    expect(await sameUnityOtherService.next()).toEqual({ event: S.CallTicket, args: [{ unity: 1, service: 12, hash: 'barrier-1' }] });
    expect(await otherUnitySameService.next()).toEqual({ event: S.CallTicket, args: [{ unity: 2, service: 10, hash: 'barrier-2' }] });
    expect(await otherUnityDesk.next()).toEqual({ event: S.UpdateQueue, args: [] });
    expect(otherUnityDesk.received).toEqual([]);
    // The barrier of unity 1 reached the unity-1 desks' queues once more, nothing else.
    expect(shown.received).toEqual([]);
  });

  it('new ticket and change ticket from a user: update queue to the users of that unity only', async () => {
    const desk = await user(flavour, 3, 1);
    const other = await user(flavour, 4, 1);
    const screen = await panel(flavour, 3, [1]);
    desk.emit(C.NewTicket, { unity: 3 });
    expect(await desk.next()).toEqual({ event: S.UpdateQueue, args: [] });
    desk.emit(C.ChangeTicket, { unity: 3 });
    expect(await desk.next()).toEqual({ event: S.UpdateQueue, args: [] });
    // Users may speak for another unity (they hold the secret), as in the original.
    desk.emit(C.ChangeTicket, { unity: 4 });
    expect(await other.next()).toEqual({ event: S.UpdateQueue, args: [] });
    expect(other.received).toEqual([]);
    // A panel never gets update queue: its barrier is a call.
    desk.emit(C.CallTicket, { unity: 3, service: 1, hash: 'h' });
    expect((await screen.next()).event).toBe(S.CallTicket);
  });

  it('new ticket from a triage screen reaches its unity; not another unity, and a triage may not call', async () => {
    const desk = await user(flavour, 5, 1);
    const kiosk = await triage(flavour, 5);
    kiosk.emit(C.NewTicket, { unity: 5 });
    expect(await desk.next()).toEqual({ event: S.UpdateQueue, args: [] });
    kiosk.emit(C.NewTicket, { unity: 6 });
    expect(await kiosk.nextError()).toMatchObject({ event: C.NewTicket, code: NovosgaErrorCode.NotAllowed });
    kiosk.emit(C.CallTicket, { unity: 5, service: 1, hash: 'h' });
    expect(await kiosk.nextError()).toMatchObject({ event: C.CallTicket, code: NovosgaErrorCode.NotAllowed });
    kiosk.emit(C.ChangeTicket, { unity: 5 });
    expect(await kiosk.nextError()).toMatchObject({ event: C.ChangeTicket, code: NovosgaErrorCode.NotAllowed });
    expect(desk.received).toEqual([]);
  });

  it('new ticket, change ticket, call ticket and change user need a registered user (the original took new ticket from anyone)', async () => {
    const desk = await user(flavour, 7, 1);
    const stranger = await connect(flavour);
    const screen = await panel(flavour, 7, [1]);
    for (const [event, payload] of [
      [C.NewTicket, { unity: 7 }],
      [C.ChangeTicket, { unity: 7 }],
      [C.CallTicket, { unity: 7, service: 1, hash: 'h' }],
      [C.ChangeUser, { unity: 7, user: 1 }],
      [C.ClientUpdate, { unity: 7 }],
    ] as const) {
      stranger.emit(event, payload);
      expect(await stranger.nextError(), event).toMatchObject({ event, code: NovosgaErrorCode.NotRegistered });
    }
    screen.emit(C.NewTicket, { unity: 7 });
    expect(await screen.nextError()).toMatchObject({ code: NovosgaErrorCode.NotAllowed });
    screen.emit(C.CallTicket, { unity: 7, service: 1, hash: 'h' });
    expect(await screen.nextError()).toMatchObject({ code: NovosgaErrorCode.NotAllowed });
    // Barrier: the desk's first event is this one, so none of the above reached it.
    desk.emit(C.ChangeTicket, { unity: 7 });
    expect(await desk.next()).toEqual({ event: S.UpdateQueue, args: [] });
    expect(desk.received).toEqual([]);
  });

  it('change user reaches that user of that unity (at every desk), no one else', async () => {
    const admin = await user(flavour, 8, 1);
    const target = await user(flavour, 8, 2);
    const targetElsewhere = await user(flavour, 8, 2);
    const sameIdOtherUnity = await user(flavour, 9, 2);
    admin.emit(C.ChangeUser, { unity: 8, user: 2 });
    expect(await target.next()).toEqual({ event: S.ChangeUser, args: [] });
    expect(await targetElsewhere.next()).toEqual({ event: S.ChangeUser, args: [] });
    admin.emit(C.ChangeTicket, { unity: 9 });
    expect(await sameIdOtherUnity.next()).toEqual({ event: S.UpdateQueue, args: [] });
    admin.emit(C.ChangeTicket, { unity: 8 });
    expect(await admin.next()).toEqual({ event: S.UpdateQueue, args: [] });
    expect(admin.received).toEqual([]);
  });

  it('client update moves a panel to other services and a user to another unity', async () => {
    const screen = await panel(flavour, 10, [1]);
    const desk = await user(flavour, 10, 1);
    screen.emit(C.ClientUpdate, { unity: 11, services: [2] });
    desk.emit(C.ClientUpdate, { unity: 11 });
    // Same socket, in order: after this answer, the updates are in effect.
    expect(await desk.request(C.ChangeTicket, { unity: 11 })).toEqual({ ok: true });
    expect(await desk.next()).toEqual({ event: S.UpdateQueue, args: [] });
    desk.emit(C.CallTicket, { unity: 10, service: 1, hash: 'old' });
    desk.emit(C.CallTicket, { unity: 11, service: 2, hash: 'new' });
    expect(await screen.next()).toEqual({ event: S.CallTicket, args: [{ unity: 11, service: 2, hash: 'new' }] });
    expect(await desk.next()).toEqual({ event: S.UpdateQueue, args: [] });
  });

  it('a wrong or missing secret is told and disconnected', async () => {
    for (const payload of [{ secret: 'guess', user: 1, unity: 1 }, { user: 1, unity: 1 }, 'nothing']) {
      const intruder = await connect(flavour);
      intruder.emit(C.RegisterUser, payload);
      expect(await intruder.nextError()).toEqual({ event: C.RegisterUser, code: NovosgaErrorCode.BadSecret, reason: 'wrong secret' });
      expect(await intruder.disconnected()).toBe('io server disconnect');
    }
    // With an acknowledgement, the refusal comes there, and the disconnect follows.
    const acked = await connect(flavour);
    expect(await acked.request(C.RegisterUser, { secret: 'guess', user: 1, unity: 1 })).toEqual({
      ok: false,
      code: NovosgaErrorCode.BadSecret,
      reason: 'wrong secret',
    });
    expect(await acked.disconnected()).toBe('io server disconnect');
  });

  it('a zero user or unity is refused with a reason (the original said nothing)', async () => {
    const client = await connect(flavour);
    client.emit(C.RegisterUser, { secret: SGA_SECRET, user: 0, unity: 1 });
    expect(await client.nextError()).toEqual({
      event: C.RegisterUser,
      code: NovosgaErrorCode.BadPayload,
      reason: 'user must be a positive integer id, got 0',
    });
    client.emit(C.RegisterPanel, { unity: 0, services: [1] });
    expect(await client.nextError()).toMatchObject({
      code: NovosgaErrorCode.BadPayload,
      reason: 'unity must be a positive integer id, got 0',
    });
    // Numeric strings are ids, as the original's (int) casts read them.
    await client.register(C.RegisterPanel, { unity: '12', services: ['3', 3, 4] });
    const desk = await user(flavour, 12, 1);
    desk.emit(C.CallTicket, { unity: '12', service: '3', hash: 'x' });
    expect(await client.next()).toEqual({ event: S.CallTicket, args: [{ unity: 12, service: 3, hash: 'x' }] });
  });
});

describe('bad payloads', () => {
  it('are answered with request error and logged, and the server carries on', async () => {
    const desk = await user('v2-websocket', 20, 1);
    const screen = await panel('v4', 20, [1]);
    const bad: [string, unknown][] = [
      [C.RegisterPanel, null],
      [C.RegisterPanel, 'unity=1'],
      [C.RegisterPanel, [1, 2]],
      [C.RegisterPanel, { unity: 1, services: 'all' }],
      [C.RegisterPanel, { unity: 1, services: [1, -2] }],
      [C.RegisterPanel, { unity: 1, services: Array.from({ length: 1001 }, (_, i) => i + 1) }],
      [C.RegisterPanel, { unity: 1.5 }],
      [C.RegisterTriage, { unity: 'x' }],
      [C.CallTicket, { unity: 20, service: 1 }],
      [C.CallTicket, { unity: 20, service: 1, hash: '' }],
      [C.CallTicket, { unity: 20, service: 1, hash: 'h'.repeat(129) }],
      [C.CallTicket, { unity: 20, service: 1, hash: { $gt: '' } }],
      [C.CallTicket, { unity: 20, service: 1, hash: 'h', ticket: 7 }],
      [C.NewTicket, undefined],
      [C.ChangeUser, { unity: 20 }],
      [C.ClientUpdate, { unity: 20, user: 'me' }],
    ];
    for (const [event, payload] of bad) {
      desk.emit(event, payload);
      expect(await desk.nextError(), `${event} ${JSON.stringify(payload)}`).toMatchObject({ event, code: NovosgaErrorCode.BadPayload });
    }
    desk.emit('no such event', {});
    expect(await desk.nextError()).toMatchObject({ event: 'no such event', code: NovosgaErrorCode.UnknownEvent });
    // With an acknowledgement, the answer comes there instead.
    expect(await desk.request(C.NewTicket, 42)).toEqual({
      ok: false,
      code: NovosgaErrorCode.BadPayload,
      reason: 'the payload must be an object, got 42',
    });
    // The registration the bad ones tried to replace still stands, and events still flow.
    desk.emit(C.CallTicket, { unity: 20, service: 1, hash: 'still-works' });
    expect(await screen.next()).toEqual({ event: S.CallTicket, args: [{ unity: 20, service: 1, hash: 'still-works' }] });
    desk.close();
    screen.close();
  });

  it(`a client that keeps sending them is disconnected after ${MAX_REFUSED}`, async () => {
    const client = await SgaClient.connect(relay, 'v2-websocket');
    for (let i = 0; i < MAX_REFUSED; i++) client.emit(C.NewTicket, { unity: 1 });
    expect(await client.disconnected()).toBe('io server disconnect');
    const errors = client.received.filter((r) => r.event === S.RequestError);
    expect(errors).toHaveLength(MAX_REFUSED);
  });

  it('a packet larger than the limit closes that client only', async () => {
    const screen = await panel('v4', 21, [1]);
    const client = await SgaClient.connect(relay, 'v2-websocket');
    client.emit(C.RegisterPanel, { unity: 1, services: [1], padding: 'x'.repeat(64 * 1024) });
    expect(await client.disconnected()).toBe('transport close');
    const desk = await user('v2-websocket', 21, 1);
    desk.emit(C.CallTicket, { unity: 21, service: 1, hash: 'after' });
    expect((await screen.next()).args).toEqual([{ unity: 21, service: 1, hash: 'after' }]);
    desk.close();
    screen.close();
  });
});

describe('reconnects', () => {
  it.each(['v2-websocket', 'v4'] as const)('%s re-registers on every reconnect and gets calls again', async (flavour) => {
    const screen = await connect(flavour, (c) => c.emit(C.RegisterPanel, { unity: 30, services: [1] }), true);
    expect(await screen.next()).toEqual({ event: S.RegisterOk, args: [] });
    const desk = await user('v2-websocket', 30, 1);
    // Cut the transport under the client (as a network drop would): it reconnects by itself.
    const before = screen.connects;
    for (const socket of sga.io.sockets.sockets.values())
      if (socket.data && socket.data.role === 'panel' && socket.data.unity === 30) socket.conn.close();
    await screen.reconnected(before);
    expect(await screen.next()).toEqual({ event: S.RegisterOk, args: [] });
    desk.emit(C.CallTicket, { unity: 30, service: 1, hash: 'after-reconnect' });
    expect(await screen.next()).toEqual({ event: S.CallTicket, args: [{ unity: 30, service: 1, hash: 'after-reconnect' }] });
    expect(screen.received).toEqual([]);
  });
});
