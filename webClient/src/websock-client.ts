import {
  ClientOpcode,
  CloseCode,
  ServerOpcode,
  SUBPROTOCOL_V2,
  isPacket,
  type ErrorCode,
  type FeedbackPacket,
  type JobState,
  type Progress,
} from '../../include/protocol.js';
import { backoffDelay, defaultBackoff, type BackoffOptions } from './backoff.js';
import { framesFor } from './chunker.js';
import { Emitter } from './emitter.js';
import { WebsockError } from './errors.js';
import { OutboundQueue, type SendResult } from './outbound-queue.js';
import { isProgress, progressPercent } from './progress.js';
import { memorySessionStore, webSessionStore, type SessionState, type SessionStore } from './session-store.js';
import { resolveUrl } from './resolve-url.js';

/** Most running jobs the client remembers (the relay tracks at most 100 per page). */
const MAX_RUNNING_JOBS = 100;

/**
 * `connecting`: first attempt; `open`: the relay said ready (and resumed, if
 * it could); `reconnecting`: waiting for or making another attempt;
 * `closed`: close() was called, or reconnecting is off and the socket closed.
 */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Any packet the relay forwards to the page (feedback, echo, broadcast...). */
export type InboundPacket = { opcode: string; seq?: number; [field: string]: unknown };

export interface ReadyEvent {
  /** This page's (signed) uuid: give it to the backend that reports to the page. */
  uuid: string;
  /** 2 when the relay accepted the websock.v2 subprotocol. */
  protocol: 1 | 2;
  /** The relay gave back the uuid of an earlier connection (v2). */
  resumed: boolean;
  /** ...and replays every message missed meanwhile. False after a gap it could not fill: refetch state. */
  recovered: boolean;
  /** The relay's `ready` (or `resumed`) packet as received. */
  packet: InboundPacket;
}

export interface CloseInfo {
  /** The WebSocket close code (1006 when the connection just dropped). */
  code: number;
  /** The close reason, or the relay's refusal text. */
  reason: string;
  /** The connection had reached `open`. */
  wasReady: boolean;
  /** Delay before the next attempt, null when the client will not reconnect. */
  reconnectInMs: number | null;
}

export interface ProgressEvent {
  progress: Progress;
  /** 0..100 when the report implies one. */
  percent: number | undefined;
  packet: FeedbackPacket;
}

/** The relay's word on one of the page's jobs: `{"opcode":"job","job":J,"state":"lost","reason":…}`. */
export interface JobEvent {
  job: string | number;
  state: JobState;
  /** Why a job is lost: `publisher-gone`, `lease-expired` or `relay-restarted`. */
  reason: string | undefined;
  packet: InboundPacket;
}

export interface WebsockClientEvents {
  state: ConnectionState;
  ready: ReadyEvent;
  /** Every packet for the page, feedback included; duplicates of a resume are filtered. */
  message: InboundPacket;
  feedback: FeedbackPacket;
  /** Feedback that carries structured progress. */
  progress: ProgressEvent;
  /** The relay says a job changed state on its own (it is `lost`). */
  job: JobEvent;
  /** Errors the relay reports that do not answer a request of ours. */
  error: WebsockError;
  close: CloseInfo;
}

export interface WebsockClientOptions {
  /** `auto` offers websock.v2 and speaks v1 when the relay does not pick it; `v1` never offers v2. */
  protocol?: 'auto' | 'v1';
  /** Reconnect after a drop, with exponential backoff and jitter (default on). */
  reconnect?: boolean | Partial<BackoffOptions>;
  /**
   * Where the uuid and last sequence number are kept for resuming: a
   * sessionStorage key (default `websock:<url>`), `false` for memory only (a
   * reload then starts a new session), or any SessionStore.
   */
  session?: string | false | SessionStore;
  /** v1: messages longer than this (UTF-16 units) go as bufferON/chunks/bufferOFF; 0 never chunks. */
  chunkSize?: number;
  /** v2: how long to wait for the outcome of a send. */
  requestTimeoutMs?: number;
  /** Connect at once (default) or wait for connect(). */
  connect?: boolean;
}

/**
 * A connection of a page to the relay's `/web` resource.
 *
 * It reconnects by itself, queues what you send while it is down, speaks the
 * relay's stop-and-wait protocol v1 or pipelined v2, and under v2 resumes
 * its session after a reconnect or a reload: same uuid, and every message
 * sent meanwhile, once and in order.
 *
 * @example
 * const client = new WebsockClient('/web');
 * client.on('progress', ({ percent, progress }) => console.log(progress.job, percent));
 * const uuid = await client.whenReady();
 * await fetch('/start-job', { method: 'POST', body: JSON.stringify({ uuid }) });
 */
