import { ServerOpcode } from '../include/protocol.js';
import { ClientError, ClientErrorCode } from './client-error.js';
import { framesFor } from './chunking.js';
import type { FrameWriter, Outbound, OutboundRequest, OutboundSettings, RequestQueue } from './outbound.js';
import type { ReceivedPacket } from './packets.js';

/**
 * Protocol v1: one frame in flight, then wait for `{"opcode":"next"}`
 * before the next one (every chunk of a chunked message included). Callers
 * may fire many requests at once; they wait in the queue, in order.
 */
export class StopAndWait implements Outbound {
  readonly #writer: FrameWriter;
  readonly #queue: RequestQueue;
  readonly #settings: OutboundSettings;
  #current: { request: OutboundRequest; frames: string[]; index: number } | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(writer: FrameWriter, queue: RequestQueue, settings: OutboundSettings) {
    this.#writer = writer;
    this.#queue = queue;
    this.#settings = settings;
  }

  get idle(): boolean {
    return this.#current === null;
  }

  pump(): void {
    if (this.#current) return;
    const request = this.#queue.take();
    if (!request) return;
    this.#current = { request, frames: framesFor(request.text, this.#settings.chunkBytes), index: 0 };
    this.#writeCurrent();
  }

  handle(packet: ReceivedPacket): boolean {
    if (packet.opcode !== ServerOpcode.Next) return false;
    const current = this.#current;
    // A `next` nobody waits for (e.g. after a timeout) is consumed and ignored.
    if (!current) return true;
    current.index++;
    if (current.index < current.frames.length) {
      this.#writeCurrent();
      return true;
    }
    this.#current = null;
    this.#disarm();
    current.request.resolve('sent');
    this.pump();
    return true;
  }

  fail(error: ClientError): void {
    const current = this.#current;
    this.#current = null;
    this.#disarm();
    current?.request.reject(error);
  }

  #writeCurrent(): void {
    const current = this.#current!;
    this.#disarm();
    this.#timer = setTimeout(this.#onTimeout, this.#settings.ackTimeoutMs);
    this.#writer.send(current.frames[current.index]!);
  }

  #disarm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  readonly #onTimeout = (): void => {
    this.#timer = null;
    const error = new ClientError(
      ClientErrorCode.Timeout,
      `the relay did not acknowledge within ${this.#settings.ackTimeoutMs} ms (no next)`,
    );
    this.fail(error);
    this.#settings.onTimeout(error);
  };
}
