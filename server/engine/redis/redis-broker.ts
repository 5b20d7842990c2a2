import type { Logger } from '../../logger/logger.js';
import type { RelayStats } from '../../metrics/relay-stats.js';
import { sequenceParts } from '../../protocol/sequence.js';
import type { Broker, PublicationHandler } from '../broker.js';
import { progressJob, RESULT, SETTLED, type Payload, type PublishResult, type PublishTarget } from '../publication.js';
import { broadcastEnvelope, deliverHeader } from './envelope.js';
import { PendingAnswers } from './pending-answers.js';
import type { RedisLink } from './redis-link.js';
import { sequencedText } from './redis-session-log.js';
import { UuidBatch, type BatchAnswer, type QueuedUuid } from './uuid-batch.js';

/** Publish script codes (see PUBLISH_UUID). */
const NOBODY = 0;
const HELD = 1;
const HANDED_OVER = 2;
const HERE = 3;

/**
 * The Redis engine's broker. A uuid publish is one step of a script: number
 * and keep it in the page's log when there is one, then PUBLISH it on the
 * holder's node channel; the holder's handler delivers and answers on ours.
 * The uuid publishes of one turn of the event loop share one script call
 * and one PUBLISH per holder (uuid-batch.ts), each with its own outcome and
 * its own seq; a failed call is `failed` for each of its publishes. A holder
 * that is this node is handed the message directly, after the script (the
 * log append is in Redis all the same). Broadcasts go on the cluster
 * channel to every node, this one included. Whatever goes wrong — Redis
 * unreachable, no answer within `answerTimeoutMs` — is `failed`.
 */
export class RedisBroker implements Broker {
  readonly #link: RedisLink;
  readonly #stats: RelayStats;
  readonly #logger: Logger;
  readonly pending: PendingAnswers;
  readonly #batch: UuidBatch;
  #handler: PublicationHandler | null = null;
  #nextId = 0;

  constructor(link: RedisLink, stats: RelayStats, logger: Logger, answerTimeoutMs: number) {
    this.#link = link;
    this.#stats = stats;
    this.#logger = logger;
    this.pending = new PendingAnswers(answerTimeoutMs, () => {
      this.#stats.outcomes.failed++;
      link.telemetry.answersTimedOut++;
    });
    link.telemetry.pendingAnswers = () => this.pending.size;
    this.#batch = new UuidBatch(link, (items, answer) => this.#settleBatch(items, answer));
  }

  attach(handler: PublicationHandler): void {
    this.#handler = handler;
  }

  publish(target: PublishTarget, payload: Payload): Promise<PublishResult> {
    const started = performance.now();
    // A uuid publish's promise is its pending answer, which never rejects: failures settle it `failed` (#settleBatch).
    // The failed command is counted where every command is (redis-link.ts).
    const result =
      target.kind === 'uuid' && this.#handler !== null
        ? this.#publishUuid(target, payload)
        : this.#publish(target, payload).catch((error: Error) => {
            this.#stats.outcomes.failed++;
            this.#logger.warn('publish failed: the engine is unreachable', { reason: error.message });
            return RESULT.failed;
          });
    const observe = this.#link.telemetry.onPublish;
    if (observe !== null) void result.then(() => observe((performance.now() - started) / 1000));
    return result;
  }

  async #publish(target: PublishTarget, payload: Payload): Promise<PublishResult> {
    const handler = this.#handler;
    if (handler === null) throw new Error('no handler attached');
    const { cmd, keys, nodeId } = this.#link;
    const id = (this.#nextId++).toString(36);
    const raw = typeof payload.raw === 'string' ? payload.raw : payload.raw.toString('utf8');
    if (target.kind === 'broadcast') {
      const answer = this.pending.expectCounts(id);
      const nodes = await cmd.publish(keys.clusterChannel, broadcastEnvelope(id, nodeId, target.except, raw));
      this.pending.setExpected(id, nodes);
      return answer;
    }
    if (target.kind === 'ident') {
      const answer = this.pending.expectOutcome(id);
      const code = await cmd.wsPublishIdent(
        keys.owner(target),
        keys.nodeKeyPrefix,
        nodeId,
        keys.channelPrefix,
        deliverHeader(id, nodeId, target),
        raw,
      );
      if (code === HANDED_OVER) return answer;
      this.pending.forget(id);
      if (code === HERE) return handler.deliver(target, payload, null);
      this.#stats.outcomes.unknown++;
      return RESULT.unknown;
    }
    return this.#publishUuid(target, payload);
  }

  /** Queue it for this turn's batch; the answer comes from the script, or from the holder on another node. */
  #publishUuid(target: { readonly kind: 'uuid'; readonly key: string }, payload: Payload): Promise<PublishResult> {
    let parts: { after: string; empty: boolean };
    try {
      parts = sequenceParts(payload.raw, payload.packet);
    } catch (error) {
      this.#stats.outcomes.failed++;
      this.#logger.warn('publish failed: the message cannot be numbered', { reason: (error as Error).message });
      return SETTLED.failed;
    }
    const id = (this.#nextId++).toString(36);
    const answer = this.pending.expectOutcome(id);
    this.#batch.add({ id, target, payload, after: parts.after, empty: parts.empty, job: progressJob(payload.packet) });
    return answer;
  }

  /** Answer each publish of a script call but those handed to another node (their holder answers). */
  #settleBatch(items: readonly QueuedUuid[], answer: BatchAnswer): void {
    if ('error' in answer) {
      this.#logger.warn('publish failed: the engine is unreachable', { reason: answer.error.message, publishes: items.length });
      for (const item of items) if (this.pending.settle(item.id, RESULT.failed)) this.#stats.outcomes.failed++;
      return;
    }
    const { codes } = answer;
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const code = codes[i * 3];
      const seq = codes[i * 3 + 1]!;
      this.#link.telemetry.trimmed.limit += codes[i * 3 + 2] ?? 0;
      if (code === HANDED_OVER) continue;
      if (code === HERE) {
        this.pending.settle(item.id, this.#deliverHere(item, seq));
      } else if (code === HELD) {
        if (this.pending.settle(item.id, RESULT.held)) this.#stats.outcomes.held++;
      } else {
        void NOBODY;
        if (this.pending.settle(item.id, RESULT.unknown)) this.#stats.outcomes.unknown++;
      }
    }
  }

  /** The holder is this node: the script kept the message in the log, the handler writes it. */
  #deliverHere(item: QueuedUuid, seq: number): PublishResult {
    const handler = this.#handler;
    try {
      if (handler === null) throw new Error('no handler attached');
      return handler.deliver(item.target, item.payload, seq > 0 ? { seq, text: sequencedText(seq, item.after, item.empty) } : null);
    } catch (error) {
      this.#stats.outcomes.failed++;
      this.#logger.warn('publish failed: delivery on this node threw', { reason: (error as Error).message });
      return RESULT.failed;
    }
  }
}
