import type { IncomingMessage } from 'node:http';
import { CloseCode } from '../../include/protocol.js';
import type { Logger } from '../logger/logger.js';
import type { Connection } from '../transport/connection.js';
import type { Rejection } from '../transport/admission.js';
import { isApplicationCloseCode } from './close-code.js';
import { HOOK_NAMES, type HookName, type HookOwner, type Hooks, type Refusal } from './hook-types.js';
import { isThenable, settle, type Settled } from './settle.js';

/** One registered hook function and who registered it. */
interface Entry {
  owner: HookOwner;
  fn: (...args: never[]) => unknown;
}

export interface HookRegistryOptions {
  /** How long preConnect and preDisconnect may take to decide (the relay's handshakeTimeout). */
  decisionTimeoutMs: number;
}

/** A refusal's reason when preConnect said only `false`. */
export const REFUSED_BY_APP = 'refused by the application';
/** A refusal's reason when a preConnect hook failed or never answered (the default: refuse). */
export const APP_FAILED = 'the application could not admit the connection';

/**
 * The hooks every application registered, in registration order, and the
 * one place that calls them: each call is guarded, so a hook that throws,
 * rejects or never settles is logged with its name and the connection, and
 * the documented default applies (refuse a connection, send a message
 * unchanged, close, shut down). With no hook of a kind registered, the
 * relay's path costs one array-length check.
 */
export class HookRegistry {
  readonly #logger: Logger;
  readonly #decisionTimeoutMs: number;
  readonly #lists = new Map<HookName, Entry[]>(HOOK_NAMES.map((name) => [name, []]));
  /** Connections whose preDisconnect already ran (through requestClose). */
  readonly #disconnecting = new WeakMap<Connection, Promise<unknown>>();
  /** True once any preSend or postSend is registered: the delivery path reads only this. */
  sendHooks = false;
  /** True once any postSend is registered: a write without one asks for nothing after. */
  hasPostSend = false;
  /** preSend/postSend lists by path, made once: they are read for every message. */
  readonly #sendLists = new Map<string, { pre: Entry[]; post: Entry[] }>();
  /** The same lists while no send hook is limited to a path (the usual case): no lookup per message. */
  #everyPathSend: { pre: Entry[]; post: Entry[] } | null = { pre: [], post: [] };

  constructor(logger: Logger, options: HookRegistryOptions) {
    this.#logger = logger;
    this.#decisionTimeoutMs = options.decisionTimeoutMs;
  }

  /** Register an application's hooks; they run after those registered before. */
  add(hooks: Hooks<never>, owner: HookOwner): void {
    for (const [name, fn] of Object.entries(hooks)) {
      if (fn === undefined) continue;
      const list = this.#lists.get(name as HookName);
      if (list === undefined) throw new TypeError(`${owner.name}: unknown hook "${name}" (the hooks are ${HOOK_NAMES.join(', ')})`);
      if (typeof fn !== 'function') throw new TypeError(`${owner.name}: hook ${name} is not a function`);
      list.push({ owner, fn: fn as Entry['fn'] });
    }
    this.#sendLists.clear();
    const pre = this.#lists.get('preSend')!;
    const post = this.#lists.get('postSend')!;
    this.sendHooks = pre.length + post.length > 0;
    this.hasPostSend = post.length > 0;
    const everyPath = [...pre, ...post].every((entry) => entry.owner.scope === null);
    this.#everyPathSend = everyPath ? { pre, post } : null;
  }

  /** Is a hook of this name registered for connections on `path` (any path when omitted)? */
  has(name: HookName, path?: string): boolean {
    return this.#for(name, path ?? null).length > 0;
  }

  /**
   * preConnect, in order, until one refuses. Null admits. A hook that fails
   * or takes longer than the decision timeout refuses (1011 / 1013).
   */
  async admit(conn: Connection, request: IncomingMessage): Promise<Rejection | null> {
    for (const entry of this.#for('preConnect', conn.resource)) {
      const result = await this.#call(entry, 'preConnect', conn, [conn, request], this.#decisionTimeoutMs);
      if (!result.ok) {
        const close = result.timedOut ? CloseCode.TryAgainLater : CloseCode.InternalError;
        return { reason: APP_FAILED, close, cause: 'app' };
      }
      const verdict = result.value;
      if (verdict === false) return { reason: REFUSED_BY_APP, close: CloseCode.PolicyViolation, cause: 'app' };
      if (isRefusal(verdict)) return this.#refusal(entry, conn, verdict);
    }
    return null;
  }

