import { CloseCode } from '../../include/protocol.js';
import type { HookConnection } from '../hooks/hook-types.js';
import type { Logger } from '../logger/logger.js';
import type { InboundMessage, Resource, ResourceContext } from '../resources/resource.js';
import type { Connection } from '../transport/connection.js';
import type { App, AppContext } from './app.js';

/** The idle sweep looks this often at most (and at least every quarter of maxIdle). */
const IDLE_SWEEP_MAX_MS = 1_000;
const IDLE_SWEEP_MIN_MS = 20;

/**
 * Serves an app's resource at its path: keeps the app's connections, hands
 * the app a context with the PHP server's helpers (sendToUser, sendToAll,
 * sendToAllBut, close), and drops clients that sent nothing for maxIdle.
 */
export class AppResource implements Resource {
  readonly #app: App;
  readonly #name: string;
  readonly #logger: Logger;
  readonly #maxIdleMs: number;
  /** The app's connections, with when each last sent a message. */
  readonly #members = new Map<Connection, number>();
  #ctx: AppContextImpl | null = null;
  #sweep: NodeJS.Timeout | null = null;

  constructor(app: App, name: string, logger: Logger, maxIdleMs: number) {
    this.#app = app;
    this.#name = name;
    this.#logger = logger;
    this.#maxIdleMs = maxIdleMs;
  }

  onOpen(conn: Connection, ctx: ResourceContext): void {
    this.#members.set(conn, Date.now());
    if (this.#maxIdleMs > 0 && this.#sweep === null) {
      const every = Math.min(IDLE_SWEEP_MAX_MS, Math.max(IDLE_SWEEP_MIN_MS, this.#maxIdleMs / 4));
      this.#sweep = setInterval(() => this.#dropIdle(), every);
      this.#sweep.unref();
    }
    // Made now: the idle sweep closes through it even when the app has no onOpen.
    const appCtx = this.#context(ctx);
    this.#guard(conn, 'onOpen', () => this.#app.onOpen?.(conn as HookConnection, appCtx));
  }

  onMessage(conn: Connection, message: InboundMessage, ctx: ResourceContext): void {
    if (this.#members.has(conn)) this.#members.set(conn, Date.now());
    this.#app.onMessage?.(conn as HookConnection, message, this.#context(ctx));
  }

  onClose(conn: Connection, code: number, ctx: ResourceContext): void {
    this.#members.delete(conn);
    if (this.#members.size === 0) this.stop();
    this.#guard(conn, 'onClose', () => this.#app.onClose?.(conn as HookConnection, code, this.#context(ctx)));
  }

  onError(conn: Connection, error: Error, ctx: ResourceContext): void {
    this.#guard(conn, 'onError', () => this.#app.onError?.(conn as HookConnection, error, this.#context(ctx)));
  }

  /** Stop the idle sweep (relay stop, or no clients left). */
  stop(): void {
    if (this.#sweep) clearInterval(this.#sweep);
    this.#sweep = null;
  }

  /** The app's connections, for its context. */
  get members(): ReadonlySet<Connection> {
    return new Set(this.#members.keys());
  }

  #context(base: ResourceContext): AppContextImpl {
    if (this.#ctx === null || this.#ctx.base !== base) this.#ctx = new AppContextImpl(base, this.#members);
    return this.#ctx;
  }

  #dropIdle(): void {
    const ctx = this.#ctx;
    if (ctx === null) return;
    const now = Date.now();
    for (const [conn, last] of this.#members) {
      if (now - last < this.#maxIdleMs || !conn.open) continue;
      this.#logger.info('idle client dropped', { app: this.#name, client: conn.id, idleMs: now - last });
      // Marked active so a vetoed close is asked again only after another maxIdle.
      this.#members.set(conn, now);
      ctx.close(conn as HookConnection, CloseCode.Normal, `idle for more than ${Math.round(this.#maxIdleMs / 1000)} s`);
    }
  }

  /** onOpen/onClose/onError of an app must not take the relay down (onMessage is guarded by the pipeline). */
  #guard(conn: Connection, what: string, run: () => void): void {
    try {
      run();
    } catch (error) {
      this.#logger.error('app failed', { app: this.#name, handler: what, client: conn.id, reason: (error as Error).message });
    }
  }
}

/** The context an app's handlers get: the relay's, plus the helpers over the app's own connections. */
class AppContextImpl implements AppContext {
  readonly base: ResourceContext;
  readonly #members: Map<Connection, number>;

  constructor(base: ResourceContext, members: Map<Connection, number>) {
    this.base = base;
    this.#members = members;
  }

  get logger(): Logger {
    return this.base.logger;
  }

  get connections(): ReadonlySet<HookConnection> {
    return new Set(this.#members.keys()) as ReadonlySet<HookConnection>;
  }

  sendToUser(to: HookConnection, message: object | string | Buffer): boolean {
    return this.base.send(to, message);
  }

  sendToAll(message: object | string | Buffer): number {
    return this.#sendToMembers(null, message);
  }

  sendToAllBut(except: HookConnection, message: object | string | Buffer): number {
    return this.#sendToMembers(except, message);
  }

  close(conn: HookConnection, code: number = CloseCode.Normal, reason = ''): void {
    this.base.close(conn, code as CloseCode, reason);
  }

  #sendToMembers(except: Connection | null, message: object | string | Buffer): number {
    // Serialised once for every recipient.
    const raw = typeof message === 'string' || Buffer.isBuffer(message) ? message : JSON.stringify(message);
    let count = 0;
    for (const conn of this.#members.keys()) {
      if (conn !== except && this.base.send(conn, raw)) count++;
    }
    return count;
  }

  send: ResourceContext['send'] = (to, message) => this.base.send(to, message);
  deliverFeedback: ResourceContext['deliverFeedback'] = (from, packet, raw) => this.base.deliverFeedback(from, packet, raw);
  broadcast: ResourceContext['broadcast'] = (from, message) => this.base.broadcast(from, message);
  findByUuid: ResourceContext['findByUuid'] = (uuid) => this.base.findByUuid(uuid);
  findByIdent: ResourceContext['findByIdent'] = (ident) => this.base.findByIdent(ident);
  adoptUuid: ResourceContext['adoptUuid'] = (conn, uuid) => this.base.adoptUuid(conn, uuid);
  takeUuid: ResourceContext['takeUuid'] = (conn, uuid) => this.base.takeUuid(conn, uuid);
  outcome: ResourceContext['outcome'] = (conn, id, outcome, count) => this.base.outcome(conn, id, outcome, count);
  error: ResourceContext['error'] = (conn, code, id, detail) => this.base.error(conn, code, id, detail);
}
