/**
 * Load generator process: N backends (`Client-Type: php`) on /php. Connects
 * them, waits for `go`, carries out the plan (stop-and-wait feedback or
 * broadcasts, optionally paced; or one large message) and reports what it
 * sent. Bounded by the plan's count and by the process time budget.
 */
import { WebSocket, type RawData } from 'ws';
import { CLIENT_TYPE_BACKEND, ClientOpcode, ServerOpcode } from '../../include/protocol.js';
import { fail, readConfig, sendToRunner, serveRunner } from '../lib/child-side.js';
import { nowUs } from '../lib/clock.js';
import { largeText, markedMessage, sha256 } from '../lib/payload.js';
import type { BackendsConfig, BackendsReport } from './load-config.js';
import { channelAuth } from './pusher-auth.js';

const CONNECT_TIMEOUT_MS = 15_000;
/** Pipelined: messages sent per event-loop turn before yielding to reads. */
const BURST = 64;
/** Pipelined: pause while the socket holds more than this unsent. */
const HIGH_WATER_BYTES = 256 * 1024;

const config = readConfig<BackendsConfig>();
const plan = config.plan;
const pipelined = (plan.kind === 'feedback' && plan.pipelined === true) || plan.kind === 'client-events';
const report: BackendsReport = { sent: 0, firstSendUs: 0, lastSendUs: 0, nexts: 0, errors: 0 };
let stopping = false;
let finished = 0;
let largePacket = '';

/** One backend connection and its share of the plan. */
class Backend {
  readonly socket: WebSocket;
  readonly index: number;
  readonly ready: Promise<void>;
  /** Messages this backend has sent. */
  sent = 0;
  readonly total: number;
  #startUs = 0;
  #pacingTimer: NodeJS.Timeout | null = null;

