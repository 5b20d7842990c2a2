import { timingSafeEqual } from 'node:crypto';
import { IpMatcher } from '../transport/ip-match.js';
import { HttpError } from './http-error.js';

export interface PublishAuthConfig {
  /** Bearer secret; null: publishers are admitted by IP instead. */
  publishSecret: string | null;
  /** IPs and CIDR ranges (or `self`) that may publish when there is no secret. */
  allowedIP: readonly string[];
}

/** Decides who may publish: returns null when allowed, else the refusal. */
export type PublishAuth = (authorization: string | undefined, clientIp: string) => HttpError | null;

const CHALLENGE = { 'www-authenticate': 'Bearer realm="websock"' };

/** Most client IPs whose allowedIP verdict is remembered (then the memory starts over). */
const MAX_REMEMBERED_IPS = 1024;

/**
 * Build the publish check. With a secret, `Authorization: Bearer <secret>`
 * is required (missing: 401 with a challenge; wrong: 403) and the secret is
 * compared in constant time. Without one, only `allowedIP` may publish (403).
 * Bad `allowedIP` entries throw here, at start-up, not on a request.
 */
export function publishAuth(config: PublishAuthConfig): PublishAuth {
  const secret = config.publishSecret;
  if (secret !== null && secret !== '') {
    const matches = constantTimeMatcher(secret);
    return function bearerAuth(authorization) {
      const token = bearerToken(authorization);
      if (token === null) return new HttpError('UNAUTHORIZED', undefined, CHALLENGE);
      if (!matches(token)) return new HttpError('FORBIDDEN', 'the bearer secret is wrong');
      return null;
    };
  }
  const allowed = new IpMatcher(config.allowedIP);
  // The few addresses a relay's publishers come from, remembered: a check per
  // request cost a BlockList lookup and two isIP parses. Bounded, since anyone can connect.
  const verdicts = new Map<string, boolean>();
  return function ipAuth(_authorization, clientIp) {
    let ok = verdicts.get(clientIp);
    if (ok === undefined) {
      ok = allowed.has(clientIp);
      if (verdicts.size >= MAX_REMEMBERED_IPS) verdicts.clear();
      verdicts.set(clientIp, ok);
    }
    if (ok) return null;
    return new HttpError(
      'FORBIDDEN',
      `publishing is not allowed from ${clientIp}: the relay has no publishSecret and this address is not in allowedIP`,
    );
  };
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(authorization: string | undefined): string | null {
  if (authorization === undefined) return null;
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization);
  return match ? match[1]! : null;
}

/**
 * A test of a token against the secret whose time does not depend on the
 * secret's content: the token is copied into a buffer of the secret's size
 * and compared with timingSafeEqual, and the lengths are compared apart (the
 * time may tell the token's length, which its sender knows anyway). Cheaper
 * than hashing both sides, which cost a visible share of every publish.
 */
export function constantTimeMatcher(secret: string): (token: string) => boolean {
  const expected = Buffer.from(secret, 'utf8');
  const scratch = Buffer.alloc(expected.length);
  return function matchesSecret(token: string): boolean {
    scratch.fill(0);
    scratch.write(token, 'utf8');
    const sameContent = timingSafeEqual(scratch, expected);
    return Buffer.byteLength(token, 'utf8') === expected.length && sameContent;
  };
}
