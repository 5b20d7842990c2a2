/**
 * The contract of the engine's channels (server/engine/channels.ts), one
 * suite run against every engine: the memory engine (one node) and the
 * Redis engine (two nodes on a real redis-server). A node's sockets are
 * stood for by a recording ChannelDelivery; a connection lives on node
 * `i % nodes.length`, so with Redis half the traffic crosses nodes.
 */
import { expect, it } from 'vitest';
import type { ChannelDelivery, ChannelLifecycle, Channels } from '../../server/engine/channels.js';

/** One node's sockets: which socket_ids subscribe to what, and what each received. */
export class RecordingDelivery implements ChannelDelivery {
  readonly subs = new Map<string, Set<string>>();
  readonly got = new Map<string, { event: string; channel: string; data: string; user_id?: string }[]>();
  readonly terminated: string[] = [];

  join(app: string, channel: string, socketId: string): void {
    const key = `${app}|${channel}`;
    if (!this.subs.has(key)) this.subs.set(key, new Set());
    this.subs.get(key)!.add(socketId);
  }

  leave(app: string, channel: string, socketId: string): void {
    this.subs.get(`${app}|${channel}`)?.delete(socketId);
  }

  deliverToChannel(app: string, channel: string, text: string, except: string | null): number {
    let count = 0;
    for (const socketId of this.subs.get(`${app}|${channel}`) ?? []) {
      if (socketId === except) continue;
      if (!this.got.has(socketId)) this.got.set(socketId, []);
      this.got.get(socketId)!.push(JSON.parse(text) as { event: string; channel: string; data: string });
      count++;
    }
    return count;
  }

  terminateUser(app: string, userId: string): number {
    this.terminated.push(`${app}|${userId}`);
    return 1;
  }
}

export interface ChannelNode {
  channels: Channels;
  delivery: RecordingDelivery;
}

/** Every lifecycle event reported by any node, as text. */
function recordLifecycle(nodes: ChannelNode[]): string[] {
  const seen: string[] = [];
  const listener: ChannelLifecycle = {
    channelOccupied: (app, channel) => seen.push(`occupied ${app} ${channel}`),
    channelVacated: (app, channel) => seen.push(`vacated ${app} ${channel}`),
    memberAdded: (app, channel, user) => seen.push(`added ${channel} ${user}`),
    memberRemoved: (app, channel, user) => seen.push(`removed ${channel} ${user}`),
    clientEvent: (app, channel, event, _data, socketId, user) => seen.push(`client ${channel} ${event} ${socketId} ${user}`),
    cacheMiss: (app, channel) => seen.push(`miss ${channel}`),
  };
  for (const node of new Set(nodes)) node.channels.listen(listener);
  return seen;
}

/** Register `socketId` on its node (as the WebSocket side does first), then subscribe it in the engine. */
async function join(nodes: ChannelNode[], i: number, channel: string, user: string | null = null, max = 100) {
  const node = nodes[i % nodes.length]!;
  const socketId = `${i + 1}.${i + 1}`;
  node.delivery.join('app', channel, socketId);
  const answer = await node.channels.subscribe(
    'app',
    channel,
    { socketId, userId: user, userInfo: user === null ? null : JSON.stringify({ name: user }) },
    max,
  );
  return { socketId, answer, node };
}

async function leave(nodes: ChannelNode[], i: number, channel: string): Promise<void> {
  const node = nodes[i % nodes.length]!;
  node.delivery.leave('app', channel, `${i + 1}.${i + 1}`);
  await node.channels.unsubscribe('app', channel, `${i + 1}.${i + 1}`);
}

function received(nodes: ChannelNode[], i: number): string[] {
  return (nodes[i % nodes.length]!.delivery.got.get(`${i + 1}.${i + 1}`) ?? []).map((e) => `${e.event} ${e.data}`);
}

