import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/** Strip the IPv4-mapped IPv6 prefix so 127.0.0.1 and ::ffff:127.0.0.1 match alike. */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

/** The addresses of this host, loopback included. */
export function ownAddresses(): string[] {
  const found = ['127.0.0.1', '::1'];
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) found.push(normalizeIp(entry.address));
  }
  return found;
}

/**
 * A set of IPs and CIDR ranges; the word `self` stands for this host's
 * addresses and loopback. Invalid entries are rejected when it is built.
 */
export class IpMatcher {
  readonly #list = new BlockList();
  readonly #empty: boolean;

  constructor(entries: readonly string[]) {
    this.#empty = entries.length === 0;
    for (const raw of entries) {
      const entry = raw.trim();
      if (entry === 'self') {
        this.#list.addSubnet('127.0.0.0', 8, 'ipv4');
        for (const ip of ownAddresses()) this.#add(ip);
        continue;
      }
      this.#add(entry);
    }
  }

  /** True when no entry was given (callers decide what empty means). */
  get empty(): boolean {
    return this.#empty;
  }

  has(ip: string): boolean {
    const plain = normalizeIp(ip);
    const family = isIP(plain);
    if (family === 0) return false;
    return this.#list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  }

  #add(entry: string): void {
    const [address, prefix] = entry.split('/') as [string, string | undefined];
    const plain = normalizeIp(address);
    const family = isIP(plain);
    if (family === 0) throw new Error(`"${entry}" is not an IP address or CIDR range`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) {
      this.#list.addAddress(plain, type);
      return;
    }
    const bits = Number(prefix);
    if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) {
      throw new Error(`"${entry}" has an invalid prefix length`);
    }
    this.#list.addSubnet(plain, bits, type);
  }
}
