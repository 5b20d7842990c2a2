import { addressGroup, DEFAULT_V6_PREFIX_BITS } from '../limits/address-group.js';
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
  /** Connections per address group (an IPv4 address, an IPv6 prefix, all of loopback). */
  readonly #perGroup = new Map<string, number>();
  readonly #v6Bits: number;

  /** `v6Bits`: how much of an IPv6 address is one client (the `ipv6Prefix` key). */
  constructor(v6Bits: number = DEFAULT_V6_PREFIX_BITS) {
    this.#v6Bits = v6Bits;
  }

  get size(): number {
    return this.#all.size;
  }

  get browserCount(): number {
    return this.#browsers.size;
  }

  /** The address group `ip` counts in (what maxPerIP limits). */
  groupOf(ip: string): string {
    return addressGroup(ip, this.#v6Bits);
  }

  /** Connections from the address group of `ip`. */
  countFromIp(ip: string): number {
    return this.#perGroup.get(this.groupOf(ip)) ?? 0;
  }

  /** Register; a newer client with the same Ident replaces the older one. */
  add(conn: Connection): Connection | undefined {
    this.#all.add(conn);
    this.#byKey.set(conn.key, conn);
    if (conn.kind === 'browser') this.#browsers.add(conn);
    const group = this.groupOf(conn.ip);
    this.#perGroup.set(group, (this.#perGroup.get(group) ?? 0) + 1);
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
    const group = this.groupOf(conn.ip);
    const left = (this.#perGroup.get(group) ?? 0) - 1;
    if (left > 0) this.#perGroup.set(group, left);
    else this.#perGroup.delete(group);
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
