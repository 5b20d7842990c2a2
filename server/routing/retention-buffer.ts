import { PackedMessages, type PackedMessage } from './packed-messages.js';

/** A message kept for replay. */
export type Retained = PackedMessage;

export interface RetentionLimits {
  count: number;
  bytes: number;
  ageMs: number;
}

/**
 * Bytes held by every RetentionBuffer (and progress map) of a relay, kept
 * as they change so that the relay-wide budget is checked in O(1).
 */
export interface RetentionMeter {
  bytes: number;
}

/**
 * Past this many messages a buffer keeps them packed as bytes. Below, a
 * string and an object each cost less than a buffer and an index of their
 * own (most pages at rest hold a few messages), and few messages at a time
 * are not what grows V8's young generation.
 */
export const PACK_AFTER = 32;

/**
 * The recent messages of one recipient, in sequence order, trimmed to the
 * limits (count, bytes, age) from the oldest end. Pure: no timers, no I/O;
 * `now` is passed in so tests control time. A few messages are kept as they
 * came; more are packed (PackedMessages) until the buffer is empty again.
 */
export class RetentionBuffer {
  #items: Retained[] = [];
  #head = 0;
  #packed: PackedMessages | null = null;
  #bytes = 0;
  readonly #meter: RetentionMeter;

  constructor(
    private readonly limits: RetentionLimits,
    meter: RetentionMeter = { bytes: 0 },
  ) {
    this.#meter = meter;
  }

  get size(): number {
    return this.#packed !== null ? this.#packed.size : this.#items.length - this.#head;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Sequence number of the oldest message still held, or null. */
  get oldestSeq(): number | null {
    if (this.#packed !== null) return this.#packed.size > 0 ? this.#packed.oldestSeq : null;
    return this.#items[this.#head]?.seq ?? null;
  }

  append(seq: number, text: string, now: number): void {
    const bytes = Buffer.byteLength(text);
    // Over a limit on its own, it would be dropped with every older message: do that without storing it.
    if (this.limits.count < 1 || bytes > this.limits.bytes) {
      this.clear();
      return;
    }
    if (this.#packed === null && this.size >= PACK_AFTER) this.#pack();
    if (this.#packed !== null) this.#packed.push(seq, text, bytes, now);
    else this.#items.push({ seq, text, bytes, at: now });
    this.#bytes += bytes;
    this.#meter.bytes += bytes;
    this.trim(now);
  }

  /** Drop what is over a limit; returns how many messages were dropped. */
  trim(now: number): number {
    const packed = this.#packed;
    return packed !== null ? this.#trimPacked(packed, now) : this.#trimItems(now);
  }

  /**
   * Every message after `lastSeq`, or null when some of them are gone
   * (the gap cannot be filled). `latestSeq` is the newest number issued.
   */
  since(lastSeq: number, latestSeq: number): Retained[] | null {
    if (lastSeq > latestSeq) return null;
    if (lastSeq === latestSeq) return [];
    const oldest = this.oldestSeq;
    if (oldest === null || oldest > lastSeq + 1) return null;
    if (this.#packed !== null) return this.#packed.since(lastSeq);
    const out: Retained[] = [];
    for (let i = this.#head; i < this.#items.length; i++) {
      const item = this.#items[i]!;
      if (item.seq > lastSeq) out.push(item);
    }
    return out;
  }

  clear(): void {
    this.#meter.bytes -= this.#bytes;
    this.#items = [];
    this.#head = 0;
    this.#packed = null;
    this.#bytes = 0;
  }

  #trimItems(now: number): number {
    let dropped = 0;
    const { count, bytes, ageMs } = this.limits;
    while (this.size > 0) {
      const oldest = this.#items[this.#head]!;
      if (this.size > count || this.#bytes > bytes || now - oldest.at > ageMs) {
        this.#bytes -= oldest.bytes;
        this.#meter.bytes -= oldest.bytes;
        // Freed now, not at the next compaction: a dropped 4 MiB message must
        // not stay reachable while the byte count says it is gone.
        this.#items[this.#head] = DROPPED;
        this.#head++;
        dropped++;
      } else break;
    }
    // Compact now and then so the array of (freed) slots does not grow forever.
    if (this.#head > 64 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return dropped;
  }

  #trimPacked(packed: PackedMessages, now: number): number {
    let dropped = 0;
    const { count, bytes, ageMs } = this.limits;
    while (packed.size > 0 && (packed.size > count || this.#bytes > bytes || now - packed.oldestAt > ageMs)) {
      const size = packed.oldestBytes;
      this.#bytes -= size;
      this.#meter.bytes -= size;
      packed.dropOldest();
      dropped++;
    }
    if (packed.size === 0) {
      // Empty: back to the cheap form, and the packed arrays (a dropped large message among them) go.
      this.#packed = null;
      this.#items = [];
      this.#head = 0;
    } else if (dropped > 0) {
      packed.shrink();
    }
    return dropped;
  }

  /** Move the messages held as strings into a packed store, which takes the next ones. */
  #pack(): void {
    const packed = new PackedMessages();
    for (let i = this.#head; i < this.#items.length; i++) {
      const item = this.#items[i]!;
      packed.push(item.seq, item.text, item.bytes, item.at);
    }
    this.#packed = packed;
    this.#items = [];
    this.#head = 0;
  }
}

/** What a dropped slot holds until the next compaction: nothing of the message. */
const DROPPED: Retained = Object.freeze({ seq: 0, text: '', bytes: 0, at: 0 });
