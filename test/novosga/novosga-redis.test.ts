/**
 * Two relays sharing a real redis-server: a ticket called at a desk on
 * relay A reaches a panel on relay B, update queue reaches the users on
 * both, isolation holds across nodes, and a relay that cannot reach Redis
 * does not start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NovosgaClientEvent as C, NovosgaServerEvent as S } from '../../include/novosga-events.js';
import type { Relay } from '../../server/relay.js';
import { RedisServer } from '../../bench/lib/redis-server.js';
import { SGA_SECRET, SgaClient, startSgaRelay } from './sga-harness.js';

let redis: RedisServer;
let a: Relay;
let b: Relay;
const clients: SgaClient[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
  ({ relay: a } = await startSgaRelay({ novosgaRedis: redis.url }));
  ({ relay: b } = await startSgaRelay({ novosgaRedis: redis.url }));
});

afterAll(async () => {
  for (const client of clients) client.close();
  await a?.stop();
  await b?.stop();
  await redis?.stop();
});

async function on(relay: Relay, event: string, payload: object): Promise<SgaClient> {
  const client = await SgaClient.connect(relay, 'v2-websocket');
  clients.push(client);
  await client.register(event, payload);
  return client;
}

describe('two relays and Redis', () => {
  it('a call on relay A reaches the panel on relay B, and update queue the users on both', async () => {
    expect(a.port).not.toBe(b.port);
    const panelOnB = await on(b, C.RegisterPanel, { unity: 1, services: [2] });
    const otherServiceOnB = await on(b, C.RegisterPanel, { unity: 1, services: [3] });
    const otherUnityOnA = await on(a, C.RegisterPanel, { unity: 9, services: [2] });
    const deskOnA = await on(a, C.RegisterUser, { secret: SGA_SECRET, user: 1, unity: 1 });
    const deskOnB = await on(b, C.RegisterUser, { secret: SGA_SECRET, user: 2, unity: 1 });

    deskOnA.emit(C.CallTicket, { unity: 1, service: 2, hash: 'cross-node' });
    expect(await panelOnB.next()).toEqual({ event: S.CallTicket, args: [{ unity: 1, service: 2, hash: 'cross-node' }] });
    expect(await deskOnA.next()).toEqual({ event: S.UpdateQueue, args: [] });
    expect(await deskOnB.next()).toEqual({ event: S.UpdateQueue, args: [] });

    // Barriers through the same path (A → Redis → B): had the first call reached them, it would come first.
    deskOnA.emit(C.CallTicket, { unity: 1, service: 3, hash: 'barrier-3' });
    deskOnB.emit(C.CallTicket, { unity: 9, service: 2, hash: 'barrier-9' });
    expect(await otherServiceOnB.next()).toEqual({ event: S.CallTicket, args: [{ unity: 1, service: 3, hash: 'barrier-3' }] });
    expect(await otherUnityOnA.next()).toEqual({ event: S.CallTicket, args: [{ unity: 9, service: 2, hash: 'barrier-9' }] });

    // And the other way, with change user to one user on the other node.
    deskOnB.emit(C.ChangeUser, { unity: 1, user: 1 });
    expect(await deskOnA.nextOf(S.ChangeUser)).toEqual([]);
  });

  it('a relay that cannot reach Redis does not start', async () => {
    const gone = await RedisServer.start();
    const url = gone.url;
    await gone.stop();
    await expect(startSgaRelay({ novosgaRedis: url })).rejects.toThrow(/novosga: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+/);
  });

  it('relays that share a Redis engine (broker, no [novosga] redis) share the events through it', async () => {
    const c = (await startSgaRelay({ broker: redis.url, brokerPrefix: 'sga-test-broker:' })).relay;
    const d = (await startSgaRelay({ broker: redis.url, brokerPrefix: 'sga-test-broker:' })).relay;
    try {
      const panelOnD = await on(d, C.RegisterPanel, { unity: 4, services: [1] });
      const deskOnC = await on(c, C.RegisterUser, { secret: SGA_SECRET, user: 1, unity: 4 });
      deskOnC.emit(C.CallTicket, { unity: 4, service: 1, hash: 'through-the-broker' });
      expect(await panelOnD.next()).toEqual({ event: S.CallTicket, args: [{ unity: 4, service: 1, hash: 'through-the-broker' }] });
    } finally {
      for (const client of clients.splice(0)) client.close();
      await c.stop();
      await d.stop();
    }
  });
});
