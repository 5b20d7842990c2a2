/**
 * One connected Novo SGA client: reads each event it emits, checks who may
 * send it, and emits the answer to the rooms it concerns. What the original
 * got wrong and this does instead:
 * - `new ticket` was accepted from any socket (its check was inverted):
 *   here only from a registered user, or a triage screen of that unity;
 * - events went to a scan of every client: here to rooms (rooms.ts);
 * - a refused registration was silent: here `request error` says why.
 */
import type { Server, Socket } from 'socket.io';
import { NovosgaClientEvent, NovosgaErrorCode, NovosgaServerEvent, type RequestErrorPayload } from '../../../include/novosga-events.js';
import { TokenBucket } from '../../limits/token-bucket.js';
import type { Logger } from '../../logger/logger.js';
import { readCall, readChangeUser, readPanel, readUnity, readUser, type Read } from './payloads.js';
import { isOurRoom, panelsRoom, roomsOf, userRoom, usersRoom, type Registration } from './rooms.js';

/** What every client of one event server shares. */
export interface ClientContext {
  io: Server;
  logger: Logger;
  /** Constant-time comparison with the configured secret. */
  secretMatches(secret: string): boolean;
  /** Events per second per socket (bursts of as many); 0 = no limit. */
  maxEventRate: number;
  /** Counted as they happen, for /metrics. */
  counters: NovosgaCounters;
}

/** Counted as they happen; read when /metrics is scraped. */
export interface NovosgaCounters {
  /** Events received, of any name. */
  events: number;
  /** Refused events and registrations, by error code. */
  refused: Map<NovosgaErrorCode, number>;
}

/** Refused events one socket may send before it is disconnected. */
export const MAX_REFUSED = 20;

type Ack = (answer: { ok: true } | { ok: false; code: string; reason: string }) => void;

class Refusal {
  constructor(
    readonly code: NovosgaErrorCode,
    readonly reason: string,
  ) {}
}

/** The value of a read payload, or a Refusal saying why not. */
function valueOf<T>(read: Read<T>): T {
  if (!read.ok) throw new Refusal(NovosgaErrorCode.BadPayload, read.reason);
  return read.value;
}

export class NovosgaClient {
  readonly #socket: Socket;
  readonly #ctx: ClientContext;
  readonly #ip: string;
  readonly #bucket: TokenBucket | null;
  #refused = 0;
  #limited = false;

