/**
 * A v2 page for the cluster tests: keeps what `ready` and `resumed` told it,
 * every feedback it got (message and seq), and can reconnect anywhere and
 * resume from the last message it saw.
 */
import type { WebSocket } from 'ws';
import type { Packet } from './cluster-sockets.js';

/** Opens a v2 socket to `path` at `port`, handing each packet to `onPacket` (ClusterFixture.open, or one through a proxy). */
export type OpenSocket = (port: number, path: string, onPacket: (packet: Packet) => void) => Promise<WebSocket>;

export class ResumingPage {
  uuid = '';
  resumeToken = '';
  epoch = '';
  lastSeq = 0;
  readonly messages: string[] = [];
  readonly seqs: number[] = [];
  resumed: Packet | null = null;
  ws: WebSocket | null = null;
  #ready: (() => void) | null = null;

  /** `onFeedback` is called after each feedback is recorded (for a count across pages). */
  constructor(
    private readonly open: OpenSocket,
    private readonly onFeedback: () => void = () => {},
  ) {}

  /** Connect to `port` as a new page; resolves once its uuid is known. */
  async connect(port: number): Promise<void> {
    const ready = new Promise<void>((resolve) => (this.#ready = resolve));
    this.ws = await this.open(port, '/web', (packet) => this.#onPacket(packet));
    await ready;
  }

  /** Reconnect to `port` and resume from the last message seen; resolves on `resumed`. */
  async resume(port: number): Promise<void> {
    const resumed = new Promise<void>((resolve) => (this.#ready = resolve));
    this.ws = await this.open(port, '/web', (packet) => this.#onPacket(packet));
    this.ws.send(
      JSON.stringify({ opcode: 'resume', uuid: this.uuid, resumeToken: this.resumeToken, lastSeq: this.lastSeq, epoch: this.epoch }),
    );
    await resumed;
  }

  /** Resolves once the current socket is closed (at once if it already is). */
  closed(): Promise<void> {
    const ws = this.ws;
    if (ws === null || ws.readyState === ws.CLOSED) return Promise.resolve();
    return new Promise((resolve) => ws.once('close', () => resolve()));
  }

  #onPacket(packet: Packet): void {
    if (packet.opcode === 'ready' && this.uuid === '') {
      this.uuid = String(packet.uuid);
      this.resumeToken = String(packet.resumeToken);
      this.epoch = String(packet.epoch);
      this.#ready?.();
    } else if (packet.opcode === 'ready') {
      // The fresh connection's own ready, before our resume is answered.
    } else if (packet.opcode === 'resumed') {
      this.resumed = packet;
      this.epoch = String(packet.epoch);
      this.#ready?.();
    } else if (packet.opcode === 'feedback') {
      this.seqs.push(Number(packet.seq));
      this.lastSeq = Number(packet.seq);
      this.messages.push(String(packet.message));
      this.onFeedback();
    }
  }
}
