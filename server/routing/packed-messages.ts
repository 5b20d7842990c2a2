/** A message as a replay reads it (RetentionBuffer's `Retained`). */
export interface PackedMessage {
  seq: number;
  text: string;
  bytes: number;
  at: number;
}

/** An entry of the index: its seq, where its bytes start in the data, how many, and when it was kept. */
const SEQ = 0;
const START = 1;
const BYTES = 2;
const AT = 3;
const FIELDS = 4;
const MIN_ENTRIES = 32;
const MIN_DATA_BYTES = 4096;

/**
 * Messages in sequence order as UTF-8 bytes in one buffer, with a
 * typed-array index: no string and no object per message on the heap. The
 * oldest end advances as messages are dropped; the live part moves to the
 * front (or into a larger array) when the far end is reached, so each byte
 * is copied a bounded number of times; a mostly empty array is replaced by
 * a smaller one. A replay decodes the texts again.
 *
 * Why bytes: a message retained by a busy page lives until `retentionCount`
 * newer ones came, so it outlives V8's young-generation collections, and V8
 * answers survivors by growing the young generation (up to 2 × 16 MiB).
 * Bytes outside the heap are not copied by those collections. Pure: no
 * timers, no I/O.
 */
export class PackedMessages {
  #index = new Float64Array(MIN_ENTRIES * FIELDS);
  /** Position (in entries) of the oldest entry in the index, and how many there are. */
  #first = 0;
  #count = 0;
  #data = Buffer.allocUnsafeSlow(MIN_DATA_BYTES);
  /** The live bytes are data[#start, #end). */
  #start = 0;
  #end = 0;

  get size(): number {
    return this.#count;
  }

  /** The oldest message's seq, size and time; only while `size` > 0. */
  get oldestSeq(): number {
    return this.#index[this.#first * FIELDS + SEQ]!;
  }

  get oldestBytes(): number {
    return this.#index[this.#first * FIELDS + BYTES]!;
  }

  get oldestAt(): number {
    return this.#index[this.#first * FIELDS + AT]!;
  }

  /** Keep `text`, whose UTF-8 length the caller measured as `bytes`. */
  push(seq: number, text: string, bytes: number, at: number): void {
    const start = this.#room(bytes);
    this.#data.write(text, start, bytes, 'utf8');
    this.#end = start + bytes;
    if (this.#first + this.#count === this.#index.length / FIELDS) this.#indexRoom();
    const entry = (this.#first + this.#count) * FIELDS;
    const index = this.#index;
    index[entry + SEQ] = seq;
    index[entry + START] = start;
    index[entry + BYTES] = bytes;
    index[entry + AT] = at;
    this.#count++;
  }

  /** Forget the oldest message (call `shrink` once done dropping). */
  dropOldest(): void {
    const entry = this.#first * FIELDS;
    this.#start = this.#index[entry + START]! + this.#index[entry + BYTES]!;
    this.#first++;
    this.#count--;
  }

  /** Every message after `lastSeq`, decoded. */
  since(lastSeq: number): PackedMessage[] {
    const out: PackedMessage[] = [];
    const index = this.#index;
    for (let i = this.#first; i < this.#first + this.#count; i++) {
      const entry = i * FIELDS;
      const seq = index[entry + SEQ]!;
      if (seq <= lastSeq) continue;
      const start = index[entry + START]!;
      const bytes = index[entry + BYTES]!;
      out.push({ seq, text: this.#data.toString('utf8', start, start + bytes), bytes, at: index[entry + AT]! });
    }
    return out;
  }

  /** Give back what a burst left: arrays four times larger than what they hold are replaced by ones twice as large. */
  shrink(): void {
    const live = this.#end - this.#start;
    if (this.#data.length > MIN_DATA_BYTES && live * 4 < this.#data.length) this.#moveData(Math.max(MIN_DATA_BYTES, live * 2));
    const capacity = this.#index.length / FIELDS;
    if (capacity > MIN_ENTRIES && this.#count * 4 < capacity) this.#moveIndex(Math.max(MIN_ENTRIES, this.#count * 2));
  }

  /** Where `bytes` more go: after the live bytes, moved to the front or into a larger buffer when the end is reached. */
  #room(bytes: number): number {
    if (this.#end + bytes <= this.#data.length) return this.#end;
    const live = this.#end - this.#start;
    // A buffer at most three quarters full is reused; else one twice what it must hold takes over.
    if (live + bytes <= (this.#data.length * 3) / 4) {
      this.#data.copyWithin(0, this.#start, this.#end);
      this.#movedFront();
    } else {
      this.#moveData(2 * (live + bytes));
    }
    return this.#end;
  }

  #moveData(size: number): void {
    const data = Buffer.allocUnsafeSlow(size);
    this.#data.copy(data, 0, this.#start, this.#end);
    this.#data = data;
    this.#movedFront();
  }

  /** The live bytes now start at 0: their index entries follow. */
  #movedFront(): void {
    const by = this.#start;
    if (by === 0) return;
    const index = this.#index;
    for (let i = this.#first; i < this.#first + this.#count; i++) index[i * FIELDS + START]! -= by;
    this.#end -= by;
    this.#start = 0;
  }

  /** The index is full at its far end: its live part moves to the front, or into one twice as large. */
  #indexRoom(): void {
    const capacity = this.#index.length / FIELDS;
    if (this.#count <= capacity / 2) {
      this.#index.copyWithin(0, this.#first * FIELDS, (this.#first + this.#count) * FIELDS);
      this.#first = 0;
    } else {
      this.#moveIndex(capacity * 2);
    }
  }

  #moveIndex(entries: number): void {
    const index = new Float64Array(entries * FIELDS);
    index.set(this.#index.subarray(this.#first * FIELDS, (this.#first + this.#count) * FIELDS));
    this.#index = index;
    this.#first = 0;
  }
}