export class WebsockClient extends Emitter<WebsockClientEvents> {
  /** The ws:// or wss:// URL connected to. */
  readonly url: string;
  #protocols: string[];
  #backoff: BackoffOptions | null;
  #chunkSize: number;
  #store: SessionStore;
  #queue: OutboundQueue;

  #ws: WebSocket | null = null;
  #state: ConnectionState = 'connecting';
  #protocol: 1 | 2 = 1;
  #uuid: string | null = null;
  /** The session to resume on the next connection, and the sequence floor for duplicates. */
  #session: SessionState | null;
  /** Set between sending `resume` and its answer: the uuid `ready` offered meanwhile. */
  #resume: { id: number; readyUuid: string; packet: InboundPacket } | null = null;
  /** Jobs reported running and not ended, by their text (bounded like the relay's per-page job cap). */
  readonly #running = new Map<string, string | number>();
  #wasReady = false;
  #everReady = false;
  #refusal: string | null = null;
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #nextId = 1;
  #stopped = false;

  constructor(url: string, options: WebsockClientOptions = {}) {
    super();
    this.url = resolveUrl(url);
    this.#protocols = options.protocol === 'v1' ? [] : [SUBPROTOCOL_V2];
    this.#backoff = options.reconnect === false ? null : { ...defaultBackoff, ...(options.reconnect === true ? {} : options.reconnect) };
    this.#chunkSize = options.chunkSize ?? 64 * 1024;
    const session = options.session;
    this.#store =
      session === false ? memorySessionStore() : typeof session === 'object' ? session : webSessionStore(session ?? `websock:${this.url}`);
    this.#session = this.#store.load();
    this.#queue = new OutboundQueue(options.requestTimeoutMs);
    if (options.connect !== false) this.connect();
  }

