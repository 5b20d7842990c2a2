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
  const matches = secretMatcher(config.publishSecret);
  if (matches !== null) {
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

/** The constant-time test of a bearer against the publishSecret; null when there is none (unset or empty). */
export function secretMatcher(secret: string | null): ((token: string) => boolean) | null {
  return secret !== null && secret !== '' ? constantTimeMatcher(secret) : null;
}

/** The last header read and its token: a publisher sends the same header with every request. */
let lastAuthorization: string | undefined;
let lastToken: string | null = null;

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(authorization: string | undefined): string | null {
  if (authorization === undefined) return null;
  if (authorization === lastAuthorization) return lastToken;
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization);
  lastAuthorization = authorization;
  lastToken = match ? match[1]! : null;
  return lastToken;
}

/**
 * A test of a token against the secret whose time does not depend on the
 * secret's content: every UTF-16 unit of the secret is compared, the
 * differences gathered with OR, with no early exit (what timingSafeEqual
 * does with bytes), and the lengths are compared apart (the time may tell
 * the token's length, which its sender knows anyway). Done on the strings:
 * copying the token into a buffer for timingSafeEqual cost three native
 * calls per publish, hashing both sides more.
 */
export function constantTimeMatcher(secret: string): (token: string) => boolean {
  const length = secret.length;
  return function matchesSecret(token: string): boolean {
    let difference = token.length ^ length;
    // Past its end a shorter token reads as 0 (NaN | 0), which still differs from the secret's unit or from the length.
    for (let i = 0; i < length; i++) difference |= (token.charCodeAt(i) | 0) ^ secret.charCodeAt(i);
    return difference === 0;
  };
}
