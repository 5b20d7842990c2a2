/**
 * Webhooks as a real HTTP receiver gets them: signed so that the `pusher`
 * SDK's own check accepts them, batched, retried after failures, bounded,
 * and the drops counted in /metrics' registry.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Pusher from 'pusher';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../server/logger/logger.js';
import { PusherAppMetrics } from '../../server/pusher/apps/app-metrics.js';
import { pusherApp, WEBHOOK_EVENTS, type PusherApp } from '../../server/pusher/apps/pusher-app.js';
import { WebhookSender } from '../../server/pusher/webhooks/webhook-sender.js';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A receiver that answers each POST with the next status of `statuses` (then 200), and records it. */
class Receiver {
  readonly received: Received[] = [];
  readonly server: Server;
  #waiters: (() => void)[] = [];

  constructor(readonly statuses: number[] = []) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(this.statuses.shift() ?? 200).end();
        for (const wake of this.#waiters.splice(0)) wake();
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  async until(count: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      if (Date.now() > deadline) throw new Error(`only ${this.received.length} of ${count} webhook POSTs arrived`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(statuses: number[] = [], options: ConstructorParameters<typeof WebhookSender>[2] = {}) {
  const receiver = new Receiver(statuses);
  const url = await receiver.listen();
  cleanups.push(() => receiver.close());
  const app: PusherApp = pusherApp({ id: '1', key: 'hook-key', secret: 'hook-secret', webhooks: [{ url, events: [...WEBHOOK_EVENTS] }] });
  const registry = new Registry();
  const sender = new WebhookSender(new PusherAppMetrics(registry), silentLogger, options);
  cleanups.push(() => sender.stop());
  return { receiver, app, sender, registry };
}

/** Wait (bounded) until the sender has nothing left: its counters are then final. */
async function settled(sender: WebhookSender, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (sender.pending > 0) {
    if (Date.now() > deadline) throw new Error(`${sender.pending} webhook events still pending`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function counted(registry: Registry, fate: string): Promise<number> {
  const metric = await registry.getSingleMetric('websock_pusher_webhook_events_total')!.get();
  return metric.values.filter((v) => v.labels.fate === fate).reduce((sum, v) => sum + v.value, 0);
}

describe('webhooks', () => {
  it('POSTs events together, signed so that the pusher SDK accepts them', async () => {
    const { receiver, app, sender, registry } = await setup([], { batchMs: 200 });
    sender.emit(app, { name: 'channel_occupied', channel: 'orders' });
    sender.emit(app, { name: 'member_added', channel: 'presence-room', user_id: '7' });
    await receiver.until(1);
    await settled(sender);
    const [post] = receiver.received;
    const sdk = new Pusher({ appId: app.id, key: app.key, secret: app.secret, host: '127.0.0.1' });
    const webhook = sdk.webhook({ headers: post!.headers as Record<string, string>, rawBody: post!.body });
    expect(webhook.isValid()).toBe(true);
    expect(webhook.getEvents()).toEqual([
      { name: 'channel_occupied', channel: 'orders' },
      { name: 'member_added', channel: 'presence-room', user_id: '7' },
    ]);
    expect(typeof webhook.getTime().getTime()).toBe('number');
    // A receiver checking with another secret refuses it.
    expect(
      new Pusher({ appId: '1', key: app.key, secret: 'wrong', host: '127.0.0.1' })
        .webhook({ headers: post!.headers as Record<string, string>, rawBody: post!.body })
        .isValid(),
    ).toBe(false);
    expect(await counted(registry, 'sent')).toBe(2);
  });

  it('retries a failed POST with backoff until it is taken', async () => {
    const { receiver, app, sender, registry } = await setup([500, 503], { batchMs: 1, backoff: { firstMs: 20, maxMs: 40, attempts: 5 } });
    sender.emit(app, { name: 'channel_vacated', channel: 'orders' });
    await receiver.until(3);
    await settled(sender);
    expect(receiver.received.map((r) => JSON.parse(r.body).events)).toEqual([
      [{ name: 'channel_vacated', channel: 'orders' }],
      [{ name: 'channel_vacated', channel: 'orders' }],
      [{ name: 'channel_vacated', channel: 'orders' }],
    ]);
    expect(await counted(registry, 'retried')).toBe(2);
    expect(await counted(registry, 'sent')).toBe(1);
  });

  it('drops a batch out of attempts and counts it; the next events still go', async () => {
    const { receiver, app, sender, registry } = await setup([500, 500], { batchMs: 1, backoff: { firstMs: 10, maxMs: 10, attempts: 2 } });
    sender.emit(app, { name: 'cache_miss', channel: 'cache-a' });
    await receiver.until(2);
    sender.emit(app, { name: 'cache_miss', channel: 'cache-b' });
    await receiver.until(3);
    await settled(sender);
    expect(JSON.parse(receiver.received[2]!.body).events).toEqual([{ name: 'cache_miss', channel: 'cache-b' }]);
    expect(await counted(registry, 'dropped_failed')).toBe(1);
  });

  it('bounds the queue of a receiver that is down: the overflow is dropped and counted', async () => {
    const { receiver, app, sender, registry } = await setup([500], {
      batchMs: 1,
      maxQueuedEvents: 3,
      maxBatchEvents: 10,
      backoff: { firstMs: 50, maxMs: 50, attempts: 3 },
    });
    sender.emit(app, { name: 'channel_occupied', channel: 'a' });
    await receiver.until(1);
    // The first batch waits for its retry; three more wait behind it; the rest are dropped.
    for (const channel of ['b', 'c', 'd', 'e', 'f']) sender.emit(app, { name: 'channel_occupied', channel });
    expect(sender.pending).toBe(4);
    expect(await counted(registry, 'dropped_queue_full')).toBe(2);
    await receiver.until(3);
    expect(receiver.received.slice(1).map((r) => JSON.parse(r.body).events.map((e: { channel: string }) => e.channel))).toEqual([
      ['a'],
      ['b', 'c', 'd'],
    ]);
  });

  it('sends a receiver only the events it asked for', async () => {
    const { receiver, app, sender } = await setup([], { batchMs: 1 });
    const onlyMembers = { ...app, webhooks: [{ url: app.webhooks[0]!.url, events: ['member_removed' as const] }] };
    sender.emit(onlyMembers, { name: 'channel_occupied', channel: 'a' });
    sender.emit(onlyMembers, { name: 'member_removed', channel: 'presence-a', user_id: '1' });
    await receiver.until(1);
    expect(JSON.parse(receiver.received[0]!.body).events).toEqual([{ name: 'member_removed', channel: 'presence-a', user_id: '1' }]);
  });
});
