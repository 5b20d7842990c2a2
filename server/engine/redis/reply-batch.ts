import type { Outcome } from '../../../include/protocol.js';
import { countsEnvelope, repliesEnvelope } from './envelope.js';

/**
 * A holder's answers to other nodes, gathered while it handles what came in
 * on its subscription and sent as one PUBLISH per node (an `R` envelope of
 * outcomes, a `C` envelope of broadcast counts) in a microtask: after the
 * subscriber has handled every message of the chunk it read. An answer is
 * sent once, in the order it was given; nothing is held past that microtask.
 */
export class ReplyBatch {
  readonly #send: (node: string, envelope: string) => void;
  readonly #outcomes = new Map<string, string[]>();
  readonly #counts = new Map<string, string[]>();
  #scheduled = false;
  readonly #flush = (): void => this.flush();

  constructor(send: (node: string, envelope: string) => void) {
    this.#send = send;
  }

  outcome(node: string, id: string, outcome: Outcome): void {
    this.#add(this.#outcomes, node, `${id}:${outcome}`);
  }

  count(node: string, id: string, count: number): void {
    this.#add(this.#counts, node, `${id}:${count}`);
  }

  /** Send what is gathered now. */
  flush(): void {
    this.#scheduled = false;
    for (const [node, pairs] of this.#outcomes) this.#send(node, repliesEnvelope(pairs));
    for (const [node, pairs] of this.#counts) this.#send(node, countsEnvelope(pairs));
    this.#outcomes.clear();
    this.#counts.clear();
  }

  #add(byNode: Map<string, string[]>, node: string, pair: string): void {
    const pairs = byNode.get(node);
    if (pairs === undefined) byNode.set(node, [pair]);
    else pairs.push(pair);
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#flush);
    }
  }
}
