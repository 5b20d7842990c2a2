import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { RateLimiter } from '../http/rate-limiter.js';
import { addressGroup } from '../limits/address-group.js';
import { IpMatcher } from '../transport/ip-match.js';

export interface DemoGuardOptions {
  /** Who may start demo jobs (demoAllowedIP; default loopback). */
  allowedIps: readonly string[];
  /** Origins allowed besides the relay's own (allowedOrigins). */
  allowedOrigins: readonly string[];
  /** The relay serves https (its own origin's scheme). */
  tls: boolean;
  /** Job requests per second per client, and how many at once. */
  ratePerSecond: number;
  burst: number;
}

/** Why a request to start a demo job is refused: the answer's status and sentence. */
export interface DemoRefusal {
  status: 403 | 415 | 429;
  error: string;
  headers?: Record<string, string>;
}

/**
 * Who may make the demo's trusted backend publish: `POST /demo/job` starts
 * a process that sends to any uuid it is given, so the endpoint is closed
 * to everyone but the demo page. Checked before the body is read:
 * - the client's address is in `demoAllowedIP` (loopback by default);
 * - requests come at most `ratePerSecond` per client;
 * - a browser's `Origin` is the relay's own, reached by `localhost` or an IP
 *   literal (a DNS-rebound name is not), or listed in `allowedOrigins`;
 *   a request without one is not from a browser's page and may go on;
 * - the body is declared `application/json`, which a cross-site form or
 *   simple `fetch` cannot send without a CORS preflight, and the relay
 *   answers none.
 */
export class DemoGuard {
  readonly #ips: IpMatcher;
  readonly #origins: ReadonlySet<string>;
  readonly #scheme: string;
  readonly #limiter: RateLimiter;

  constructor(options: DemoGuardOptions) {
    this.#ips = new IpMatcher(options.allowedIps);
    this.#origins = new Set(options.allowedOrigins);
    this.#scheme = options.tls ? 'https' : 'http';
    this.#limiter = new RateLimiter(options.ratePerSecond, Date.now(), options.burst);
  }

  /** Null when the request may start a job, else why not. */
  check(req: IncomingMessage, clientIp: string): DemoRefusal | null {
    if (!this.#ips.has(clientIp)) {
      return { status: 403, error: 'the demo job endpoint answers only the addresses in demoAllowedIP (by default this machine)' };
    }
    const waitMs = this.#limiter.take(addressGroup(clientIp));
    if (waitMs > 0) {
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      return { status: 429, error: `too many demo job requests; retry in ${seconds} s`, headers: { 'retry-after': String(seconds) } };
    }
    const origin = req.headers.origin;
    // HTTP/2 has no Host header: the authority comes as the :authority pseudo-header.
    const host = req.headers.host ?? (req.headers[':authority'] as string | undefined);
    if (origin !== undefined && !this.#originAllowed(origin, host)) {
      return { status: 403, error: "the demo job endpoint answers only the demo page's own origin" };
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') return { status: 415, error: 'send the body as JSON (Content-Type: application/json)' };
    return null;
  }

  #originAllowed(origin: string, host: string | undefined): boolean {
    if (this.#origins.has(origin)) return true;
    if (host === undefined || origin !== `${this.#scheme}://${host}`) return false;
    const name = host.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
    return name === 'localhost' || isIP(name) !== 0;
  }
}
