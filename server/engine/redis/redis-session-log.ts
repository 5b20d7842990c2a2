import { sequenceParts } from '../../protocol/sequence.js';
import { progressJob, type LogEntry, type Payload, type StreamPosition } from '../publication.js';
import type { LogRead, SessionLog } from '../session-log.js';
import type { RedisLink } from './redis-link.js';

/** Keep-alive commands are sent in batches of this many pages. */
const KEEPALIVE_BATCH = 500;

/**
 * Page logs in Redis: a meta hash (epoch, seq), a stream of entries with
 * ids `<seq>-1` trimmed to the retention limits, and the latest progress per
 * job; see lua-scripts.ts. Every read and append is one script, so a reader
 * never sees half an append. Logs expire `logTtlMs` after their last append
 * or keep-alive (the nodes keep their attached pages' logs alive).
 */
export class RedisSessionLog implements SessionLog {
  readonly #link: RedisLink;

  constructor(link: RedisLink) {
    this.#link = link;
  }

  async create(key: string, epoch: string): Promise<void> {
    await this.restore(key, epoch, 0);
  }

  /** Make the log unless it exists, numbering on from `seq` (an attached page's, after Redis came back empty). */
  async restore(key: string, epoch: string, seq: number): Promise<boolean> {
    const { cmd, keys, logTtlMs } = this.#link;
    return (await cmd.wsCreateLog(...keys.log(key), epoch, seq, logTtlMs)) === 1;
  }

  async append(key: string, payload: Payload): Promise<(StreamPosition & LogEntry) | null> {
    const { cmd, keys, nodeId, limits, logTtlMs, telemetry } = this.#link;
    const { after, empty } = sequenceParts(payload.raw, payload.packet);
    const job = progressJob(payload.packet);
    const [meta, log, prog, progz] = keys.log(key);
    const [, seq, epoch, dropped] = await cmd.wsPublishUuid(
      keys.owner({ kind: 'uuid', key }),
      meta,
      log,
      prog,
      progz,
      keys.nodeKeyPrefix,
      nodeId,
      keys.channelPrefix,
      '',
      after,
      job === null ? '0' : '1',
      job ?? '',
      Date.now(),
      limits.count,
      limits.bytes,
      logTtlMs,
      '0',
      empty ? '1' : '0',
    );
    telemetry.trimmed.limit += dropped;
    if (seq === 0) return null;
    return { seq, epoch, text: sequencedText(seq, after, empty) };
  }

  async readSince(key: string, from: { seq: number; epoch: string | null }): Promise<LogRead> {
    const { cmd, keys, limits, telemetry } = this.#link;
    const [meta, log] = keys.log(key);
    const answer = await cmd.wsReadSince(meta, log, from.seq, from.epoch ?? '', Date.now() - limits.ageMs);
    if (answer[0] === 0) return { position: null, entries: null };
    const position = { epoch: String(answer[1]), seq: Number(answer[2]) };
    telemetry.trimmed.age += Number(answer[3]);
    if (answer[0] === 1) return { position, entries: null };
    const entries: LogEntry[] = [];
    for (let i = 4; i < answer.length; i++) entries.push({ seq: from.seq + i - 3, text: String(answer[i]) });
    return { position, entries };
  }

  async latestProgress(key: string): Promise<LogEntry[]> {
    const { cmd, keys } = this.#link;
    const [, , prog, progz] = keys.log(key);
    const answer = await cmd.wsLatestProgress(prog, progz);
    const out: LogEntry[] = [];
    for (let i = 0; i + 1 < answer.length; i += 2) out.push({ seq: Number(answer[i]), text: String(answer[i + 1]) });
    return out;
  }

  async trim(key: string, now: number): Promise<void> {
    const { cmd, keys, limits, telemetry } = this.#link;
    const [meta, log] = keys.log(key);
    telemetry.trimmed.age += await cmd.wsTrim(meta, log, now - limits.ageMs);
  }

  /** Logs expire by their TTL: a page gone here may be attached on another node. */
  expire(): Promise<void> {
    return Promise.resolve();
  }

  async keepAlive(pageKeys: Iterable<string>): Promise<void> {
    const { cmd, keys, logTtlMs } = this.#link;
    let pipeline = cmd.pipeline();
    let queued = 0;
    for (const key of pageKeys) {
      for (const name of keys.log(key)) pipeline.pexpire(name, logTtlMs);
      if (++queued === KEEPALIVE_BATCH) {
        await pipeline.exec();
        pipeline = cmd.pipeline();
        queued = 0;
      }
    }
    if (queued > 0) await pipeline.exec();
  }
}

/** The text the publish script stored for `seq` (the same splice as withSequence). */
export function sequencedText(seq: number, after: string, empty: boolean): string {
  return `{"seq":${seq}${empty ? '' : ','}${after}`;
}
