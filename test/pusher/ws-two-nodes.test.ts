/**
 * Pusher clients on two relays sharing a real redis-server: one channel,
 * one presence list, client events and user termination across nodes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { pusherApp } from '../../server/pusher/apps/pusher-app.js';
import type { Relay } from '../../server/relay.js';
import { redisPerFile } from '../helpers/redis-per-file.js';
import { Cleanup, startRelay } from '../helpers/relay-fixture.js';
import { connected, disconnect, pusherJs, subscribed, until, waitFor, type PusherJsClient } from './ws-clients.js';

const APP = pusherApp({ id: '201', key: 'two-key', secret: 'two-secret' });
const cleanup = new Cleanup();
const redis = redisPerFile();
let prefixes = 0;

afterEach(() => cleanup.run());

async function twoNodes(): Promise<[Relay, Relay]> {
  const brokerPrefix = `pw${++prefixes}:`;
  const a = cleanup.add(await startRelay({ broker: redis.url, brokerPrefix, pusherApps: [APP] }), (r) => r.stop());
  const b = cleanup.add(await startRelay({ broker: redis.url, brokerPrefix, pusherApps: [APP] }), (r) => r.stop());
  return [a, b];
}

function client(r: Relay, id: string): PusherJsClient {
  return cleanup.add(pusherJs(r, APP, { id, info: { name: id } }), disconnect);
}

type Members = { count: number; each(f: (m: { id: string }) => void): void };

function ids(channel: unknown): string[] {
  const found: string[] = [];
  (channel as { members: Members }).members.each((m) => found.push(m.id));
  return found.sort();
}

describe('Pusher across two nodes with Redis', () => {
  it('presence members are the same on both nodes; member_added/removed once per user, across nodes', async () => {
    const [a, b] = await twoNodes();
    const ann = client(a, 'ann');
    const annChannel = await subscribed(ann, 'presence-team');
    const added: string[] = [];
    const removed: string[] = [];
    annChannel.bind('pusher:member_added', (m: { id: string }) => added.push(m.id));
    annChannel.bind('pusher:member_removed', (m: { id: string }) => removed.push(m.id));

    const bob = client(b, 'bob');
    const bobChannel = await subscribed(bob, 'presence-team');
    expect(ids(bobChannel)).toEqual(['ann', 'bob']);
    await until(() => added.length === 1);
    // Bob again, on the other node: nobody is told.
    const bob2 = client(a, 'bob');
    const bob2Channel = await subscribed(bob2, 'presence-team');
    expect(ids(bob2Channel)).toEqual(['ann', 'bob']);
    expect(await b.engine.channels.channel(APP.id, 'presence-team')).toEqual({ subscriptionCount: 3, userCount: 2 });

    await disconnect(bob);
    await until(async () => (await a.engine.channels.channel(APP.id, 'presence-team')).subscriptionCount === 2);
    await disconnect(bob2);
    await until(() => removed.length === 1);
    expect(added).toEqual(['bob']);
    expect(removed).toEqual(['bob']);
    expect(await b.engine.channels.users(APP.id, 'presence-team')).toEqual(['ann']);
  });

  it('events and client events reach subscribers on the other node; never the sender', async () => {
    const [a, b] = await twoNodes();
    const x = client(a, 'x');
    const y = client(b, 'y');
    const cx = await subscribed(x, 'private-chat');
    const cy = await subscribed(y, 'private-chat');
    const echoed: unknown[] = [];
    cx.bind('client-msg', (d: unknown) => echoed.push(d));
    const got = waitFor<unknown>('client event on b', (done) => cy.bind('client-msg', done));
    cx.trigger('client-msg', { text: 'hi' });
    expect(await got).toEqual({ text: 'hi' });
    const onA = waitFor<unknown>('event on a', (done) => cx.bind('server', done));
    await b.engine.channels.publish(APP.id, { event: 'server', channel: 'private-chat', data: '{"n":1}' }, null);
    expect(await onA).toEqual({ n: 1 });
    expect(echoed).toEqual([]);
  });

  it('terminateUser on one node closes the user’s connection on the other', async () => {
    const [a, b] = await twoNodes();
    const carol = client(b, 'carol');
    await connected(carol);
    carol.signin();
    await (carol.user as unknown as { signinDonePromise: Promise<void> }).signinDonePromise;
    const gone = waitFor('closed', (done) =>
      carol.connection.bind('state_change', (s: { current: string }) => (s.current !== 'connected' ? done(undefined) : undefined)),
    );
    await a.engine.channels.terminateUser(APP.id, 'carol');
    await gone;
  });
});