  /** postConnect, for every hook; nothing waits for them. */
  connected(conn: Connection): void {
    for (const entry of this.#for('postConnect', conn.resource)) void this.#call(entry, 'postConnect', conn, [conn], null);
  }

  /**
   * A close an application asked for (quit, an app's close(), maxIdle):
   * preDisconnect may keep the connection open by answering `false`;
   * `close` runs otherwise — at once when no such hook is registered.
   */
  requestClose(conn: Connection, code: number, close: () => void): void {
    const list = this.#for('preDisconnect', conn.resource);
    if (list.length === 0) {
      close();
      return;
    }
    const decided = this.#decide(list, 'preDisconnect', conn, [conn, code]);
    this.#disconnecting.set(conn, decided);
    void decided.then((keep) => {
      if (!keep) {
        close();
        return;
      }
      // The close did not happen: a later one asks the hooks again.
      this.#disconnecting.delete(conn);
      this.#logger.info('close vetoed by an application', { client: conn.id, code });
    });
  }

  /**
   * The socket closed (either side). preDisconnect runs now unless it ran
   * for this close already; its answer is ignored, nothing can be sent.
   */
  closing(conn: Connection, code: number): void {
    if (this.#disconnecting.has(conn)) return;
    const list = this.#for('preDisconnect', conn.resource);
    if (list.length === 0) return;
    this.#disconnecting.set(conn, this.#decide(list, 'preDisconnect', conn, [conn, code]));
  }

  /** The connection is forgotten: postDisconnect, after preDisconnect has settled. */
  closed(conn: Connection, code: number): void {
    const list = this.#for('postDisconnect', conn.resource);
    if (list.length === 0) return;
    const run = (): void => {
      for (const entry of list) void this.#call(entry, 'postDisconnect', conn, [conn, code], null);
    };
    const before = this.#disconnecting.get(conn);
    if (before === undefined) run();
    else void before.then(run);
  }

  /**
   * preSend, in order: each hook sees the text the one before left. The
   * final text (the same string when nothing replaced it), or null when a
   * hook vetoed. Synchronous while every hook answers synchronously; a
   * promise once one does not. A hook that throws, rejects or takes longer
   * than the decision timeout is logged and skipped (the text goes on).
   */
  preSend(conn: Connection, text: string): string | null | Promise<string | null> {
    return this.#preSendFrom((this.#everyPathSend ?? this.#sendListsFor(conn.resource)).pre, 0, conn, text);
  }

  /** postSend, for every hook; nothing waits for them. */
  postSend(conn: Connection, text: string): void {
    for (const entry of (this.#everyPathSend ?? this.#sendListsFor(conn.resource)).post) {
      let value: unknown;
      try {
        value = (entry.fn as (...a: unknown[]) => unknown)(conn, text);
      } catch (error) {
        this.#failed(entry, 'postSend', conn, error);
        continue;
      }
      if (isThenable(value)) value.then(undefined, (error: unknown) => this.#failed(entry, 'postSend', conn, error));
    }
  }

  #preSendFrom(list: readonly Entry[], start: number, conn: Connection, text: string): string | null | Promise<string | null> {
    for (let i = start; i < list.length; i++) {
      const entry = list[i]!;
      let value: unknown;
      try {
        value = (entry.fn as (...a: unknown[]) => unknown)(conn, text);
      } catch (error) {
        this.#failed(entry, 'preSend', conn, error);
        continue;
      }
      if (isThenable(value)) {
        const after = i + 1;
        return this.#call(entry, 'preSend', conn, [], this.#decisionTimeoutMs, value).then((result) => {
          if (result.ok && result.value === false) return null;
          const next = result.ok && typeof result.value === 'string' ? result.value : text;
          return this.#preSendFrom(list, after, conn, next);
        });
      }
      if (value === false) return null;
      if (typeof value === 'string') text = value;
    }
    return text;
  }

  #sendListsFor(path: string): { pre: Entry[]; post: Entry[] } {
    let lists = this.#sendLists.get(path);
    if (lists === undefined) {
      lists = { pre: this.#for('preSend', path), post: this.#for('postSend', path) };
      this.#sendLists.set(path, lists);
    }
    return lists;
  }

  /** preShutdown, every hook at once; resolves when all settled or `budgetMs` passed. */
  async beforeShutdown(budgetMs: number): Promise<void> {
    const results = await Promise.all(this.#for('preShutdown', null).map((entry) => this.#call(entry, 'preShutdown', null, [], budgetMs)));
    for (const result of results) {
      if (result.ok && result.value === false) this.#logger.warn('preShutdown returned false: a stop cannot be vetoed, only delayed');
    }
  }

  /** postShutdown, every hook at once; resolves when all settled or `budgetMs` passed. */
  async afterShutdown(budgetMs: number): Promise<void> {
    await Promise.all(this.#for('postShutdown', null).map((entry) => this.#call(entry, 'postShutdown', null, [], budgetMs)));
  }

  /** True when some hook vetoed (answered false); a failed hook does not veto. */
  async #decide(list: readonly Entry[], name: HookName, conn: Connection, args: unknown[]): Promise<boolean> {
    for (const entry of list) {
      const result = await this.#call(entry, name, conn, args, this.#decisionTimeoutMs);
      if (result.ok && result.value === false) return true;
    }
    return false;
  }

  #refusal(entry: Entry, conn: Connection, verdict: Refusal): Rejection {
    const reason = typeof verdict.refuse === 'string' && verdict.refuse !== '' ? verdict.refuse : REFUSED_BY_APP;
    let close: number = CloseCode.PolicyViolation;
    if (verdict.code !== undefined) {
      if (isApplicationCloseCode(verdict.code)) close = verdict.code;
      else
        this.#logger.warn(
          'preConnect refused with an invalid close code: using 1008',
          this.#fields(entry, 'preConnect', conn, { code: String(verdict.code) }),
        );
    }
    // 4000–4999 are outside CloseCode's list on purpose: the application's own, checked above.
    return { reason: reason.slice(0, 1000), close: close as CloseCode, cause: 'app' };
  }

