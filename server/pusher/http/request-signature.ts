/**
 * The signature Pusher's HTTP API requests carry (pusher.com's "REST API
 * authentication"): the query has `auth_key`, `auth_timestamp`,
 * `auth_version=1.0`, `body_md5` (the hex MD5 of a non-empty body) and
 * `auth_signature`, the hex HMAC-SHA256 with the app's secret of
 * `METHOD\nPATH\nQUERY`, where QUERY is every other parameter with its key
 * lower-cased, sorted by key and joined as `key=value&…` with the values
 * not URL-encoded (as the Pusher SDKs sign them). Pure: the time is an argument.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { PusherApp } from '../apps/pusher-app.js';
import { PusherHttpError } from './pusher-http-error.js';

/** How far auth_timestamp may be from the relay's clock, either way (Pusher: 600 s). */
export const MAX_CLOCK_SKEW_SECONDS = 600;

/** The hex HMAC-SHA256 of `text` with `secret`, the digest every Pusher signature is. */
export function hmacHex(secret: string, text: string | Buffer): string {
  return createHmac('sha256', secret).update(text).digest('hex');
}

/** The hex MD5 of a body, as `body_md5` holds it. */
export function md5Hex(body: string | Buffer): string {
  return createHash('md5').update(body).digest('hex');
}

/**
 * The string a request's signature is computed over.
 * @example stringToSign('POST', '/apps/3/events', { auth_key: 'k', auth_timestamp: '1', auth_version: '1.0' })
 * // 'POST\n/apps/3/events\nauth_key=k&auth_timestamp=1&auth_version=1.0'
 */
export function stringToSign(method: string, path: string, params: Readonly<Record<string, string>>): string {
  const pairs: [string, string][] = [];
  for (const [key, value] of Object.entries(params)) {
    const lower = key.toLowerCase();
    if (lower !== 'auth_signature') pairs.push([lower, value]);
  }
  pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${method.toUpperCase()}\n${path}\n${pairs.map(([key, value]) => `${key}=${value}`).join('&')}`;
}

/**
 * The query parameters of a signed request, as a client (the tests, docs'
 * PHP snippet, webhooks' receivers) sends them.
 */
export function signedParams(
  app: Pick<PusherApp, 'key' | 'secret'>,
  method: string,
  path: string,
  body: string | Buffer | null,
  nowSeconds: number,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const params: Record<string, string> = { ...extra, auth_key: app.key, auth_timestamp: String(nowSeconds), auth_version: '1.0' };
  if (body !== null && body.length > 0) params.body_md5 = md5Hex(body);
  params.auth_signature = hmacHex(app.secret, stringToSign(method, path, params));
  return params;
}

/** One request as the verifier sees it. */
export interface SignedRequest {
  method: string;
  /** The path as requested (before any decoding): it is what the client signed. */
  path: string;
  /** Every query parameter, decoded; a key given twice is refused before this. */
  params: Readonly<Record<string, string>>;
  /** The body's bytes; null or empty when there is none. */
  body: Buffer | null;
}

/**
 * Check a request's signature against `app`; returns nothing when it is
 * good, else throws the refusal Pusher gives: PUSHER_AUTH_FAILED (401) for
 * a missing or wrong key, version, body_md5 or signature,
 * PUSHER_TIMESTAMP_EXPIRED (401) for a timestamp over 600 s away.
 */
export function verifySignature(app: Pick<PusherApp, 'key' | 'secret'>, request: SignedRequest, nowSeconds: number): void {
  const { params } = request;
  const key = params.auth_key;
  if (key === undefined || key === '') throw new PusherHttpError('PUSHER_AUTH_FAILED', 'auth_key is missing');
  if (key !== app.key) throw new PusherHttpError('PUSHER_AUTH_FAILED', 'auth_key is not the key of this app');
  if (params.auth_version !== '1.0') {
    throw new PusherHttpError('PUSHER_AUTH_FAILED', `auth_version must be 1.0${params.auth_version === undefined ? ' (missing)' : ''}`);
  }
  const timestamp = params.auth_timestamp ?? '';
  if (!/^\d{1,15}$/.test(timestamp)) throw new PusherHttpError('PUSHER_AUTH_FAILED', 'auth_timestamp must be a Unix time in seconds');
  if (Math.abs(Number(timestamp) - nowSeconds) > MAX_CLOCK_SKEW_SECONDS) {
    throw new PusherHttpError(
      'PUSHER_TIMESTAMP_EXPIRED',
      `auth_timestamp ${timestamp} is not within ${MAX_CLOCK_SKEW_SECONDS} s of the server's time ${Math.floor(nowSeconds)}`,
    );
  }
  const body = request.body;
  if (body !== null && body.length > 0) {
    if (params.body_md5 === undefined) throw new PusherHttpError('PUSHER_AUTH_FAILED', 'body_md5 is missing (the request has a body)');
    if (!sameHex(params.body_md5, md5Hex(body))) throw new PusherHttpError('PUSHER_AUTH_FAILED', 'body_md5 is not the MD5 of the body');
  }
  const signature = params.auth_signature;
  if (signature === undefined) throw new PusherHttpError('PUSHER_AUTH_FAILED', 'auth_signature is missing');
  if (!sameHex(signature, hmacHex(app.secret, stringToSign(request.method, request.path, params)))) {
    throw new PusherHttpError('PUSHER_AUTH_FAILED', 'auth_signature is wrong (check the secret and the string to sign)');
  }
}

/** Compare hex digests in constant time (lower-case either side: some clients write upper-case hex). */
function sameHex(given: string, expected: string): boolean {
  if (given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(given.toLowerCase(), 'latin1'), Buffer.from(expected, 'latin1'));
}
