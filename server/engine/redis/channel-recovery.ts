import type { Logger } from '../../logger/logger.js';
import type { CacheCopies } from './cache-copies.js';
import type { ChannelKeys } from './channel-keys.js';
import type { Arg, ChannelRedis } from './channel-redis.js';
import type { ChannelShare, NodeShare } from './node-share.js';
import type { RedisKeys } from './redis-keys.js';

/** What removing a node's entries from one channel changed (leave_entry in channel-scripts.ts). */
export interface LeftChannel {
  readonly app: string;
  readonly channel: string;
  readonly vacated: boolean;
  /** Users with no connection left anywhere. */
  readonly removed: readonly string[];
}

/** How the recovery tells the channel's members and the lifecycle listeners what changed. */
export interface RecoveryReports {
  /** Connections left (a dead node's, or this node's stale entries): member_removed, channel_vacated. */
  left(left: readonly LeftChannel[]): Promise<void>;
  /** This node's connections are back after other nodes reaped them: channel_occupied, member_added. */
  rejoined(share: ChannelShare, occupied: boolean, added: readonly string[]): Promise<void>;
}

export interface RecoveryOptions {
  cmd: ChannelRedis;
  keys: RedisKeys;
  channelKeys: ChannelKeys;
  nodeId: string;
  /** A node key lives 3 of these. */
  heartbeatMs: number;
  share: NodeShare;
  cacheCopies: CacheCopies;
  /** How long a `cache-` channel's last event lives. */
  cacheTtlMs: number;
  reports: RecoveryReports;
  logger: Logger;
}

/** Channels of a dead node removed per script run (each run is atomic: a bound on how long it holds Redis). */
const REAP_BATCH = 100;

/**
 * Keeps the channels in Redis true to the live connections when nodes or
 * Redis fail. Every heartbeat, `reap` removes the entries of nodes whose
 * node key expired (3 heartbeats after their last one), each batch in one
 * script so exactly one node reports it; a dead node's connections are
 * thus counted out within 4 heartbeats. After a reconnect, `announce`
 * writes this node's share again: silently when Redis merely lost it
 * (nobody was told these connections left), reported when other nodes had
 * reaped this node (they had told everyone). It also removes the entries
 * Redis still has for this node where it holds nothing (an unsubscribe
 * that failed while Redis was away), and writes back the last events of
 * `cache-` channels that Redis no longer has.
 */
export class ChannelRecovery {
  readonly #o: RecoveryOptions;
  #reaping = false;

  constructor(options: RecoveryOptions) {
    this.#o = options;
  }

  /** Remove dead nodes' entries (and announce this node again if it was taken for dead). Never throws. */
  async reap(): Promise<void> {
    const { cmd, keys, channelKeys, nodeId, reports, logger } = this.#o;
    if (this.#reaping || cmd.status !== 'ready') return;
    this.#reaping = true;
    try {
      const [reapedMe, ...dead] = await cmd.wsChannelDeadNodes(channelKeys.nodes, channelKeys.reaped(nodeId), keys.nodeKeyPrefix, nodeId);
      // This node was taken for dead (a stall past its node key's life): write its share again.
      if (Number(reapedMe) === 1) await this.announce();
      for (const node of dead) {
        let channels = 0;
        for (;;) {
          const answer = await cmd.wsChannelReap(keys.prefix, keys.nodeKeyPrefix, String(node), REAP_BATCH);
          const left = readLeft(answer, 1);
          channels += left.length;
          await reports.left(left);
          if (Number(answer[0]) !== 2) break;
        }
        if (channels > 0) logger.info('removed the channel entries of a node that stopped answering', { node, channels });
      }
    } catch (error) {
      // Redis away: the engine's health says so; the next heartbeat tries again.
      logger.debug('channel reaper could not run', { reason: (error as Error).message });
    } finally {
      this.#reaping = false;
    }
  }

  /** Write this node's share again. Never throws. */
  async announce(): Promise<void> {
    const { cmd, keys, channelKeys, nodeId, share, reports, logger } = this.#o;
    try {
      const [reaped, ...entries] = await cmd.wsChannelAnnounceBegin(
        channelKeys.nodes,
        channelKeys.reaped(nodeId),
        channelKeys.nodeEntries(nodeId),
        keys.node(nodeId),
        nodeId,
        this.#o.heartbeatMs * 3,
      );
      const report = Number(reaped) === 1;
      const stale = entries.map(String).filter((entry) => !share.holds(entry));
      // Sent in one go: each script is queued before any later subscribe's (one connection, in order).
      const shares = [...share.channels()];
      const announced = shares.map((one) => cmd.wsChannelAnnounce(...this.#announceArgs(one)));
      const left = stale.length > 0 ? cmd.wsChannelLeave(keys.prefix, nodeId, ...stale) : null;
      const now = Date.now();
      let cached = 0;
      for (const { entry, text, leftMs } of this.#o.cacheCopies.live(now, this.#o.cacheTtlMs)) {
        // NX: a newer event published since Redis came back wins.
        void cmd.set(channelKeys.cache(entry), text, 'PX', leftMs, 'NX').catch(() => {});
        cached++;
      }
      const answers = await Promise.all(announced);
      for (let i = 0; i < shares.length; i++) {
        const answer = answers[i]!;
        const split = answer.indexOf('', 1);
        if (report) await reports.rejoined(shares[i]!, Number(answer[0]) === 1, answer.slice(1, split));
        const removed = answer.slice(split + 1);
        if (removed.length > 0) await reports.left([{ app: shares[i]!.app, channel: shares[i]!.channel, vacated: false, removed }]);
      }
      if (left !== null) await reports.left(readLeft(await left, 0));
      logger.info('announced this node’s channels again', { channels: shares.length, reaped: report, stale: stale.length, cached });
    } catch (error) {
      logger.warn('could not announce this node’s channels again', { reason: (error as Error).message });
    }
  }

  #announceArgs(share: ChannelShare): Arg[] {
    const { channelKeys, nodeId } = this.#o;
    const args: Arg[] = [
      ...channelKeys.channel(share.app, share.channel),
      channelKeys.nodeEntries(nodeId),
      nodeId,
      share.channel,
      share.entry,
      share.subscriptions,
    ];
    for (const [userId, { connections, userInfo }] of share.users) args.push(userId, connections, userInfo);
    return args;
  }
}

/** leave_entry's answers from `from` on: app, channel, vacated, n, n users; again. */
function readLeft(answer: readonly (string | number)[], from: number): LeftChannel[] {
  const left: LeftChannel[] = [];
  let i = from;
  while (i + 3 < answer.length) {
    const count = Number(answer[i + 3]);
    const removed = answer.slice(i + 4, i + 4 + count).map(String);
    left.push({ app: String(answer[i]), channel: String(answer[i + 1]), vacated: Number(answer[i + 2]) === 1, removed });
    i += 4 + count;
  }
  return left;
}
