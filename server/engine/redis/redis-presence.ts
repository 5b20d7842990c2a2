import type { HeldName, Presence } from '../presence.js';
import type { RedisLink } from './redis-link.js';

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

  /** Write every held name again (the heartbeat's refresh, and the re-announce after a Redis restart). */
  async announceAll(batch = 500): Promise<void> {
    const { cmd, nodeId } = this.#link;
    let pipeline = cmd.pipeline();
    let queued = 0;
    for (const key of this.held) {
      pipeline.set(key, nodeId, 'PX', this.#holdTtlMs);
      if (++queued === batch) {
        await pipeline.exec();
        pipeline = cmd.pipeline();
        queued = 0;
      }
    }
    if (queued > 0) await pipeline.exec();
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
