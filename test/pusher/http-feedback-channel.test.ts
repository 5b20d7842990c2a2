/** The bridge's pure part: which app and event a channel feedback becomes, and who may send one. */
import { describe, expect, it } from 'vitest';
import { pusherApp } from '../../server/pusher/apps/pusher-app.js';
import { PusherApps } from '../../server/pusher/apps/pusher-apps.js';
import { channelEventOf } from '../../server/pusher/http/feedback-channel.js';
import { isChannelFeedback } from '../../server/routing/publish-feedback.js';
import { feedbackTarget, PublishPolicy } from '../../server/routing/publish-policy.js';

const ONE = new PusherApps([pusherApp({ id: '1', key: 'k1', secret: 's1', limits: { maxEventBytes: 64 } })]);
const TWO = new PusherApps([
  pusherApp({ id: '1', key: 'k1', secret: 's1' }),
  pusherApp({ name: 'shop', id: '2', key: 'k2', secret: 's2' }),
]);

describe('feedback to a Pusher channel', () => {
  it('becomes an event whose data is the packet without its routing fields', () => {
    const packet = { opcode: 'feedback', channel: 'orders', event: 'progress', id: 7, message: 'half', progress: { done: 1, total: 2 } };
    expect(channelEventOf(packet, ONE)).toMatchObject({
      app: { id: '1' },
      event: { event: 'progress', channel: 'orders', data: '{"message":"half","progress":{"done":1,"total":2}}' },
    });
    expect(channelEventOf({ channel: 'orders', message: 1 }, ONE).event.event).toBe('feedback');
  });

  it('names the app by id or name when there are several', () => {
    expect(channelEventOf({ channel: 'a', app: '2', message: 1 }, TWO).app.name).toBe('shop');
    expect(channelEventOf({ channel: 'a', app: 'shop', message: 1 }, TWO).app.id).toBe('2');
    expect(() => channelEventOf({ channel: 'a', message: 1 }, TWO)).toThrow(/several Pusher apps/);
    expect(() => channelEventOf({ channel: 'a', app: 'nope', message: 1 }, TWO)).toThrow(/not the id of a Pusher app/);
    expect(() => channelEventOf({ channel: 'a', message: 1 }, new PusherApps([]))).toThrow(/no Pusher apps/);
  });

  it('refuses bad names and data over the app’s limit', () => {
    expect(() => channelEventOf({ channel: 'no spaces', message: 1 }, ONE)).toThrow(/must be a Pusher channel name/);
    expect(() => channelEventOf({ channel: 'a', event: '', message: 1 }, ONE)).toThrow(/"event" must be/);
    expect(() => channelEventOf({ channel: 'a', message: 'x'.repeat(100) }, ONE)).toThrow(/the app allows 64/);
  });

  it('is a channel feedback only without uuid or ident (those keep their meaning), and backends only', () => {
    expect(isChannelFeedback({ channel: 'a' })).toBe(true);
    expect(isChannelFeedback({ channel: 'a', uuid: 'u' })).toBe(false);
    expect(isChannelFeedback({ channel: 'a', ident: 'i' })).toBe(false);
    const policy = new PublishPolicy({ pageIdents: [], pageBroadcast: true });
    const target = feedbackTarget({ channel: 'orders' }, () => true)!;
    expect(target).toEqual({ kind: 'channel' });
    expect(policy.decide({ role: 'backend' }, target)).toEqual({ allowed: true });
    expect(policy.decide({ role: 'page' }, target)).toMatchObject({ allowed: false, code: 'FORBIDDEN' });
  });
});
