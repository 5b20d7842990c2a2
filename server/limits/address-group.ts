import { isIP } from 'node:net';
import { normalizeIp } from '../transport/ip-match.js';

/** Bits of an IPv6 address one subscriber usually holds: a /64 is one site, and whoever has one has 2^64 addresses. */
export const DEFAULT_V6_PREFIX_BITS = 64;

/** The group of every loopback address: 127.0.0.0/8 and ::1 are all this one host. */
export const LOOPBACK_GROUP = 'loopback';

/**
 * The key per-client limits count by: an IPv4 address as it is, an IPv6
 * address cut to its first `v6Bits` bits (`2001:db8:1:2::/64`), since a
 * single client may use every address of its prefix. Every loopback address
 * (127.0.0.0/8, ::1, IPv4-mapped or not) is one group, `loopback`: they are
 * all the relay's own host, and a local process could bind any of the 2^24
 * 127.x addresses. Anything that is not an address is its own key.
 *
 * @example addressGroup('2001:db8:1:2:aaaa::1') // '2001:db8:1:2::/64'
 * @example addressGroup('127.0.0.9') // 'loopback'
 */
export function addressGroup(ip: string, v6Bits: number = DEFAULT_V6_PREFIX_BITS): string {
  const plain = normalizeIp(ip);
  const family = isIP(plain);
  if (family === 4) return plain.startsWith('127.') ? LOOPBACK_GROUP : plain;
  if (family !== 6) return plain;
  if (plain === '::1') return LOOPBACK_GROUP;
  if (v6Bits >= 128) return plain;
  const words = expandV6(plain);
  const kept: string[] = [];
  for (let i = 0; i < 8; i++) {
    const bits = Math.max(0, Math.min(16, v6Bits - i * 16));
    if (bits === 0) break;
    const mask = bits === 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
    kept.push((words[i]! & mask).toString(16));
  }
  return `${kept.join(':')}::/${v6Bits}`;
}

/** The eight 16-bit words of a valid IPv6 address (`::` expanded, a trailing IPv4 part folded in). */
function expandV6(ip: string): number[] {
  let text = ip.split('%')[0]!;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((word) => parseInt(word, 16));
}
