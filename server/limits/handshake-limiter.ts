import type { Duplex } from 'node:stream';
import { RateLimiter } from '../http/rate-limiter.js';
import type { IpMatcher } from '../transport/ip-match.js';
import { addressGroup } from './address-group.js';
import type { HttpRefusal } from '../transport/accepted-websocket.js';
import { answerAndClose } from './raw-answer.js';

export interface HandshakeLimits {
  /** Upgrades per second one client may start; 0 = no limit. */
  rate: number;
  /** How many it may start at once after a quiet spell. */
  burst: number;
  /** Addresses never limited: allowedIP (our own backends) and trustedProxies. */
  exempt: IpMatcher;
  /** Called for each refused upgrade (the metrics count them). */
  onRefuse?: () => void;
  /** How much of an IPv6 address is one client (the `ipv6Prefix` key; default a /64). */
  v6Bits?: number;
}

/**
 * Per-client WebSocket handshake rate limit, applied before the upgrade:
 * an excess upgrade gets `429 Too Many Requests` with Retry-After and costs
 * no handshake, no WebSocket and no admission work. Clients are counted by
 * address group (an IPv6 /64 is one client). Memory follows the active
 * clients: a bucket that refilled is forgotten.
 *
 * @example
 * const limiter = new HandshakeLimiter({ rate: 20, burst: 40, exempt });
 * server.on('upgrade', (req, socket, head) => { if (!limiter.refuse(socket, ip)) handleUpgrade(req, socket, head); });
 */
export class HandshakeLimiter {
  readonly #limiter: RateLimiter | null;
  readonly #exempt: IpMatcher;
  readonly #onRefuse: () => void;
  readonly #v6Bits: number | undefined;

  constructor(limits: HandshakeLimits) {
    this.#limiter = limits.rate > 0 ? new RateLimiter(limits.rate, Date.now(), limits.burst) : null;
    this.#exempt = limits.exempt;
    this.#onRefuse = limits.onRefuse ?? (() => {});
    this.#v6Bits = limits.v6Bits;
  }

  /** True when the upgrade was refused and answered; the caller then leaves the socket alone. */
  refuse(socket: Duplex, ip: string): boolean {
    const refusal = this.refusal(ip);
    if (refusal === null) return false;
    answerAndClose(socket, `${refusal.status} Too Many Requests`, refusal.body, refusal.headers);
    return true;
  }

  /**
   * The same check for a handshake that is answered some other way (an
   * HTTP/2 Extended CONNECT stream): null when it may go on, else the 429
   * to send. Takes a token like refuse().
   */
  refusal(ip: string): HttpRefusal | null {
    if (this.#limiter === null || this.#exempt.has(ip)) return null;
    const waitMs = this.#limiter.take(addressGroup(ip, this.#v6Bits));
    if (waitMs === 0) return null;
    this.#onRefuse();
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    return {
      status: 429,
      body: { error: `too many WebSocket handshakes from this address; retry in ${seconds} s`, code: 'RATE_LIMITED' },
      headers: { 'Retry-After': String(seconds) },
    };
  }
}
