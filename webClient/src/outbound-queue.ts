import { WebsockError } from './errors.js';

/** How a send ended: under v2 the relay's outcome for it, under v1 nothing more than "accepted". */
export interface SendResult {
  /** v2 only: 'delivered', 'held' or 'unknown'. */
  outcome?: string;
  /** v2 broadcast: how many pages got it. */
  count?: number;
  /** `token()`: the job token and its expiry (Unix seconds). */
  token?: string;
  expires?: number;
}

/** Turns a packet into frames at the moment it is written (the protocol is known only then). */
export type Encoder = (packet: object) => { frames: string[]; id?: string | number };

interface Item {
  packet: object;
  frames: string[];
  /** v2 request id, when the relay will answer with an outcome. */
  id?: string | number;
  /** Frames of this item written so far. */
  written: number;
  resolve(result: SendResult): void;
  reject(error: WebsockError): void;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * Messages waiting to be written, in order. Under protocol v1 it is stop and
 * wait: one frame in flight, the next written when the relay says `next`
 * (the relay reads one message at a time and the original clients did the
 * same). Under v2 everything is written at once and requests with an id wait
 * for their outcome. While the connection is down items stay queued; only the
 * one caught in flight fails, since the client cannot know whether it arrived.
 */
export class OutboundQueue {
  #waiting: Item[] = [];
  /** v1: the item whose frames are being written. */
  #current: Item | null = null;
  /** v2: written items awaiting their outcome, by id. */
  #pending = new Map<string | number, Item>();
  #write: ((frame: string) => void) | null = null;
  #encode: Encoder | null = null;
  #pipelined = false;

  constructor(readonly requestTimeoutMs = 30_000) {}

  /** Messages not yet fully written plus v2 requests awaiting an outcome. */
  get size(): number {
    return this.#waiting.length + (this.#current ? 1 : 0) + this.#pending.size;
  }

  /** Queues one packet and resolves when the relay took it (v1) or answered it (v2). */
  push(packet: object): Promise<SendResult> {
    return new Promise<SendResult>((resolve, reject) => {
      this.#waiting.push({ packet, frames: [], written: 0, resolve, reject });
      this.#pump();
    });
  }

  /** The connection is ready: start writing, stop-and-wait (v1) or pipelined (v2). */
  attach(write: (frame: string) => void, encode: Encoder, pipelined: boolean): void {
    this.#write = write;
    this.#encode = encode;
    this.#pipelined = pipelined;
    this.#pump();
  }

  /** v1: the relay acknowledged the frame in flight. */
  next(): void {
    const item = this.#current;
    if (!item) return;
    if (item.written < item.frames.length) {
      this.#writeFrame(item);
      return;
    }
    this.#current = null;
    item.resolve({});
    this.#pump();
  }

  /** v2: the relay's answer to request `id`; false when no request has that id. */
  settle(id: string | number, result: SendResult | WebsockError): boolean {
    const item = this.#pending.get(id);
    if (!item) return false;
    this.#pending.delete(id);
    clearTimeout(item.timer);
    if (result instanceof WebsockError) item.reject(result);
    else item.resolve(result);
    return true;
  }

  /** The connection dropped: fail what was in flight, keep the rest for the next one. */
  detach(): void {
    this.#write = null;
    const error = new WebsockError('DISCONNECTED', 'the connection dropped before the relay confirmed the message');
    if (this.#current) {
      this.#current.reject(error);
      this.#current = null;
    }
    for (const item of this.#pending.values()) {
      clearTimeout(item.timer);
      item.reject(new WebsockError('DISCONNECTED', error.message, item.id));
    }
    this.#pending.clear();
  }

  /** Fails everything (the client was closed for good). */
  clear(error: WebsockError): void {
    this.detach();
    for (const item of this.#waiting) item.reject(error);
    this.#waiting = [];
  }

  #pump(): void {
    while (this.#write && !this.#current && this.#waiting.length > 0) {
      const item = this.#waiting.shift() as Item;
      const encoded = (this.#encode as Encoder)(item.packet);
      item.frames = encoded.frames;
      item.id = encoded.id;
      item.written = 0;
      if (!this.#pipelined) {
        this.#current = item;
        this.#writeFrame(item);
        return;
      }
      for (const frame of item.frames) this.#write(frame);
      if (item.id === undefined) {
        item.resolve({});
      } else {
        this.#pending.set(item.id, item);
        item.timer = setTimeout(() => {
          this.settle(item.id as string | number, new WebsockError('TIMEOUT', 'the relay did not answer in time', item.id));
        }, this.requestTimeoutMs);
      }
    }
  }

  #writeFrame(item: Item): void {
    const frame = item.frames[item.written] as string;
    item.written += 1;
    (this.#write as (frame: string) => void)(frame);
  }
}