  constructor(index: number) {
    this.index = index;
    this.total = plan.kind === 'large' ? (index === 0 ? 1 : 0) : plan.perBackend;
    const pusher = plan.kind === 'client-events' ? plan : null;
    const headers: Record<string, string> = pusher ? {} : { 'Client-Type': CLIENT_TYPE_BACKEND, Ident: `${config.identPrefix}${index}` };
    this.socket = new WebSocket(config.url, config.subprotocol ? [config.subprotocol] : [], {
      headers,
      perMessageDeflate: false,
      maxPayload: 0,
    });
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`backend ${index} got no ready within ${CONNECT_TIMEOUT_MS} ms`)),
        CONNECT_TIMEOUT_MS,
      );
      const onFirst = (data: RawData): void => {
        const packet = JSON.parse(data.toString()) as { opcode?: string; event?: string; data?: string };
        if (pusher) {
          // A Pusher client: subscribe (signed) once connected, ready once subscribed.
          if (packet.event === 'pusher:connection_established') {
            const auth = channelAuth(pusher, packet.data!, pusher.channel);
            this.socket.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: pusher.channel, auth } }));
          }
          if (packet.event !== 'pusher_internal:subscription_succeeded') return;
        } else if (packet.opcode !== ServerOpcode.Ready) return;
        clearTimeout(timer);
        this.socket.off('message', onFirst);
        this.socket.on('message', (message: RawData) => this.onMessage(message));
        resolve();
      };
      this.socket.on('message', onFirst);
      this.socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    this.socket.on('error', (error) => {
      if (!stopping) fail(new Error(`backend ${index}: ${error.message}`));
    });
    this.socket.on('close', (code) => {
      if (!stopping) fail(new Error(`backend ${index} closed by the relay (code ${code})`));
    });
  }

  start(startUs: number): void {
    this.#startUs = startUs;
    if (this.total === 0) {
      this.#finish();
      return;
    }
    if (pipelined) this.#pump();
    else this.#sendWhenDue();
  }

  onMessage(data: RawData): void {
    const text = data.toString();
    const packet = JSON.parse(text) as { opcode?: string; event?: string };
    if (packet.opcode === ServerOpcode.Error || packet.event === 'pusher:error') {
      report.errors++;
      report.firstError ??= text;
      return;
    }
    if (packet.opcode !== ServerOpcode.Next) return;
    report.nexts++;
    // A pipelined sender does not wait for `next` (the reference sends it anyway).
    if (pipelined) return;
    if (this.sent >= this.total) this.#finish();
    else this.#sendWhenDue();
  }

  /** Pipelined: send without waiting, in bursts, pausing while the socket buffer is full. */
  readonly #pump = (): void => {
    let burst = 0;
    while (this.sent < this.total) {
      const last = this.sent + 1 === this.total;
      if (last) {
        // Done once the last message has left this process.
        this.#sendOne(() => this.#finish());
        return;
      }
      if (this.socket.bufferedAmount > HIGH_WATER_BYTES) {
        this.#sendOne(() => this.#pump());
        return;
      }
      this.#sendOne();
      if (++burst >= BURST) {
        setImmediate(this.#pump);
        return;
      }
    }
  };

  /** Send now, or when the pacing schedule says the next message is due. */
  #sendWhenDue(): void {
    const rate = plan.kind === 'feedback' ? plan.ratePerBackend : undefined;
    if (rate !== undefined && rate > 0) {
      const intervalUs = 1e6 / rate;
      // Stagger the backends across one interval so the total stream is even.
      const dueUs = this.#startUs + (this.index / config.count) * intervalUs + this.sent * intervalUs;
      const waitMs = (dueUs - nowUs()) / 1000;
      if (waitMs >= 1) {
        this.#pacingTimer = setTimeout(() => {
          this.#pacingTimer = null;
          this.#sendOne();
        }, waitMs);
        return;
      }
    }
    this.#sendOne();
  }

  #sendOne(onWritten?: () => void): void {
    const sendUs = nowUs();
    const k = this.sent++;
    let text: string;
    switch (plan.kind) {
      case 'feedback': {
        const index = this.index * plan.perBackend + k;
        const uuid = plan.uuids[index % plan.uuids.length]!;
        const message = markedMessage(index, sendUs, plan.messageBytes);
        if (plan.progress === undefined) text = JSON.stringify({ opcode: ClientOpcode.Feedback, uuid, message });
        else {
          // One job per backend and page; the untracked twin has the same bytes with `jab` for `job`.
          const job = `b${this.index}`;
          const progress = plan.progress === 'job' ? { job, done: k } : { jab: job, done: k };
          text = JSON.stringify({ opcode: ClientOpcode.Feedback, uuid, message, progress });
        }
        break;
      }
      case 'broadcast': {
        const index = this.index * plan.perBackend + k;
        text = JSON.stringify({ opcode: ClientOpcode.Broadcast, message: markedMessage(index, sendUs, plan.messageBytes) });
        break;
      }
      case 'large':
        text = largePacket;
        break;
      case 'client-events': {
        const index = this.index * plan.perBackend + k;
        text = JSON.stringify({ event: 'client-bench', channel: plan.channel, data: markedMessage(index, sendUs, plan.messageBytes) });
        break;
      }
    }
    if (report.sent === 0) report.firstSendUs = sendUs;
    report.sent++;
    if (onWritten) this.socket.send(text, onWritten);
    else this.socket.send(text);
    report.lastSendUs = sendUs;
  }

  #finish(): void {
    finished++;
    if (finished === backends.length) sendToRunner({ type: 'done', report });
  }

  stop(): void {
    if (this.#pacingTimer) clearTimeout(this.#pacingTimer);
    this.socket.terminate();
  }
}

const backends: Backend[] = [];

async function connectAll(): Promise<void> {
  if (plan.kind === 'large') {
    // Built before `connected` so the timed part is only the relaying.
    const message = largeText(plan.bytes);
    report.largeSha256 = sha256(message);
    largePacket = JSON.stringify({ opcode: ClientOpcode.Feedback, uuid: plan.uuid, message });
  }
  for (let i = 0; i < config.count; i++) backends.push(new Backend(i));
  await Promise.all(backends.map((backend) => backend.ready));
  sendToRunner({ type: 'connected' });
}

serveRunner(config.maxRunMs, function onRunnerMessage(message) {
  switch (message.type) {
    case 'go': {
      // Large: each 'go' sends the message once more (the runner times each).
      if (plan.kind === 'large') {
        finished = 0;
        report.sent = 0;
        for (const backend of backends) backend.sent = 0;
      }
      const startUs = nowUs();
      for (const backend of backends) backend.start(startUs);
      break;
    }
    case 'stop':
      stopping = true;
      for (const backend of backends) backend.stop();
      process.exit(0);
  }
});

connectAll().catch(fail);
