import type { ReceivedPacket } from './packets.js';

/**
 * Received packets as an async iterator. Packets are kept until read (the
 * reader sets the pace); the stream ends when the client closes, and throws
 * the error if the client closed because of one.
 */
export class MessageStream implements AsyncIterableIterator<ReceivedPacket> {
  readonly #buffer: ReceivedPacket[] = [];
  #waiting: { resolve: (result: IteratorResult<ReceivedPacket>) => void; reject: (error: Error) => void } | null = null;
  #ended = false;
  #error: Error | undefined;
  readonly #onReturn: () => void;

  /** `onReturn` runs once when the reader stops early or the stream ends. */
  constructor(onReturn: () => void) {
    this.#onReturn = onReturn;
  }

  push(packet: ReceivedPacket): void {
    if (this.#ended) return;
    if (this.#waiting) {
      const waiting = this.#waiting;
      this.#waiting = null;
      waiting.resolve({ value: packet, done: false });
    } else {
      this.#buffer.push(packet);
    }
  }

  /** No more packets; buffered ones are still read first. */
  end(error?: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    this.#onReturn();
    if (this.#waiting) {
      const waiting = this.#waiting;
      this.#waiting = null;
      if (error) waiting.reject(error);
      else waiting.resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<ReceivedPacket>> {
    const packet = this.#buffer.shift();
    if (packet !== undefined) return Promise.resolve({ value: packet, done: false });
    if (this.#ended) {
      if (this.#error) {
        const error = this.#error;
        this.#error = undefined; // throw once, then report done
        return Promise.reject(error);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
    });
  }

  /** The reader stopped (break out of for-await): unsubscribe, drop the rest. */
  return(): Promise<IteratorResult<ReceivedPacket>> {
    this.#buffer.length = 0;
    this.#error = undefined;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ReceivedPacket> {
    return this;
  }
}