  /** The page's uuid once the relay said ready, else null. */
  get uuid(): string | null {
    return this.#uuid;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** The protocol of the current (or last) connection. */
  get protocol(): 1 | 2 {
    return this.#protocol;
  }

  /** Sequence number of the last message received (v2), 0 before any. */
  get lastSeq(): number {
    return this.#session?.lastSeq ?? 0;
  }

  /** Messages queued or awaiting the relay's answer. */
  get pending(): number {
    return this.#queue.size;
  }

  /** Opens the connection (done by the constructor unless `connect: false`). */
  connect(): void {
    if (this.#ws || this.#retryTimer) return;
    this.#stopped = false;
    if (typeof addEventListener === 'function') addEventListener('online', this.#onOnline);
    this.#openSocket();
  }

  /**
   * Resolves with the uuid once the connection is open (at once if it is).
   * @example const uuid = await client.whenReady();
   */
  whenReady(): Promise<string> {
    if (this.#state === 'open' && this.#uuid) return Promise.resolve(this.#uuid);
    if (this.#stopped) return Promise.reject(new WebsockError('CLOSED', 'the client is closed'));
    return new Promise((resolve, reject) => {
      const offReady = this.once('ready', (event) => {
        offState();
        resolve(event.uuid);
      });
      const offState = this.on('state', (state) => {
        if (state !== 'closed') return;
        offState();
        offReady();
        reject(new WebsockError('CLOSED', 'the client closed before the relay was ready'));
      });
    });
  }

  /**
   * Sends a packet. Resolves when the relay took it (v1) or with its outcome
   * (v2: `delivered`, `held` or `unknown`); rejects with a WebsockError when
   * the relay refused it or the connection dropped with it in flight.
   * Packets sent while disconnected wait for the next connection.
   */
  send(packet: { opcode: string; [field: string]: unknown }): Promise<SendResult> {
    if (this.#stopped) return Promise.reject(new WebsockError('CLOSED', 'the client is closed'));
    return this.#queue.push(packet);
  }

  /**
   * Sends `message` to a page (by uuid) or a backend script (by ident).
   * @example await client.feedback({ ident: 'worker' }, 'cancel job 7');
   */
  feedback(to: string | { uuid?: string; ident?: string }, message: unknown): Promise<SendResult> {
    const target = typeof to === 'string' ? { uuid: to } : to;
    return this.send({ opcode: ClientOpcode.Feedback, ...target, message, from: this.#uuid });
  }

  /** Asks the relay to send `message` back to this page (arrives as a `message` event). */
  echo(message: unknown): Promise<SendResult> {
    return this.send({ opcode: ClientOpcode.Echo, message });
  }

  /**
   * Sends a signal to the publisher of one of this page's jobs (v2 relays).
   * Resolves with `delivered` (a WebSocket backend has it), `held` (an HTTP
   * or reconnecting publisher gets it on its next report or poll) or
   * `unknown` (no running job of that name).
   * @example const { outcome } = await client.signal('import-42', 'cancel');
   */
  signal(job: string | number, name: string, data?: unknown): Promise<SendResult> {
    const packet: { opcode: string; job: string | number; signal: string; data?: unknown } = {
      opcode: ClientOpcode.Signal,
      job,
      signal: name,
    };
    if (data !== undefined) packet.data = data;
    return this.send(packet);
  }

  /**
   * Asks the relay (v2) for a job token: a credential that publishes to this
   * page's job `job` only, from any machine, for `ttlS` seconds (default
   * 3600). Hand it to the request that starts the job instead of the uuid.
   * @example const { token } = await client.token('import-42', 600); await fetch('/start', { method: 'POST', body: JSON.stringify({ token }) });
   */
  async token(job: string | number, ttlS?: number): Promise<{ token: string; expires: number }> {
    const result = await this.send({ opcode: ClientOpcode.Token, job, ...(ttlS !== undefined ? { ttl: ttlS } : {}) });
    if (typeof result.token !== 'string') throw new WebsockError('REFUSED', 'the relay gave no job token (protocol v1?)');
    return { token: result.token, expires: result.expires ?? 0 };
  }

  /** The jobs this page saw running and not ended (told to the relay on resume, so it can say when one was lost). */
  get runningJobs(): (string | number)[] {
    return [...this.#running.values()];
  }

  /** Sends `message` to every other page connected to the relay. */
  broadcast(message: unknown): Promise<SendResult> {
    return this.send({ opcode: ClientOpcode.Broadcast, message });
  }

  /**
   * Says goodbye to the relay and closes for good: no reconnect, queued
   * messages fail with CLOSED, and the stored session is forgotten.
   */
  close(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (typeof removeEventListener === 'function') removeEventListener('online', this.#onOnline);
    this.#clearRetry();
    this.#queue.clear(new WebsockError('CLOSED', 'the client was closed'));
    this.#store.clear();
    this.#session = null;
    const ws = this.#ws;
    this.#ws = null;
    if (ws) {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ opcode: ClientOpcode.Quit }));
      ws.close(1000);
    }
    this.#setState('closed');
    this.emit('close', { code: 1000, reason: 'closed by the page', wasReady: this.#wasReady, reconnectInMs: null });
  }

  #openSocket(): void {
    this.#clearRetry();
    this.#wasReady = false;
    this.#refusal = null;
    this.#resume = null;
    this.#setState(this.#everReady || this.#attempt > 0 ? 'reconnecting' : 'connecting');
    const ws = new WebSocket(this.url, this.#protocols);
    ws.addEventListener('message', this.#onSocketMessage);
    ws.addEventListener('close', this.#onSocketClose);
    this.#ws = ws;
  }

  #onSocketMessage = (event: MessageEvent): void => {
    if (event.target !== this.#ws || typeof event.data !== 'string') return;
    let packet: unknown;
    try {
      packet = JSON.parse(event.data);
    } catch {
      return; // Not ours to interpret (the original's servers sent bare 'pong' texts).
    }
    if (isPacket(packet)) this.#handlePacket(packet as InboundPacket);
  };

  #handlePacket(packet: InboundPacket): void {
    switch (packet.opcode) {
      case ServerOpcode.Ready:
        this.#onReady(packet);
        return;
      case ServerOpcode.Resumed:
        this.#onResumed(packet);
        return;
      case ServerOpcode.Next:
        this.#queue.next();
        return;
      case ServerOpcode.Outcome:
        if (isId(packet.id)) {
          this.#queue.settle(packet.id, {
            outcome: String(packet.outcome),
            ...(typeof packet.count === 'number' ? { count: packet.count } : {}),
          });
        }
        return;
      case ServerOpcode.Error:
        this.#onError(packet);
        return;
      case ServerOpcode.Token:
        if (isId(packet.id) && typeof packet.token === 'string') {
          this.#queue.settle(packet.id, { outcome: 'delivered', token: packet.token, expires: Number(packet.expires) });
        }
        return;
      case ServerOpcode.Close:
        // The relay refuses or ends this connection; the socket close follows.
        this.#refusal = typeof packet.error === 'string' ? packet.error : 'the relay closed the connection';
        this.emit('error', new WebsockError('REFUSED', this.#refusal));
        return;
      case ClientOpcode.Echo:
        // v2 answers an echo with the echo itself (our id included), not with an outcome.
        if (this.#protocol === 2 && isId(packet.id)) this.#queue.settle(packet.id, { outcome: 'delivered' });
        this.#deliver(packet);
        return;
      default:
        this.#deliver(packet);
    }
  }

  #onReady(packet: InboundPacket): void {
    const ws = this.#ws as WebSocket;
    this.#protocol = ws.protocol === SUBPROTOCOL_V2 ? 2 : 1;
    const uuid = String(packet.uuid);
    const session = this.#session;
    if (this.#protocol === 2 && session && session.uuid !== uuid) {
      const id = this.#nextId++;
      this.#resume = { id, readyUuid: uuid, packet };
      const resume: {
        opcode: string;
        uuid: string;
        resumeToken?: string;
        lastSeq: number;
        epoch?: string;
        jobs?: (string | number)[];
        id: number;
      } = {
        opcode: ClientOpcode.Resume,
        uuid: session.uuid,
        lastSeq: session.lastSeq,
        id,
      };
      if (session.resumeToken !== undefined) resume.resumeToken = session.resumeToken;
      if (session.epoch !== undefined) resume.epoch = session.epoch;
      // A relay that restarted has no record of them: listed, it can tell the page they are lost.
      if (this.#running.size > 0) resume.jobs = this.runningJobs;
      ws.send(JSON.stringify(resume));
      return;
    }
    this.#becomeReady(uuid, false, false, packet);
  }

  #onResumed(packet: InboundPacket): void {
    const resume = this.#resume;
    if (!resume) return;
    this.#resume = null;
    const uuid = typeof packet.uuid === 'string' && packet.uuid !== '' ? packet.uuid : resume.readyUuid;
    this.#becomeReady(uuid, uuid !== resume.readyUuid, packet.recovered === true, packet);
  }

  #onError(packet: InboundPacket): void {
    const error = new WebsockError(
      String(packet.code) as ErrorCode,
      String(packet.error ?? packet.code),
      isId(packet.id) ? packet.id : undefined,
    );
    const resume = this.#resume;
    if (resume && (packet.id === resume.id || packet.code === 'RESUME_FAILED' || packet.code === 'BAD_UUID')) {
      // The old session is gone: carry on with the fresh uuid `ready` gave us.
      this.#resume = null;
      this.#becomeReady(resume.readyUuid, false, false, resume.packet);
      return;
    }
    if (error.id !== undefined) {
      // "Nobody by that name" answers the request rather than failing it: outcome `unknown`.
      const answer = packet.code === 'UNKNOWN_RECIPIENT' ? { outcome: 'unknown' } : error;
      if (this.#queue.settle(error.id, answer)) return;
    }
    this.emit('error', error);
  }

  #becomeReady(uuid: string, resumed: boolean, recovered: boolean, packet: InboundPacket): void {
    const epoch = this.#epochAfter(resumed, packet);
    // `ready` (a new session) and `resumed` both carry the session's resumeToken.
    const resumeToken = typeof packet.resumeToken === 'string' ? packet.resumeToken : resumed ? this.#session?.resumeToken : undefined;
    this.#session = { uuid, lastSeq: this.#floorAfter(uuid, resumed, recovered, packet) };
    if (epoch !== undefined) this.#session.epoch = epoch;
    if (resumeToken) this.#session.resumeToken = resumeToken;
    this.#store.save(this.#session);
    this.#uuid = uuid;
    this.#attempt = 0;
    this.#wasReady = this.#everReady = true;
    const ws = this.#ws as WebSocket;
    this.#queue.attach((frame) => ws.send(frame), this.#encode, this.#protocol === 2);
    this.#setState('open');
    this.emit('ready', { uuid, protocol: this.#protocol, resumed, recovered, packet });
  }

  /** The epoch of the numbers from now on: `ready` or `resumed` says it, else a resumed session keeps the one it had. */
  #epochAfter(resumed: boolean, packet: InboundPacket): string | undefined {
    if (typeof packet.epoch === 'string' && packet.epoch !== '') return packet.epoch;
    return resumed ? this.#session?.epoch : undefined;
  }

  /**
   * The duplicate floor for the session now ready. A resumed session keeps
   * ours while the relay's numbering goes on — after a gap too (what the
   * relay replays is newer, and a later resume must not ask again for what
   * was handled) — which the epoch says: another epoch means the relay's log
   * was lost and numbers from 1 again. Only a relay that tells no epoch (an
   * older one) leaves it to be inferred from a lower `lastSeq`.
   */
  #floorAfter(uuid: string, resumed: boolean, recovered: boolean, packet: InboundPacket): number {
    const session = this.#session;
    if (!resumed || !session || session.uuid !== uuid) return 0;
    if (typeof packet.epoch === 'string' && packet.epoch !== '') {
      return session.epoch === undefined || session.epoch === packet.epoch ? session.lastSeq : 0;
    }
    if (recovered) return session.lastSeq;
    const relayLastSeq = typeof packet.lastSeq === 'number' && packet.lastSeq >= 0 ? packet.lastSeq : 0;
    return Math.min(session.lastSeq, relayLastSeq);
  }

  #encode = (packet: object): { frames: string[]; id?: number } => {
    if (this.#protocol === 2) {
      const id = this.#nextId++;
      return { frames: [JSON.stringify({ ...packet, id })], id };
    }
    return { frames: framesFor(JSON.stringify(packet), this.#chunkSize) };
  };

  #deliver(packet: InboundPacket): void {
    const session = this.#session;
    if (typeof packet.seq === 'number' && session) {
      if (packet.seq <= session.lastSeq) return; // Already seen before a reconnect.
      session.lastSeq = packet.seq;
      this.#store.save(session);
    }
    this.emit('message', packet);
    if (packet.opcode === ServerOpcode.Job) {
      const job = packet.job as string | number;
      this.#running.delete(String(job));
      this.emit('job', {
        job,
        state: packet.state as JobState,
        reason: typeof packet.reason === 'string' ? packet.reason : undefined,
        packet,
      });
      return;
    }
    if (packet.opcode !== ClientOpcode.Feedback) return;
    const feedback = packet as FeedbackPacket;
    this.emit('feedback', feedback);
    if (isProgress(feedback.progress)) {
      this.#noteJob(feedback.progress);
      this.emit('progress', { progress: feedback.progress, percent: progressPercent(feedback.progress), packet: feedback });
    }
  }

  #noteJob(progress: Progress): void {
    const job = progress.job as string | number | undefined;
    if (job === undefined || job === '') return;
    const name = String(job);
    if (progress.state === 'done' || progress.state === 'failed') this.#running.delete(name);
    else if (this.#running.has(name) || this.#running.size < MAX_RUNNING_JOBS) this.#running.set(name, job);
  }

  #onSocketClose = (closed: CloseEvent): void => {
    if (closed.target !== this.#ws) return;
    this.#ws = null;
    this.#resume = null;
    this.#queue.detach();
    if (closed.code === CloseCode.PolicyViolation && this.#wasReady) {
      // Another connection took over our session (a duplicated tab copies
      // sessionStorage). Resuming again would take it back, and so on for
      // ever: leave the session to the other one and start afresh.
      this.#session = null;
      this.#store.clear();
    }
    const reason = this.#refusal ?? closed.reason;
    if (this.#stopped || !this.#backoff) {
      this.#stopped = true;
      if (typeof removeEventListener === 'function') removeEventListener('online', this.#onOnline);
      // No connection will come to write them: queued sends fail instead of waiting for ever.
      this.#queue.clear(new WebsockError('CLOSED', 'the connection closed and the client does not reconnect'));
      this.#setState('closed');
      this.emit('close', { code: closed.code, reason, wasReady: this.#wasReady, reconnectInMs: null });
      return;
    }
    const delay = backoffDelay(this.#attempt++, this.#backoff);
    this.#retryTimer = setTimeout(this.#retry, delay);
    this.#setState('reconnecting');
    this.emit('close', { code: closed.code, reason, wasReady: this.#wasReady, reconnectInMs: delay });
  };

  #retry = (): void => {
    this.#retryTimer = null;
    if (!this.#stopped) this.#openSocket();
  };

  /** Back online: no point waiting out the backoff. */
  #onOnline = (): void => {
    if (!this.#retryTimer) return;
    this.#clearRetry();
    this.#openSocket();
  };

  #clearRetry(): void {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
  }

  #setState(state: ConnectionState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.emit('state', state);
  }
}

function isId(value: unknown): value is string | number {
  return typeof value === 'string' || typeof value === 'number';
}