/** The shared suite; `make` builds fresh nodes for each test (one for memory, two for Redis). */
export function channelsContract(make: () => Promise<ChannelNode[]>): void {
  it('publishes to every subscriber on every node but the excluded socket, and counts them', async () => {
    const nodes = await make();
    const seen = recordLifecycle(nodes);
    for (const i of [0, 1, 2]) await join(nodes, i, 'news');
    await nodes[0]!.channels.publish('app', { event: 'e', channel: 'news', data: '"x"' }, '2.2');
    await nodes[1 % nodes.length]!.channels.publish('app', { event: 'f', channel: 'news', data: '"y"' }, null);
    await expect.poll(() => received(nodes, 0)).toEqual(['e "x"', 'f "y"']);
    await expect.poll(() => received(nodes, 2)).toEqual(['e "x"', 'f "y"']);
    // On the other node with Redis: it arrives when it arrives.
    await expect.poll(() => received(nodes, 1)).toEqual(['f "y"']);
    expect(await nodes[0]!.channels.channel('app', 'news')).toEqual({ subscriptionCount: 3, userCount: 0 });
    expect(await nodes[0]!.channels.channel('other-app', 'news')).toEqual({ subscriptionCount: 0, userCount: 0 });
    expect(seen).toEqual(['occupied app news']);
  });

  it('presence: member_added for a user’s first connection only and never to it; member_removed for its last; reported once', async () => {
    const nodes = await make();
    const seen = recordLifecycle(nodes);
    const first = await join(nodes, 0, 'presence-room', 'ann');
    expect(first.answer).toEqual({ ok: true, members: new Map([['ann', '{"name":"ann"}']]), cached: null });
    await join(nodes, 1, 'presence-room', 'bob');
    const annAgain = await join(nodes, 2, 'presence-room', 'ann');
    expect(annAgain.answer.ok && [...annAgain.answer.members!.keys()].sort()).toEqual(['ann', 'bob']);
    // A marker published after: once every socket has it, a member_added to the wrong one would be there too.
    await nodes[0]!.channels.publish('app', { event: 'marker', channel: 'presence-room', data: '0' }, null);
    await expect
      .poll(() => received(nodes, 0))
      .toEqual(['pusher_internal:member_added {"user_id":"bob","user_info":{"name":"bob"}}', 'marker 0']);
    await expect.poll(() => received(nodes, 1)).toEqual(['marker 0']);
    await expect.poll(() => received(nodes, 2)).toEqual(['marker 0']);
    const counts = await nodes[0]!.channels.channel('app', 'presence-room');
    expect(counts).toEqual({ subscriptionCount: 3, userCount: 2 });
    expect([...(await nodes[1 % nodes.length]!.channels.users('app', 'presence-room'))].sort()).toEqual(['ann', 'bob']);

    await leave(nodes, 0, 'presence-room');
    await leave(nodes, 1, 'presence-room');
    await expect.poll(() => received(nodes, 2)).toEqual(['marker 0', 'pusher_internal:member_removed {"user_id":"bob"}']);
    expect(await nodes[0]!.channels.users('app', 'presence-room')).toEqual(['ann']);
    await leave(nodes, 2, 'presence-room');
    expect(await nodes[0]!.channels.channels('app', '')).toEqual(new Map());
    expect(seen).toEqual([
      'occupied app presence-room',
      'added presence-room ann',
      'added presence-room bob',
      'removed presence-room bob',
      'removed presence-room ann',
      'vacated app presence-room',
    ]);
  });

  it('refuses a new user past maxMembers, but not another connection of a member', async () => {
    const nodes = await make();
    await join(nodes, 0, 'presence-full', 'ann', 1);
    expect((await join(nodes, 1, 'presence-full', 'bob', 1)).answer).toEqual({ ok: false, reason: 'presence_full' });
    expect((await join(nodes, 2, 'presence-full', 'ann', 1)).answer.ok).toBe(true);
  });

  it('cache channels answer the last event on subscribe, or report a miss', async () => {
    const nodes = await make();
    const seen = recordLifecycle(nodes);
    expect((await join(nodes, 0, 'cache-job')).answer).toMatchObject({ ok: true, cached: null });
    await nodes[0]!.channels.publish('app', { event: 'p', channel: 'cache-job', data: '1' }, null);
    await nodes[0]!.channels.publish('app', { event: 'p', channel: 'cache-job', data: '2' }, null);
    expect((await join(nodes, 1, 'cache-job')).answer).toMatchObject({ ok: true, cached: { event: 'p', channel: 'cache-job', data: '2' } });
    expect(seen.filter((s) => s.startsWith('miss'))).toEqual(['miss cache-job']);
  });

  it('lists occupied channels by prefix with counts; client events go to the others and are reported once', async () => {
    const nodes = await make();
    const seen = recordLifecycle(nodes);
    await join(nodes, 0, 'private-a');
    await join(nodes, 1, 'private-a');
    await join(nodes, 2, 'public-b');
    const listed = await nodes[1 % nodes.length]!.channels.channels('app', 'private-');
    expect(listed).toEqual(new Map([['private-a', { subscriptionCount: 2, userCount: 0 }]]));
    await nodes[0]!.channels.clientEvent('app', { event: 'client-x', channel: 'private-a', data: '{}' }, '1.1', null);
    await expect.poll(() => received(nodes, 1)).toEqual(['client-x {}']);
    expect(received(nodes, 0)).toEqual([]);
    expect(seen.filter((s) => s.startsWith('client'))).toEqual(['client private-a client-x 1.1 null']);
  });

  it('terminateUser reaches every node', async () => {
    const nodes = await make();
    await nodes[0]!.channels.terminateUser('app', 'carol');
    for (const node of new Set(nodes)) await expect.poll(() => node.delivery.terminated).toEqual(['app|carol']);
  });
}
