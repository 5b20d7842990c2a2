import { ClientOpcode, ServerOpcode } from '../include/protocol.js';
import type { FrameWriter } from './outbound.js';
import type { ReceivedPacket } from './packets.js';

/** What a resume attempt came to. */
export interface ResumeResult {
  /** The relay gave us the old uuid back (this one). */
  uuid: string | null;
  /** ...and every message we missed will follow (false: some were lost). */
  recovered: boolean;
}

/**
 * v2: after a reconnect, ask the relay for our old uuid and the messages
 * sent to it since `lastSeq`. Settles with the `resumed` packet, or with
 * "not resumed" on an error answer, a lost connection or a timeout — the
 * client then simply carries on with its new uuid.
 */
export class ResumeRequest {
  readonly result: Promise<ResumeResult>;
  readonly #id: string;
  readonly #timer: NodeJS.Timeout;
  #settle!: (result: ResumeResult) => void;

  constructor(writer: FrameWriter, uuid: string, lastSeq: number, id: string, timeoutMs: number) {
    this.#id = id;
    this.result = new Promise((resolve) => {
      this.#settle = resolve;
    });
    this.#timer = setTimeout(() => this.cancel(), timeoutMs);
    writer.send(JSON.stringify({ opcode: ClientOpcode.Resume, uuid, lastSeq, id }));
  }

  /** Offer a packet from the relay; true when it was the answer to this request. */
  offer(packet: ReceivedPacket): boolean {
    if (packet.opcode === ServerOpcode.Resumed) {
      const uuid = typeof packet.uuid === 'string' ? packet.uuid : null;
      this.#finish({ uuid, recovered: uuid !== null && packet.recovered === true });
      return true;
    }
    if (packet.opcode === ServerOpcode.Error && packet.id !== undefined && String(packet.id) === this.#id) {
      this.#finish({ uuid: null, recovered: false });
      return true;
    }
    return false;
  }

  /** Give up waiting (connection lost, timeout): not resumed. */
  cancel(): void {
    this.#finish({ uuid: null, recovered: false });
  }

  #finish(result: ResumeResult): void {
    clearTimeout(this.#timer);
    this.#settle(result);
  }
}
