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
   * (the epoch is ours: resumed, even with a gap), 0 when it started again
   * (another epoch: the log was lost and numbers from 1) or for a new session.
   */
  floor: number;
  /** The epoch of the numbers from now on (undefined: neither the relay nor we know one). */
  epoch?: string | undefined;
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
  readonly #epoch: string | null;
  readonly #timer: NodeJS.Timeout;
  #settle!: (result: ResumeResult) => void;
  /** The answer once there is one, readable at once (replays may follow in the same read). */
  settled: ResumeResult | null = null;

  constructor(
    writer: FrameWriter,
    uuid: string,
    resumeToken: string | null,
    lastSeq: number,
    id: string,
    timeoutMs: number,
    epoch: string | null = null,
  ) {
    this.#id = id;
    this.#lastSeq = lastSeq;
    this.#epoch = epoch;
    this.result = new Promise((resolve) => {
      this.#settle = resolve;
    });
    this.#timer = setTimeout(() => this.cancel(), timeoutMs);
    const request: { opcode: string; uuid: string; resumeToken: string | null; lastSeq: number; epoch?: string; id: string } = {
      opcode: ClientOpcode.Resume,
      uuid,
      resumeToken,
      lastSeq,
      id,
    };
    if (epoch !== null) request.epoch = epoch;
    writer.send(JSON.stringify(request));
  }

  /** Offer a packet from the relay; true when it was the answer to this request. */
  offer(packet: ReceivedPacket): boolean {
    if (packet.opcode === ServerOpcode.Resumed) {
      const uuid = typeof packet.uuid === 'string' ? packet.uuid : null;
      const recovered = uuid !== null && packet.recovered === true;
      const epoch = typeof packet.epoch === 'string' ? packet.epoch : null;
      const resumeToken = uuid !== null && typeof packet.resumeToken === 'string' ? packet.resumeToken : null;
      const result: ResumeResult = {
        uuid,
        resumeToken,
        recovered,
        floor: uuid === null ? 0 : this.#floor(recovered, epoch, packet.lastSeq),
      };
      const known = epoch ?? this.#epoch;
      if (known !== null) result.epoch = known;
      this.#finish(result);
      return true;
    }
    if (packet.opcode === ServerOpcode.Error && packet.id !== undefined && String(packet.id) === this.#id) {
      this.#finish({ uuid: null, resumeToken: null, recovered: false, floor: 0 });
      return true;
    }
    return false;
  }

  /**
   * The relay says by the epoch whether its numbering went on: the same epoch
   * keeps our floor (after a gap too), another one starts from 0. Only a relay
   * that tells no epoch (an older one) leaves us to infer it from its lastSeq.
   */
  #floor(recovered: boolean, epoch: string | null, relayLastSeq: unknown): number {
    if (epoch !== null) return this.#epoch === null || epoch === this.#epoch ? this.#lastSeq : 0;
    if (recovered) return this.#lastSeq;
    return Math.min(this.#lastSeq, typeof relayLastSeq === 'number' && relayLastSeq >= 0 ? relayLastSeq : 0);
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
