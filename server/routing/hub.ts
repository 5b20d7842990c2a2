import type { Connection } from '../transport/connection.js';

/**
 * The registry of live connections, indexed the ways routing needs: by
 * routing key (bare uuid), by Ident, and the set of browsers for broadcast.
 * Lookups are map hits; nothing scans every client.
 */
export class Hub {
  readonly #byKey = new Map<string, Connection>();
  readonly #byIdent = new Map<string, Connection>();
  readonly #browsers = new Set<Connection>();
  readonly #all = new Set<Connection>();
  readonly #perIp = new Map<string, number>();

  get size(): number {
    return this.#all.size;
  }

  get browserCount(): number {
    return this.#browsers.size;
  }

  countFromIp(ip: string): number {
    return this.#perIp.get(ip) ?? 0;
  }

  /** Register; a newer client with the same Ident replaces the older one. */
  add(conn: Connection): Connection | undefined {
    this.#all.add(conn);
    this.#byKey.set(conn.key, conn);
    if (conn.kind === 'browser') this.#browsers.add(conn);
    this.#perIp.set(conn.ip, this.countFromIp(conn.ip) + 1);
    if (conn.ident) {
      const previous = this.#byIdent.get(conn.ident);
      this.#byIdent.set(conn.ident, conn);
      return previous;
    }
    return undefined;
  }

  remove(conn: Connection): void {
    if (!this.#all.delete(conn)) return;
    if (this.#byKey.get(conn.key) === conn) this.#byKey.delete(conn.key);
    if (conn.ident && this.#byIdent.get(conn.ident) === conn) this.#byIdent.delete(conn.ident);
    this.#browsers.delete(conn);
    const left = this.countFromIp(conn.ip) - 1;
    if (left > 0) this.#perIp.set(conn.ip, left);
    else this.#perIp.delete(conn.ip);
  }

  /** Move a connection to another routing key (the `uuid` opcode, resume). */
  rekey(conn: Connection, key: string, uuid: string): void {
    if (this.#byKey.get(conn.key) === conn) this.#byKey.delete(conn.key);
    conn.key = key;
    conn.uuid = uuid;
    this.#byKey.set(key, conn);
  }

  byKey(key: string): Connection | undefined {
    return this.#byKey.get(key);
  }

  byIdent(ident: string): Connection | undefined {
    return this.#byIdent.get(ident);
  }

  browsers(): IterableIterator<Connection> {
    return this.#browsers.values();
  }

  all(): IterableIterator<Connection> {
    return this.#all.values();
  }
}
