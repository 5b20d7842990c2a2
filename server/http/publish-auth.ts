import { createHash, timingSafeEqual } from 'node:crypto';
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

/**
 * Build the publish check. With a secret, `Authorization: Bearer <secret>`
 * is required (missing: 401 with a challenge; wrong: 403) and the secret is
 * compared in constant time. Without one, only `allowedIP` may publish (403).
 * Bad `allowedIP` entries throw here, at start-up, not on a request.
 */
export function publishAuth(config: PublishAuthConfig): PublishAuth {
  const secret = config.publishSecret;
  if (secret !== null && secret !== '') {
    const expected = digest(secret);
    return function bearerAuth(authorization) {
      const token = bearerToken(authorization);
      if (token === null) return new HttpError('UNAUTHORIZED', undefined, CHALLENGE);
      // Hashing first gives equal lengths, so the comparison time says nothing about the secret.
      if (!timingSafeEqual(digest(token), expected)) return new HttpError('FORBIDDEN', 'the bearer secret is wrong');
      return null;
    };
  }
  const allowed = new IpMatcher(config.allowedIP);
  return function ipAuth(_authorization, clientIp) {
    if (allowed.has(clientIp)) return null;
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

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
