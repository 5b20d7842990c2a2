import { Outcome } from '../../../include/protocol.js';
import { RESULT, type PublishResult } from '../publication.js';

interface Waiting {
  deadline: number;
  resolve: (result: PublishResult) => void;
  /** Broadcast: how many node answers are expected (-1 until PUBLISH says), have come, and their sum. */
  expected: number;
  answered: number;
  count: number;
}

/**
 * Publishes waiting for their answer from another node, by request id.
 * One sweep (not one timer per publish) ends those past their deadline as
 * `failed`: the engine could not tell what became of them. Deadlines grow
 * with insertion, so the sweep stops at the first one still in time.
 */
export class PendingAnswers {
  readonly #waiting = new Map<string, Waiting>();
  readonly #timeoutMs: number;
  readonly #onTimeout: () => void;

  constructor(timeoutMs: number, onTimeout: () => void) {
    this.#timeoutMs = timeoutMs;
    this.#onTimeout = onTimeout;
  }

  get size(): number {
    return this.#waiting.size;
  }

  /** Wait for the holder's outcome of an addressed publish. */
  expectOutcome(id: string): Promise<PublishResult> {
    return new Promise((resolve) => {
      this.#waiting.set(id, { deadline: Date.now() + this.#timeoutMs, resolve, expected: 1, answered: 0, count: 0 });
    });
  }

  /** Wait for the counts of a broadcast from every node (setExpected says how many). */
  expectCounts(id: string): Promise<PublishResult> {
    return new Promise((resolve) => {
      this.#waiting.set(id, { deadline: Date.now() + this.#timeoutMs, resolve, expected: -1, answered: 0, count: 0 });
    });
  }

  setExpected(id: string, nodes: number): void {
    const waiting = this.#waiting.get(id);
    if (waiting === undefined) return;
    waiting.expected = nodes;
    this.#settleCounts(id, waiting);
  }

  /** The publish did not go out to another node after all. */
  forget(id: string): void {
    this.#waiting.delete(id);
  }

  outcome(id: string, outcome: Outcome): void {
    this.settle(id, RESULT[outcome]);
  }

  /** Answer a waiting publish; false when it was not waiting (late: it was already answered `failed`). */
  settle(id: string, result: PublishResult): boolean {
    const waiting = this.#waiting.get(id);
    if (waiting === undefined) return false;
    this.#waiting.delete(id);
    waiting.resolve(result);
    return true;
  }

  counted(id: string, count: number): void {
    const waiting = this.#waiting.get(id);
    if (waiting === undefined) return;
    waiting.answered++;
    waiting.count += count;
    this.#settleCounts(id, waiting);
  }

  /** End what is past its deadline as `failed`. */
  sweep(now = Date.now()): void {
    for (const [id, waiting] of this.#waiting) {
      if (waiting.deadline > now) break;
      this.#waiting.delete(id);
      this.#onTimeout();
      waiting.resolve(waiting.expected === -1 || waiting.answered < waiting.expected ? failedWith(waiting.count) : RESULT.failed);
    }
  }

  /** Every waiting publish is `failed` (the engine stops). */
  failAll(): void {
    for (const waiting of this.#waiting.values()) waiting.resolve(RESULT.failed);
    this.#waiting.clear();
  }

  #settleCounts(id: string, waiting: Waiting): void {
    if (waiting.expected < 0 || waiting.answered < waiting.expected) return;
    this.#waiting.delete(id);
    waiting.resolve({ outcome: Outcome.Delivered, count: waiting.count });
  }
}

function failedWith(count: number): PublishResult {
  return count > 0 ? { outcome: Outcome.Failed, count } : RESULT.failed;
}
