import type { Connection } from '../transport/connection.js';
import type { HookRegistry } from './hook-registry.js';

/**
 * Writes one message to a connection's socket; true when the socket took it.
 * `arg` is what the caller passed with the message (its original bytes, its
 * frame): one function per kind of write and no closure per message.
 */
export type WriteFn<A> = (conn: Connection, text: string, unchanged: boolean, arg: A) => boolean;

export interface SendHooksOptions {
  /** Most bytes one connection may have waiting for an async preSend; beyond, messages are dropped as for a slow reader. */
  maxQueuedBytes: number;
  /** A message was not written because of a hook: `vetoed` by preSend, or `queue-full` while one was pending. */
  onDrop(conn: Connection, why: 'vetoed' | 'queue-full'): void;
}

interface Waiting {
  text: string;
  write: WriteFn<never>;
  arg: unknown;
  bytes: number;
}

interface Backlog {
  items: Waiting[];
  bytes: number;
}

/**
 * preSend and postSend at the delivery chokepoint. The chokepoint calls
 * `send` for each message it is about to write (only while `active`) and
 * gives the write itself as a function, so counters, backpressure and the
 * encode-once frame stay the chokepoint's:
 *
 * - every preSend answers synchronously (the common case): the write
 *   happens in place, with the final text; `unchanged` is true when no hook
 *   replaced it, and the chokepoint then writes its original bytes (the
 *   shared broadcast frame, the forwarded Buffer);
 * - a preSend returns a promise: this write, and every later message to the
 *   same connection, waits until it is decided, so a client still gets its
 *   messages in the order they were sent. At most `maxQueuedBytes` wait per
 *   connection; the rest is dropped, as for a client that does not read.
 *
 * postSend runs after the socket took the message, with the text written.
 */
export class SendHooks {
  readonly #registry: HookRegistry;
  readonly #options: SendHooksOptions;
  readonly #backlogs = new WeakMap<Connection, Backlog>();
  /** Connections with a backlog: while none has, a message skips the lookup. */
  #waiting = 0;

  constructor(registry: HookRegistry, options: SendHooksOptions) {
    this.#registry = registry;
    this.#options = options;
  }

  /** True once a preSend or postSend hook is registered; without, the chokepoint skips `send` entirely. */
  get active(): boolean {
    return this.#registry.sendHooks;
  }

  /**
   * Decide and write one message. True when it was written or waits for an
   * async hook; false when a hook vetoed it, its backlog is full, or the
   * write itself failed.
   */
  send<A>(conn: Connection, text: string, write: WriteFn<A>, arg: A): boolean {
    if (this.#waiting !== 0) {
      const backlog = this.#backlogs.get(conn);
      if (backlog !== undefined) return this.#wait(conn, backlog, text, write, arg);
    }
    const decided = this.#registry.preSend(conn, text);
    if (decided instanceof Promise) {
      const fresh: Backlog = { items: [], bytes: 0 };
      this.#backlogs.set(conn, fresh);
      this.#waiting++;
      this.#drain(conn, fresh, decided, text, write, arg).catch(() => {});
      return true;
    }
    return this.#finish(conn, text, decided, write, arg);
  }

  #wait<A>(conn: Connection, backlog: Backlog, text: string, write: WriteFn<A>, arg: A): boolean {
    const bytes = text.length;
    if (backlog.bytes + bytes > this.#options.maxQueuedBytes) {
      this.#options.onDrop(conn, 'queue-full');
      return false;
    }
    backlog.items.push({ text, write: write as WriteFn<never>, arg, bytes });
    backlog.bytes += bytes;
    return true;
  }

  /** Write what is decided, then decide the waiting ones in order; the backlog goes once empty. */
  async #drain<A>(
    conn: Connection,
    backlog: Backlog,
    first: Promise<string | null>,
    text: string,
    write: WriteFn<A>,
    arg: A,
  ): Promise<void> {
    try {
      this.#finish(conn, text, await first, write, arg);
      while (backlog.items.length > 0) {
        const next = backlog.items.shift()!;
        backlog.bytes -= next.bytes;
        if (!conn.open) continue;
        this.#finish(conn, next.text, await this.#registry.preSend(conn, next.text), next.write as WriteFn<unknown>, next.arg);
      }
    } finally {
      // A write that threw (a bug) must not leave the connection's later messages waiting for ever.
      this.#backlogs.delete(conn);
      this.#waiting--;
    }
  }

  #finish<A>(conn: Connection, original: string, decided: string | null, write: WriteFn<A>, arg: A): boolean {
    if (decided === null) {
      this.#options.onDrop(conn, 'vetoed');
      return false;
    }
    if (!write(conn, decided, decided === original, arg)) return false;
    if (this.#registry.hasPostSend) this.#registry.postSend(conn, decided);
    return true;
  }
}
