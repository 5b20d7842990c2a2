import type { HeldName, Presence } from '../presence.js';
import type { RedisLink } from './redis-link.js';

/** RENEW's answers (lua-scripts.ts). */
const RENEW_TAKEN = 0;
const RENEW_GONE = 2;

type Renewing = { wsRenew(key: string, node: string, ttlMs: number): unknown };

/**
 * Who holds each uuid and Ident, in Redis: `<p>own:u:<key>` / `<p>own:i:<ident>`
 * hold the node id with a TTL that this node refreshes while it holds the
 * name, and a holder counts only while its node key (heartbeat) exists — so
 * a killed node's names stop routing within the node TTL and disappear
 * within the hold TTL.
 */
export class RedisPresence implements Presence {
  readonly #link: RedisLink;
  readonly #holdTtlMs: number;
  /** Owner keys this node holds: refreshed by the heartbeat, announced again after Redis comes back. */
  readonly held = new Set<string>();

  constructor(link: RedisLink, holdTtlMs: number) {
    this.#link = link;
    this.#holdTtlMs = holdTtlMs;
  }

  async hold(name: HeldName): Promise<void> {
    const key = this.#link.keys.owner(name);
    this.held.add(key);
    await this.#link.cmd.set(key, this.#link.nodeId, 'PX', this.#holdTtlMs);
  }

  async release(name: HeldName): Promise<void> {
    const key = this.#link.keys.owner(name);
    this.held.delete(key);
    await this.#link.cmd.wsRelease(key, this.#link.nodeId);
  }

  holder(name: HeldName): Promise<string | null> {
    return this.#link.cmd.wsHolder(this.#link.keys.owner(name), this.#link.keys.nodeKeyPrefix);
  }

  /**
   * Renew every held name (the periodic refresh, and the re-announce after
   * a Redis restart). A name gone from Redis is held again; one another
   * node holds now is left to it and forgotten here (the newest holder wins).
   */
  async announceAll(batch = 500): Promise<void> {
    const { cmd, nodeId } = this.#link;
    let pipeline = cmd.pipeline();
    let queued: string[] = [];
    for (const key of this.held) {
      (pipeline as unknown as Renewing).wsRenew(key, nodeId, this.#holdTtlMs);
      queued.push(key);
      if (queued.length === batch) {
        this.#count(queued, await pipeline.exec());
        pipeline = cmd.pipeline();
        queued = [];
      }
    }
    if (queued.length > 0) this.#count(queued, await pipeline.exec());
  }

  #count(keys: string[], results: [Error | null, unknown][] | null): void {
    const { telemetry } = this.#link;
    if (results === null) return;
    for (let i = 0; i < keys.length; i++) {
      const [error, code] = results[i] ?? [null, null];
      if (error !== null) continue;
      telemetry.renewals++;
      if (code === RENEW_GONE) telemetry.ownershipLost.gone++;
      else if (code === RENEW_TAKEN) {
        telemetry.ownershipLost.taken++;
        this.held.delete(keys[i]!);
      }
    }
  }

  /** On a graceful stop: let the names go at once rather than by TTL. */
  async releaseAll(): Promise<void> {
    const { cmd, nodeId } = this.#link;
    const pipeline = cmd.pipeline();
    const releasing = pipeline as unknown as { wsRelease(key: string, node: string): unknown };
    for (const key of this.held) releasing.wsRelease(key, nodeId);
    this.held.clear();
    await pipeline.exec();
  }
}
