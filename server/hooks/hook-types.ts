/**
 * The eight hooks an application can register, named as the PHP server they
 * come from names them. Every hook may be async. The convention is the same
 * for every pre-hook: return `false` to veto (refuse the connection, drop the
 * message, keep the connection open), anything else — or nothing — to go on.
 * `preSend` may instead return a replacement text, `preConnect` a Refusal
 * with its own reason and close code. See docs/apps.md for when each runs.
 */
import type { IncomingMessage } from 'node:http';
import type { Connection } from '../transport/connection.js';

/** A connection as an application sees it: `data` holds what its preConnect attached. */
export type HookConnection<Data = unknown> = Connection & { data: Data };

/**
 * What preConnect returns to refuse with the application's own words: the
 * client is told `{"opcode":"close","error":refuse}` and the connection is
 * closed with `code` (default 1008; 4000–4999 are the application's own).
 * A Pusher client is told `pusher:error` instead, with `code` when it is
 * 4001–4999, 4100 for 1011 and 1013, 4009 otherwise (server/pusher/ws/app-refusal.ts).
 */
export interface Refusal {
  refuse: string;
  code?: number;
}

/** A hook's result, now or later. */
export type MaybePromise<T> = T | Promise<T>;

/** What a pre-hook returns: `false` vetoes, anything else goes on. */
export type Verdict = boolean | void | undefined | null;

export interface Hooks<Data = unknown> {
  /**
   * A client finished its WebSocket handshake and passed the relay's own
   * checks; nothing has been sent to it yet (no `ready`, no Pusher
   * `connection_established`). Return `false` or a Refusal to turn it away;
   * set `conn.data` to keep what you learnt (the user).
   */
  preConnect?(conn: HookConnection<Data>, request: IncomingMessage): MaybePromise<Verdict | Refusal>;
  /** The client is registered and has its `ready`; the resource's onOpen has run. */
  postConnect?(conn: HookConnection<Data>): MaybePromise<void>;
  /**
   * The relay is about to write `message` to `to`, whatever produced it
   * (feedback, broadcast, replay after a resume, HTTP publish, an app).
   * Return a string to send that instead, `false` to drop it, anything else
   * to send it unchanged.
   */
  preSend?(to: HookConnection<Data>, message: string): MaybePromise<Verdict | string>;
  /** `message` (as finally sent) was written to `to`'s socket. */
  postSend?(to: HookConnection<Data>, message: string): MaybePromise<void>;
  /**
   * The connection is about to close. When an application asked for the close
   * (the `quit` opcode, an app's `close()`, `maxIdle`), `false` keeps it open;
   * when the client or the relay's own rules closed it, it runs once the close
   * is noticed and its answer is ignored.
   */
  preDisconnect?(conn: HookConnection<Data>, code: number): MaybePromise<Verdict>;
  /** The connection is closed and forgotten (its resource's onClose has run). */
  postDisconnect?(conn: HookConnection<Data>, code: number): MaybePromise<void>;
  /**
   * The relay is stopping: new clients are refused, connected ones still get
   * messages. A promise delays the shutdown, for at most `shutdownGrace` in
   * all (the drain of queued messages shares that time). A stop cannot be
   * vetoed: `false` is logged and ignored.
   */
  preShutdown?(): MaybePromise<Verdict>;
  /** Every client is closed and the port is released. */
  postShutdown?(): MaybePromise<void>;
}

export type HookName = keyof Hooks;

/** Every hook name, in the order they are documented. */
export const HOOK_NAMES: readonly HookName[] = [
  'preConnect',
  'postConnect',
  'preSend',
  'postSend',
  'preDisconnect',
  'postDisconnect',
  'preShutdown',
  'postShutdown',
];

/** Who registered a set of hooks: its name in logs, and the path it is limited to (null: every path). */
export interface HookOwner {
  name: string;
  scope: string | null;
}
