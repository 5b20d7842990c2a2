import { EventEmitter } from 'node:events';
import { AddressError, parseAddress, toWebSocketUrl } from '../include/address.js';
import type { JobSignal, Progress } from '../include/protocol.js';
import { CLIENT_TYPE_BACKEND, CloseCode, ErrorCodes, ServerOpcode } from '../include/protocol.js';
import { backoffDelay } from './backoff.js';
import { ClientError, ClientErrorCode } from './client-error.js';
import type { RelayClientEvents } from './client-events.js';
import type { ClientSettings, RelayClientOptions } from './client-options.js';
import { resolveOptions } from './client-options.js';
import { Fifo } from './fifo.js';
import { MessageStream } from './message-stream.js';
import type { Outbound, OutboundRequest, SendResult } from './outbound.js';
import type { FeedbackOptions, ReceivedPacket, Target } from './packets.js';
import { broadcastPacket, echoPacket, encodePacket, feedbackPacket, normalizeProgress, progressText } from './packets.js';
import { Pipeline, relayError } from './pipeline.js';
import type { SocketClosed } from './relay-socket.js';
import { RelaySocket } from './relay-socket.js';
import { ResumeRequest } from './resume-request.js';
import { StopAndWait } from './stop-and-wait.js';

/** Where a call stands in the client's life. */
type State = 'open' | 'reconnecting' | 'closing' | 'closed';

// How long a v2 relay may take to answer `resume` before we carry on without it.
const RESUME_TIMEOUT_MS = 5_000;

/**
 * A connection to a websock relay for backend scripts: feedback to pages,
 * messages to and from other scripts, progress reports. Speaks protocol v2
 * (pipelined, with outcomes) when the relay offers it, else v1
 * (stop-and-wait), with the same API.
 *
 * @example
 * const client = await RelayClient.connect('tcp://127.0.0.1:8080/php', { ident: 'worker-1' });
 * await client.progress(pageUuid, { job: 'import', done: 3, total: 10, status: 'importing' });
 * await client.feedback(pageUuid, 'all done');
 * await client.close();
 */
export class RelayClient extends EventEmitter<RelayClientEvents> {
  /** The ws:// or wss:// URL we connect to. */
  readonly url: string;
  readonly ident: string | undefined;
  readonly #settings: ClientSettings;
  readonly #queue = new Fifo<OutboundRequest>();
  readonly #streams = new Set<MessageStream>();
  #state: State = 'open';
  #socket: RelaySocket | null = null;
  #outbound: Outbound | null = null;
  #uuid = '';
  /** The page session to ask back after a reconnect: the uuid whose messages up to #lastSeq we handled. */
  #sessionUuid = '';
  /** The resumeToken of #sessionUuid's session: what proves it is ours (the uuid is handed out in `from`). */
  #sessionToken: string | null = null;
  #protocol: 1 | 2 = 1;
  #lastSeq = 0;
  /** The epoch #lastSeq belongs to (sent back on resume, so the relay can tell a lost log). */
  #epoch: string | null = null;
  #attempt = 0;
  #retryTimer: NodeJS.Timeout | null = null;
  #closing: Promise<void> | null = null;
  #idleWaiters: Array<() => void> = [];
  #resuming: ResumeRequest | null = null;
  #resumeCount = 0;

  private constructor(url: string, settings: ClientSettings, socket: RelaySocket) {
    super();
    this.url = url;
    this.ident = settings.socket.ident;
    this.#settings = settings;
    // Packets that came with `ready` wait until connect()'s caller could add its listeners.
    this.#adopt(socket, true);
    this.#sessionUuid = socket.uuid;
    this.#epoch = socket.epoch;
    this.#sessionToken = socket.resumeToken;
  }

  /**
   * Connect and wait until the relay says `ready`.
   * Rejects with a ClientError: BAD_ARGUMENT, CONNECT_FAILED or HANDSHAKE_REFUSED.
   * @example const client = await RelayClient.connect('ssl://relay.example.org/php', { tls: { ca: pem } });
   */
  static async connect(address: string, options: RelayClientOptions = {}): Promise<RelayClient> {
    const settings = resolveOptions(options);
    let url: string;
    try {
      url = toWebSocketUrl(parseAddress(address));
    } catch (error) {
      if (error instanceof AddressError) throw new ClientError(ClientErrorCode.BadArgument, error.message, { cause: error });
      throw error;
    }
    const socket = await RelaySocket.open(url, settings.socket);
    return new RelayClient(url, settings, socket);
  }