  /** Hooks of this name that apply to a connection on `path` (null: those for every path). */
  #for(name: HookName, path: string | null): Entry[] {
    const list = this.#lists.get(name)!;
    if (list.length === 0) return list;
    return list.filter((entry) => entry.owner.scope === null || entry.owner.scope === path);
  }

  /**
   * Call one hook (or take the answer it already gave, `given`); never
   * throws. `timeoutMs` null: no deadline (nothing waits for the answer).
   */
  #call(
    entry: Entry,
    name: HookName,
    conn: Connection | null,
    args: unknown[],
    timeoutMs: number | null,
    given?: unknown,
  ): Promise<Settled<unknown>> {
    let value: unknown = given;
    if (given === undefined) {
      try {
        value = (entry.fn as (...a: unknown[]) => unknown)(...args);
      } catch (error) {
        this.#failed(entry, name, conn, error);
        return Promise.resolve({ ok: false, timedOut: false });
      }
    }
    return settle(value, timeoutMs).then((result) => {
      if (!result.ok) {
        if (result.timedOut) this.#logger.error('hook did not settle in time', this.#fields(entry, name, conn, { ms: timeoutMs ?? 0 }));
        else this.#failed(entry, name, conn, result.error);
      }
      return result;
    });
  }

  #failed(entry: Entry, name: HookName, conn: Connection | null, error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    this.#logger.error('hook failed', this.#fields(entry, name, conn, { reason }));
  }

  #fields(
    entry: Entry,
    name: HookName,
    conn: Connection | null,
    extra: Record<string, string | number>,
  ): Record<string, string | number | null> {
    const fields: Record<string, string | number | null> = { hook: name, app: entry.owner.name, ...extra };
    if (conn !== null) Object.assign(fields, { client: conn.id, ip: conn.ip, path: conn.resource });
    return fields;
  }
}

function isRefusal(value: unknown): value is Refusal {
  return typeof value === 'object' && value !== null && 'refuse' in value;
}