  constructor(socket: Socket, ctx: ClientContext, ip: string) {
    this.#socket = socket;
    this.#ctx = ctx;
    this.#ip = ip;
    this.#bucket = ctx.maxEventRate > 0 ? new TokenBucket(ctx.maxEventRate, ctx.maxEventRate, Date.now()) : null;
    socket.onAny((event: unknown, ...args: unknown[]) => this.#onEvent(String(event), args));
  }

  get registration(): Registration | undefined {
    return this.#socket.data as Registration | undefined;
  }

  #onEvent(event: string, args: unknown[]): void {
    const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as Ack) : undefined;
    this.#ctx.counters.events++;
    try {
      if (this.#bucket && this.#bucket.take(Date.now()) > 0) {
        if (!this.#limited) this.#ctx.logger.warn('novosga client over the event rate: dropping its events', this.#fields());
        this.#limited = true;
        throw new Refusal(NovosgaErrorCode.RateLimited, `more than ${this.#ctx.maxEventRate} events per second`);
      }
      this.#limited = false;
      this.#dispatch(event, args[0]);
      ack?.({ ok: true });
    } catch (error) {
      if (error instanceof Refusal) {
        this.#refuse(event, error, ack);
        return;
      }
      // A bug of ours: thrown from here it would reach the socket's reader and end the process.
      this.#ctx.logger.error('novosga event handler failed: disconnecting the client', {
        ...this.#fields(),
        event: event.slice(0, 40),
        reason: error instanceof Error ? error.message : String(error),
      });
      this.#refuse(event, new Refusal(NovosgaErrorCode.Internal, 'internal error'), ack);
      this.#socket.disconnect(true);
    }
  }

  #dispatch(event: string, payload: unknown): void {
    switch (event) {
      case NovosgaClientEvent.RegisterPanel: {
        const { unity, services } = valueOf(readPanel(payload));
        this.#register({ role: 'panel', unity, services });
        return;
      }
      case NovosgaClientEvent.RegisterTriage:
        this.#register({ role: 'triage', unity: valueOf(readUnity(payload)).unity });
        return;
      case NovosgaClientEvent.RegisterUser:
        this.#registerUser(payload);
        return;
      case NovosgaClientEvent.NewTicket: {
        const { unity } = valueOf(readUnity(payload));
        const me = this.#registered(event);
        // Triage screens hold no secret: they may only wake the desks of their own unity.
        if (me.role === 'panel' || (me.role === 'triage' && me.unity !== unity)) this.#notAllowed(event, me, unity);
        this.#updateQueue(unity);
        return;
      }
      case NovosgaClientEvent.ChangeTicket: {
        const { unity } = valueOf(readUnity(payload));
        this.#asUser(event);
        this.#updateQueue(unity);
        return;
      }
      case NovosgaClientEvent.CallTicket: {
        const call = valueOf(readCall(payload));
        this.#asUser(event);
        this.#ctx.io.to(panelsRoom(call.unity, call.service)).emit(NovosgaServerEvent.CallTicket, call);
        this.#updateQueue(call.unity);
        this.#ctx.logger.info('novosga ticket called', { unity: call.unity, service: call.service, client: this.#socket.id });
        return;
      }
      case NovosgaClientEvent.ChangeUser: {
        const { unity, user } = valueOf(readChangeUser(payload));
        this.#asUser(event);
        this.#ctx.io.to(userRoom(unity, user)).emit(NovosgaServerEvent.ChangeUser);
        return;
      }
      case NovosgaClientEvent.ClientUpdate:
        this.#update(event, payload);
        return;
      default:
        throw new Refusal(NovosgaErrorCode.UnknownEvent, `unknown event ${JSON.stringify(event.slice(0, 40))}`);
    }
  }

  #registerUser(payload: unknown): void {
    const secret = typeof payload === 'object' && payload !== null ? (payload as { secret?: unknown }).secret : undefined;
    // A wrong secret ends the connection, as in the original, whatever else is wrong.
    if (typeof secret !== 'string' || !this.#ctx.secretMatches(secret)) {
      this.#ctx.logger.warn('novosga user refused: wrong secret; disconnecting', this.#fields());
      this.#count(NovosgaErrorCode.BadSecret);
      this.#emitError({ event: NovosgaClientEvent.RegisterUser, code: NovosgaErrorCode.BadSecret, reason: 'wrong secret' });
      this.#socket.disconnect(true);
      return;
    }
    const { unity, user } = valueOf(readUser(payload));
    this.#register({ role: 'user', unity, user });
  }

  #update(event: string, payload: unknown): void {
    const me = this.#registered(event);
    switch (me.role) {
      case 'panel': {
        const { unity, services } = valueOf(readPanel(payload));
        this.#join({ role: 'panel', unity, services });
        return;
      }
      case 'triage':
        this.#join({ role: 'triage', unity: valueOf(readUnity(payload)).unity });
        return;
      case 'user': {
        const { unity } = valueOf(readUnity(payload));
        const given = (payload as { user?: unknown }).user;
        const user = given === undefined || given === null ? me.user : valueOf(readChangeUser(payload)).user;
        this.#join({ role: 'user', unity, user });
        return;
      }
    }
  }

  /** (Re-)register: clients do it on every (re)connect and may do it again to change their settings. */
  #register(registration: Registration): void {
    this.#join(registration);
    this.#socket.emit(NovosgaServerEvent.RegisterOk);
    this.#ctx.logger.info('novosga client registered', { ...this.#fields(), rooms: roomsOf(registration).length });
  }

  #join(registration: Registration): void {
    for (const room of this.#socket.rooms) if (isOurRoom(room)) void this.#socket.leave(room);
    this.#socket.data = registration;
    void this.#socket.join(roomsOf(registration));
  }

  #updateQueue(unity: number): void {
    this.#ctx.io.to(usersRoom(unity)).emit(NovosgaServerEvent.UpdateQueue);
  }

  #registered(event: string): Registration {
    const me = this.registration;
    if (!me?.role) throw new Refusal(NovosgaErrorCode.NotRegistered, `${event} needs a registered client (register first)`);
    return me;
  }

  #asUser(event: string): void {
    const me = this.#registered(event);
    if (me.role !== 'user') this.#notAllowed(event, me);
  }

  #notAllowed(event: string, me: Registration, unity?: number): never {
    const where = unity === undefined ? '' : ` for unity ${unity}`;
    throw new Refusal(NovosgaErrorCode.NotAllowed, `a ${me.role} of unity ${me.unity} may not send ${event}${where}`);
  }

  #refuse(event: string, refusal: Refusal, ack: Ack | undefined): void {
    this.#count(refusal.code);
    const payload: RequestErrorPayload = { event: event.slice(0, 40), code: refusal.code, reason: refusal.reason };
    if (refusal.code !== NovosgaErrorCode.RateLimited) this.#ctx.logger.warn('novosga event refused', { ...this.#fields(), ...payload });
    if (ack) ack({ ok: false, code: payload.code, reason: payload.reason });
    else this.#emitError(payload);
    if (++this.#refused >= MAX_REFUSED) {
      this.#ctx.logger.warn('novosga client disconnected after too many refused events', { ...this.#fields(), refused: this.#refused });
      this.#socket.disconnect(true);
    }
  }

  #count(code: NovosgaErrorCode): void {
    const refused = this.#ctx.counters.refused;
    refused.set(code, (refused.get(code) ?? 0) + 1);
  }

  #emitError(payload: RequestErrorPayload): void {
    this.#socket.emit(NovosgaServerEvent.RequestError, payload);
  }

  #fields(): Record<string, string | number | undefined> {
    const me = this.registration;
    return { client: this.#socket.id, ip: this.#ip, role: me?.role, unity: me?.unity };
  }
}