  /** The uuid the relay gave this connection (changes after a reconnect unless resumed). */
  get uuid(): string {
    return this.#uuid;
  }

  /** The protocol spoken on the current connection. */
  get protocol(): 1 | 2 {
    return this.#protocol;
  }

  /** Open and ready now (false while reconnecting or after close). */
  get connected(): boolean {
    return this.#state === 'open' && this.#socket !== null;
  }

  /**
   * Send a feedback to a page by its uuid. Resolves on v2 with the outcome
   * ('delivered', 'held', 'unknown' or 'dropped'), on v1 with 'sent' once the relay
   * acknowledged it. Calls may be fired without awaiting: they go in order.
   * @example await client.feedback(uuid, 'step 2 of 5', { extra: { step: 2 } });
   */
  feedback(uuid: string, message: unknown, options: FeedbackOptions = {}): Promise<SendResult> {
    return this.#feedback({ uuid }, message, options);
  }

  /**
   * Send a feedback to the script that connected with `Ident: ident`.
   * @example await client.send('receiver', { hello: 'world' });
   */
  send(ident: string, message: unknown, options: FeedbackOptions = {}): Promise<SendResult> {
    return this.#feedback({ ident }, message, options);
  }

  /**
   * Report structured progress to a page; its message is the status line
   * (or done/total), so pages that only read `message` show it too.
   * @example await client.progress(uuid, { job: 'export', done: 40, total: 200, status: 'exporting rows' });
   */
  progress(uuid: string, progress: Progress, options: { message?: unknown; extra?: Record<string, unknown> } = {}): Promise<SendResult> {
    let normalized: Progress;
    try {
      normalized = normalizeProgress(progress);
    } catch (error) {
      return Promise.reject(error);
    }
    const message = options.message ?? progressText(normalized);
    return this.#feedback({ uuid }, message, { progress: normalized, ...(options.extra ? { extra: options.extra } : {}) });
  }

  /** Ask the relay to send `message` back to us (it arrives as a 'message' with opcode 'echo'). */
  echo(message: unknown): Promise<SendResult> {
    // The relay answers echo with the echo itself, not an outcome.
    return this.#enqueue(echoPacket(message), false);
  }

  /** Send `message` to every page (scripts do not receive broadcasts). */
  broadcast(message: unknown): Promise<SendResult> {
    return this.#enqueue(broadcastPacket(message), true);
  }

