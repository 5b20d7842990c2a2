import type { PusherApp } from '../apps/pusher-app.js';
import { TokenBucket } from '../../limits/token-bucket.js';
import type { Connection } from '../../transport/connection.js';

/** One Pusher connection's state: its app, socket_id, channels, signed-in user and limits. */
export class PusherClient {
  readonly conn: Connection;
  readonly app: PusherApp;
  readonly socketId: string;
  /** Channels subscribed (or being subscribed), with the presence user_id the subscription was signed for. */
  readonly channels = new Map<string, { userId: string | null; ready: boolean }>();
  /** Set by pusher:signin: the user's id and the signed user_data. */
  user: { id: string; data: string } | null = null;
  /** When the client last sent anything (activity_timeout), and when we pinged it (0: not waiting). */
  lastSeen: number;
  pingSentAt = 0;
  /** Operations waiting their turn: frames are handled in order, one at a time. */
  pending = 0;
  #queue: Promise<void> = Promise.resolve();
  readonly #events: TokenBucket;

  constructor(conn: Connection, app: PusherApp, socketId: string, now: number) {
    this.conn = conn;
    this.app = app;
    this.socketId = socketId;
    this.lastSeen = now;
    const rate = Math.max(1, app.limits.clientEventRate);
    this.#events = new TokenBucket(rate, rate, now);
  }

  /** May this client send a client event now? (Pusher: 10 a second by default.) */
  takeClientEvent(now: number): boolean {
    return this.#events.take(now) === 0;
  }

  /** Run `step` after the steps queued before it (a subscribe waiting for Redis is not overtaken). */
  enqueue(step: () => Promise<void> | void): void {
    this.pending++;
    this.#queue = this.#queue
      .then(step)
      .catch(() => {})
      .finally(() => {
        this.pending--;
      });
  }

  /** Resolves once every queued step ran. */
  settled(): Promise<void> {
    return this.#queue;
  }
}
