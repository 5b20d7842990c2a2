import type { Server } from 'node:net';
import type { Duplex } from 'node:stream';
import type { IpMatcher } from '../transport/ip-match.js';
import { normalizeIp } from '../transport/ip-match.js';
import { addressGroup } from './address-group.js';
import { answerAndClose } from './raw-answer.js';

/**
 * Caps the plain HTTP connections one client holds open at once (idle
 * keep-alive ones, slow uploads, sockets that have not sent a request yet).
 * A connection past the cap is answered `429` and closed before its request
 * is read. A connection that becomes a WebSocket stops counting here:
 * `maxPerIP` counts those. Clients are counted by the socket's peer address
 * group (an IPv6 /64 is one); allowedIP and trusted proxies are not capped,
 * since behind a proxy every client shares its address.
 */
export class HttpConnectionCap {
  readonly #max: number;
  readonly #exempt: IpMatcher;
  readonly #open = new Map<string, number>();
  readonly #counted = new WeakMap<Duplex, string>();
  /** Connections refused so far. */
  refused = 0;

  readonly #v6Bits: number | undefined;

  /** `v6Bits`: how much of an IPv6 address is one client (the `ipv6Prefix` key; default a /64). */
  constructor(max: number, exempt: IpMatcher, v6Bits?: number) {
    this.#max = max;
    this.#exempt = exempt;
    this.#v6Bits = v6Bits;
  }

  /** Count the connections of `server` (TLS ones once their handshake is done). */
  watch(server: Server, tls: boolean): void {
    if (this.#max <= 0) return;
    server.on(tls ? 'secureConnection' : 'connection', (socket: Duplex) => this.#admit(socket));
    server.on('upgrade', (_req: unknown, socket: Duplex) => this.#release(socket));
  }

  /** Connections counted for an address right now (for tests and metrics). */
  openFrom(ip: string): number {
    return this.#open.get(addressGroup(ip, this.#v6Bits)) ?? 0;
  }

  #admit(socket: Duplex): void {
    const ip = normalizeIp((socket as { remoteAddress?: string }).remoteAddress ?? '');
    if (this.#exempt.has(ip)) return;
    const key = addressGroup(ip, this.#v6Bits);
    const open = this.#open.get(key) ?? 0;
    if (open >= this.#max) {
      this.refused++;
      answerAndClose(socket, '429 Too Many Requests', {
        error: `too many open HTTP connections from this address (limit ${this.#max})`,
        code: 'RATE_LIMITED',
      });
      return;
    }
    this.#open.set(key, open + 1);
    this.#counted.set(socket, key);
    socket.once('close', () => this.#release(socket));
  }

  #release(socket: Duplex): void {
    const key = this.#counted.get(socket);
    if (key === undefined) return;
    this.#counted.delete(socket);
    const left = (this.#open.get(key) ?? 1) - 1;
    if (left <= 0) this.#open.delete(key);
    else this.#open.set(key, left);
  }
}