  /**
   * Received packets as an async iterator, from now until the client closes
   * (it then ends, or throws the error that closed it).
   * @example for await (const packet of client.messages()) console.log(packet.message);
   */
  messages(): AsyncIterableIterator<ReceivedPacket> {
    const stream: MessageStream = new MessageStream(() => this.#streams.delete(stream));
    if (this.#state === 'closed') stream.end();
    else this.#streams.add(stream);
    return stream;
  }

  /**
   * Finish what was already handed over (bounded by ackTimeoutMs), then close
   * the connection; stops reconnecting. New calls reject with CLOSED.
   */
  close(): Promise<void> {
    if (this.#state === 'closed') return Promise.resolve();
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** Cut the connection now; everything pending rejects with CLOSED. */
  terminate(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closing';
    this.#stopRetrying();
    this.#resuming?.cancel();
    this.#rejectAll(this.#closedError());
    const socket = this.#socket;
    this.#socket = null;
    socket?.terminate();
    this.#finish(undefined);
  }

  #feedback(target: Target, message: unknown, options: FeedbackOptions): Promise<SendResult> {
    let packet: object;
    try {
      packet = feedbackPacket(target, message, { uuid: this.#uuid, ident: this.ident }, options);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#enqueue(packet, true);
  }

  #enqueue(packet: object, expectsOutcome: boolean): Promise<SendResult> {
    if (this.#state === 'closing' || this.#state === 'closed') return Promise.reject(this.#closedError());
    let text: string;
    try {
      text = encodePacket(packet, this.#settings.maxMessageBytes);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<SendResult>((resolve, reject) => {
      this.#queue.push({
        text,
        expectsOutcome,
        resolve: (result) => {
          resolve(result);
          this.#checkIdle();
        },
        reject: (error) => {
          reject(error);
          this.#checkIdle();
        },
      });
      if (!this.#resuming) this.#outbound?.pump();
    });
  }

  #adopt(socket: RelaySocket, deferPackets = false): void {
    this.#socket = socket;
    this.#uuid = socket.uuid;
    this.#protocol = socket.version;
    const settings = {
      chunkBytes: this.#settings.chunkBytes,
      ackTimeoutMs: this.#settings.ackTimeoutMs,
      maxInFlight: this.#settings.maxInFlight,
      onTimeout: () => socket.terminate(), // an unacknowledged stream cannot be trusted: start over
    };
    this.#outbound = socket.version === 2 ? new Pipeline(socket, this.#queue, settings) : new StopAndWait(socket, this.#queue, settings);
    const attach = (): void => {
      if (socket !== this.#socket) return; // closed or terminated meanwhile
      socket.attach({
        packet: (packet) => this.#onPacket(packet),
        closed: (info) => this.#onSocketClosed(socket, info),
      });
    };
    if (deferPackets) setImmediate(attach);
    else attach();
  }

  #onPacket(packet: ReceivedPacket): void {
    const resuming = this.#resuming;
    if (resuming?.offer(packet)) {
      // Set the duplicate floor now: replays may follow in the same read, before #resume goes on.
      this.#lastSeq = resuming.settled!.floor;
      this.#epoch = resuming.settled!.epoch ?? null;
      return;
    }
    if (this.#outbound?.handle(packet)) return;
    switch (packet.opcode) {
      case ServerOpcode.Ready:
      case ServerOpcode.Next:
      case ServerOpcode.Outcome:
      case ServerOpcode.Resumed:
        return; // stray acknowledgements: nothing waits for them
      case ServerOpcode.Close:
        return; // its reason is kept by the socket for the close that follows
      case ServerOpcode.Signal:
        if (typeof packet.signal === 'string') this.emit('signal', packet as unknown as JobSignal);
        return;
      case ServerOpcode.Error: {
        const code = typeof packet.code === 'string' ? packet.code : '';
        // A fatal one is followed by the close, which carries it; report only recoverable ones.
        if (code in ErrorCodes && ErrorCodes[code as keyof typeof ErrorCodes].close !== null) return;
        this.emit('error', relayError(packet));
        return;
      }
      default:
        this.#deliver(packet);
    }
  }

  #deliver(packet: ReceivedPacket): void {
    if (typeof packet.seq === 'number') {
      // v2 replays after a resume: never hand over the same message twice.
      if (packet.seq <= this.#lastSeq) return;
      this.#lastSeq = packet.seq;
    }
    this.emit('message', packet);
    for (const stream of this.#streams) stream.push(packet);
  }

  #onSocketClosed(socket: RelaySocket, info: SocketClosed): void {
    if (socket !== this.#socket) return; // an old socket we already left
    this.#socket = null;
    this.#resuming?.cancel();
    const outbound = this.#outbound;
    this.#outbound = null;
    outbound?.fail(this.#lostError(info, true));
    const lost = this.#lostError(info, false);
    if (this.#state === 'closing') {
      this.#rejectAll(lost);
      this.#checkIdle();
      return;
    }
    if (this.#state !== 'open') return;
    if (this.#settings.reconnect) {
      this.#state = 'reconnecting';
      this.emit('disconnect', lost);
      this.#scheduleRetry(lost);
      return;
    }
    this.#rejectAll(lost);
    this.#finish(lost);
  }

  /** The error for a lost connection; `inFlight` is the message it may have been about. */
  #lostError(info: SocketClosed, inFlight: boolean): ClientError {
    const reason = info.reason || info.error?.message || '';
    const details = { closeCode: info.code, reason, cause: info.error };
    if (inFlight && info.code === CloseCode.MessageTooBig) {
      return new ClientError(ClientErrorCode.TooLarge, `the relay refused the message as too large${reason ? `: ${reason}` : ''}`, details);
    }
    return new ClientError(
      ClientErrorCode.ConnectionLost,
      `connection to ${this.url} lost (code ${info.code}${reason ? `: ${reason}` : ''})`,
      details,
    );
  }

  #scheduleRetry(error: ClientError): void {
    const delayMs = backoffDelay(this.#attempt, this.#settings.reconnect!);
    this.#attempt++;
    this.emit('reconnecting', { attempt: this.#attempt, delayMs, error });
    this.#retryTimer = setTimeout(this.#retry, delayMs);
  }

  readonly #retry = async (): Promise<void> => {
    this.#retryTimer = null;
    let socket: RelaySocket;
    try {
      socket = await RelaySocket.open(this.url, this.#settings.socket);
    } catch (error) {
      if (this.#state !== 'reconnecting') return;
      this.#scheduleRetry(
        error instanceof ClientError ? error : new ClientError(ClientErrorCode.ConnectFailed, String(error), { cause: error }),
      );
      return;
    }
    if (this.#state !== 'reconnecting') {
      // close() came while we were connecting.
      await socket.close();
      return;
    }
    const previousUuid = this.#sessionUuid;
    const attempt = this.#attempt;
    this.#state = 'open';
    this.#adopt(socket);
    if (socket !== this.#socket) return; // closed before we could use it; the close handler took over
    const { resumed, recovered, resumeToken } = await this.#resume(socket, previousUuid, this.#sessionToken);
    // Lost again while resuming: the close handler took over, and the next attempt asks for the same session.
    if (socket !== this.#socket) return;
    this.#sessionUuid = this.#uuid;
    this.#sessionToken = resumed ? resumeToken : socket.resumeToken;
    this.#attempt = 0;
    this.emit('reconnect', { uuid: this.#uuid, previousUuid, attempt, protocol: this.#protocol, resumed, recovered });
    this.#outbound?.pump();
  };

  /** v2: ask for our old uuid and the messages we missed; replays follow `resumed`. */
  async #resume(
    socket: RelaySocket,
    previousUuid: string,
    previousToken: string | null,
  ): Promise<{ resumed: boolean; recovered: boolean; resumeToken: string | null }> {
    const notResumed = { resumed: false, recovered: false, resumeToken: null };
    // Only pages have sessions to resume; a backend simply comes back under its Ident.
    const isPage = this.#settings.socket.clientType?.toLowerCase() !== CLIENT_TYPE_BACKEND;
    if (socket.version !== 2 || !this.#settings.resume || !isPage || !previousUuid) {
      this.#lastSeq = 0;
      this.#epoch = socket.epoch;
      return notResumed;
    }
    const request = new ResumeRequest(
      socket,
      previousUuid,
      previousToken,
      this.#lastSeq,
      `resume-${++this.#resumeCount}`,
      RESUME_TIMEOUT_MS,
      this.#epoch,
    );
    this.#resuming = request;
    const { uuid, recovered, resumeToken } = await request.result;
    if (this.#resuming === request) this.#resuming = null;
    // Lost meanwhile: keep the session and its floor for the next attempt.
    if (socket !== this.#socket) return notResumed;
    if (uuid !== null) {
      // The floor was set when `resumed` came (#onPacket), before any replay.
      this.#uuid = uuid;
      return { resumed: true, recovered, resumeToken: resumeToken ?? previousToken };
    }
    // Refused or timed out: a new session, numbered from 1.
    this.#lastSeq = 0;
    this.#epoch = socket.epoch;
    return notResumed;
  }

  async #close(): Promise<void> {
    const wasReconnecting = this.#state === 'reconnecting';
    this.#state = 'closing';
    this.#stopRetrying();
    if (wasReconnecting) this.#rejectAll(this.#closedError());
    else await this.#drained(this.#settings.ackTimeoutMs);
    this.#rejectAll(this.#closedError());
    this.#resuming?.cancel();
    const socket = this.#socket;
    this.#socket = null;
    await socket?.close();
    this.#finish(undefined);
  }

  /** Resolves when nothing is queued or awaiting acknowledgement, the socket is gone, or after `ms`. */
  #drained(ms: number): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#idleWaiters.push(done);
    });
  }

  #isIdle(): boolean {
    return this.#socket === null || (this.#queue.size === 0 && (this.#outbound?.idle ?? true));
  }

  #checkIdle(): void {
    if (this.#idleWaiters.length === 0 || !this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const wake of waiters) wake();
  }

  #stopRetrying(): void {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
  }

  #rejectAll(error: ClientError): void {
    this.#outbound?.fail(error);
    for (const request of this.#queue.drain()) request.reject(error);
  }

  #closedError(): ClientError {
    return new ClientError(ClientErrorCode.Closed, 'the client is closed');
  }

  #finish(error: ClientError | undefined): void {
    if (this.#state === 'closed') return; // terminate() came while close() was waiting
    this.#state = 'closed';
    this.#outbound = null;
    for (const stream of [...this.#streams]) stream.end(error);
    this.#streams.clear();
    this.emit('close', error);
  }
}
