import type { Payload } from '../publication.js';
import { deliveryHeader } from './envelope.js';
import type { RedisLink } from './redis-link.js';

/** At most this many publishes go in one script call (Redis runs a script without interruption). */
export const MAX_UUID_BATCH = 128;
/**
 * And at most about this many characters of messages: a call's PUBLISH to a
 * holder carries them all, and Redis cuts a subscriber whose output buffer
 * passes its pub/sub limit (32 MB by default). A larger message goes alone.
 */
export const MAX_UUID_BATCH_CHARS = 1 << 20;

/** A uuid publish waiting for its batch. */
export interface QueuedUuid {
  readonly id: string;
  readonly target: { readonly kind: 'uuid'; readonly key: string };
  readonly payload: Payload;
  /** The message after its opening brace, and whether the object is empty (sequenceParts). */
  readonly after: string;
  readonly empty: boolean;
  readonly job: string | null;
}

/** Per message of a batch: the script's code, seq and entries dropped; or the error that failed the whole batch. */
export type BatchAnswer = { readonly codes: readonly number[] } | { readonly error: Error };

/**
 * Uuid publishes of one turn of the event loop, sent together: one
 * PUBLISH_UUIDS call per up to MAX_UUID_BATCH of them, in the order `add`
 * was called, so the publishes to one page keep their order (the calls go
 * out on one connection, and Redis runs them in the order they came); a call
 * also stays under MAX_UUID_BATCH_CHARS of messages but for a single one. The
 * batch is flushed by setImmediate, after the I/O callbacks of this turn:
 * every publish that the sockets read in the turn goes in it. `settle`
 * gets each call's items with the script's answer or its error; a failed
 * call fails all its items and only its items.
 */
export class UuidBatch {
  readonly #link: RedisLink;
  readonly #settle: (items: readonly QueuedUuid[], answer: BatchAnswer) => void;
  #queue: QueuedUuid[] = [];
  readonly #flush = (): void => this.flush();

  constructor(link: RedisLink, settle: (items: readonly QueuedUuid[], answer: BatchAnswer) => void) {
    this.#link = link;
    this.#settle = settle;
  }

  add(item: QueuedUuid): void {
    if (this.#queue.push(item) === 1) setImmediate(this.#flush);
  }

  /** Send what is queued now. */
  flush(): void {
    const queue = this.#queue;
    if (queue.length === 0) return;
    this.#queue = [];
    let start = 0;
    let chars = 0;
    for (let i = 0; i < queue.length; i++) {
      const size = queue[i]!.after.length;
      if (i > start && (i - start === MAX_UUID_BATCH || chars + size > MAX_UUID_BATCH_CHARS)) {
        this.#send(queue.slice(start, i));
        start = i;
        chars = 0;
      }
      chars += size;
    }
    this.#send(start === 0 ? queue : queue.slice(start));
  }

  #send(items: readonly QueuedUuid[]): void {
    const { cmd, keys, nodeId, limits, logTtlMs } = this.#link;
    const keyArgs: string[] = [];
    const argv: (string | number)[] = [keys.nodeKeyPrefix, nodeId, keys.channelPrefix, Date.now(), limits.count, limits.bytes, logTtlMs];
    for (const item of items) {
      keyArgs.push(keys.owner(item.target), ...keys.log(item.target.key));
      argv.push(
        deliveryHeader(item.id, item.target),
        item.after,
        item.job === null ? '0' : `1${item.job}`,
        item.empty ? '1' : '0',
        item.after.length,
      );
    }
    cmd.wsPublishUuids(keyArgs.length, ...keyArgs, ...argv).then(
      (codes) => this.#settle(items, { codes }),
      (error: Error) => this.#settle(items, { error }),
    );
  }
}
