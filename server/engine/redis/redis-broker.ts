import type { Logger } from '../../logger/logger.js';
import type { RelayStats } from '../../metrics/relay-stats.js';
import { sequenceParts } from '../../protocol/sequence.js';
import type { Broker, PublicationHandler } from '../broker.js';
import { progressJob, RESULT, type Payload, type PublishResult, type PublishTarget } from '../publication.js';
import { broadcastEnvelope, deliverHeader } from './envelope.js';
import { PendingAnswers } from './pending-answers.js';
import type { RedisLink } from './redis-link.js';
import { sequencedText } from './redis-session-log.js';

/** Publish script codes (see PUBLISH_UUID). */
const NOBODY = 0;
const HELD = 1;
const HANDED_OVER = 2;
const HERE = 3;

/**
 * The Redis engine's broker. A uuid publish is one script: number and keep
 * it in the page's log when there is one, then PUBLISH it on the holder's
 * node channel; the holder's handler delivers and answers on ours. A holder
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
  }

  attach(handler: PublicationHandler): void {
    this.#handler = handler;
  }

  publish(target: PublishTarget, payload: Payload): Promise<PublishResult> {
    const started = performance.now();
    // The failed command is counted where every command is (redis-link.ts).
    const result = this.#publish(target, payload).catch((error: Error) => {
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
    const { cmd, keys, nodeId, limits, logTtlMs } = this.#link;
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
    const { after, empty } = sequenceParts(raw, payload.packet);
    const job = progressJob(payload.packet);
    const [meta, log, prog, progz] = keys.log(target.key);
    const answer = this.pending.expectOutcome(id);
    const [code, seq, , dropped] = await cmd.wsPublishUuid(
      keys.owner(target),
      meta,
      log,
      prog,
      progz,
      keys.nodeKeyPrefix,
      nodeId,
      keys.channelPrefix,
      deliverHeader(id, nodeId, target),
      after,
      job === null ? '0' : '1',
      job ?? '',
      Date.now(),
      limits.count,
      limits.bytes,
      logTtlMs,
      '1',
      empty ? '1' : '0',
    );
    this.#link.telemetry.trimmed.limit += dropped;
    if (code === HANDED_OVER) return answer;
    this.pending.forget(id);
    if (code === HERE) return handler.deliver(target, payload, seq > 0 ? { seq, text: sequencedText(seq, after, empty) } : null);
    if (code === HELD) {
      this.#stats.outcomes.held++;
      return RESULT.held;
    }
    void NOBODY;
    this.#stats.outcomes.unknown++;
    return RESULT.unknown;
  }
}
