/** A kept last event: its text (an encoded ChannelEvent) and when this node saw it. */
interface Copy {
  readonly text: string;
  readonly at: number;
}

/**
 * The last event of each `cache-` channel this node has subscribers of, as
 * this node saw it go by: the copy a node writes back (unless Redis has a
 * newer one) when Redis came back empty, so that a later subscriber still
 * gets the last event rather than a cache miss. Bounded by this node's
 * subscriptions: one event (at most the app's maxEventSize) per channel.
 */
export class CacheCopies {
  readonly #copies = new Map<string, Copy | null>();

  /** Nothing is kept: the hot path skips every lookup. */
  get size(): number {
    return this.#copies.size;
  }

  /** Keep the channel's last event from now on, starting from what Redis answered on subscribe (null: none). */
  keep(entry: string, text: string | null, now: number): void {
    if (this.#copies.get(entry) != null) return;
    this.#copies.set(entry, text === null ? null : { text, at: now });
  }

  forget(entry: string): void {
    this.#copies.delete(entry);
  }

  /** A cached event went by on the cluster topic. */
  saw(entry: string, text: string, now: number): void {
    if (this.#copies.has(entry)) this.#copies.set(entry, { text, at: now });
  }

  /** The copies still within `ttlMs` of when they were seen, with the time they have left. */
  *live(now: number, ttlMs: number): IterableIterator<{ entry: string; text: string; leftMs: number }> {
    for (const [entry, copy] of this.#copies) {
      if (copy === null) continue;
      const leftMs = copy.at + ttlMs - now;
      if (leftMs > 0) yield { entry, text: copy.text, leftMs };
    }
  }
}
