import { ClientOpcode, ServerOpcode } from '../include/protocol.js';
import type { FrameWriter } from './outbound.js';
import type { ReceivedPacket } from './packets.js';

/** What a resume attempt came to. */
export interface ResumeResult {
  /** The relay gave us the old uuid back (this one). */
  uuid: string | null;
  /** The session's resumeToken, for the next resume (null when not resumed). */
  resumeToken: string | null;
  /** ...and every message we missed will follow (false: some were lost). */
  recovered: boolean;
  /**
   * The duplicate floor from now on: ours when the relay's numbering goes on
   * (resumed, even with a gap), the relay's `lastSeq` when it is lower (it
   * forgot the session and numbers from 1 again), 0 for a new session.
   */
  floor: number;
}

/**
 * v2: after a reconnect, ask the relay for our old uuid and the messages
 * sent to it since `lastSeq`, proving the session is ours with the
 * resumeToken `ready` gave us (the uuid alone does not resume). Settles with the `resumed` packet, or with
 * "not resumed" on an error answer, a lost connection or a timeout — the
 * client then simply carries on with its new uuid.
 */
export class ResumeRequest {
  readonly result: Promise<ResumeResult>;
  readonly #id: string;
  readonly #lastSeq: number;
  readonly #timer: NodeJS.Timeout;
  #settle!: (result: ResumeResult) => void;
  /** The answer once there is one, readable at once (replays may follow in the same read). */
  settled: ResumeResult | null = null;

  constructor(writer: FrameWriter, uuid: string, resumeToken: string | null, lastSeq: number, id: string, timeoutMs: number) {
    this.#id = id;
    this.#lastSeq = lastSeq;
    this.result = new Promise((resolve) => {
      this.#settle = resolve;
    });
    this.#timer = setTimeout(() => this.cancel(), timeoutMs);
    writer.send(JSON.stringify({ opcode: ClientOpcode.Resume, uuid, resumeToken, lastSeq, id }));
  }

  /** Offer a packet from the relay; true when it was the answer to this request. */
  offer(packet: ReceivedPacket): boolean {
    if (packet.opcode === ServerOpcode.Resumed) {
      const uuid = typeof packet.uuid === 'string' ? packet.uuid : null;
      const recovered = uuid !== null && packet.recovered === true;
      const relayLastSeq = typeof packet.lastSeq === 'number' && packet.lastSeq >= 0 ? packet.lastSeq : 0;
      const floor = uuid === null ? 0 : recovered ? this.#lastSeq : Math.min(this.#lastSeq, relayLastSeq);
      const resumeToken = uuid !== null && typeof packet.resumeToken === 'string' ? packet.resumeToken : null;
      this.#finish({ uuid, resumeToken, recovered, floor });
      return true;
    }
    if (packet.opcode === ServerOpcode.Error && packet.id !== undefined && String(packet.id) === this.#id) {
      this.#finish({ uuid: null, resumeToken: null, recovered: false, floor: 0 });
      return true;
    }
    return false;
  }

  /** Give up waiting (connection lost, timeout): not resumed. */
  cancel(): void {
    this.#finish({ uuid: null, resumeToken: null, recovered: false, floor: 0 });
  }

  #finish(result: ResumeResult): void {
    if (this.settled) return;
    this.settled = result;
    clearTimeout(this.#timer);
    this.#settle(result);
  }
}
