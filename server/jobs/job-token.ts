import { createHmac, timingSafeEqual } from 'node:crypto';
import { routingKey } from '../protocol/uuid-signer.js';

/** Longest lifetime a page may ask for its job token, in seconds (and the default). */
export const MAX_TOKEN_TTL_S = 86_400;
export const DEFAULT_TOKEN_TTL_S = 3_600;

/** What a valid job token opens: publishing to one page's one job, and reading its signals. */
export interface JobScope {
  /** The page's uuid as it was when the token was made (signed), and its routing key. */
  readonly uuid: string;
  readonly key: string;
  /** The job's text. */
  readonly job: string;
  /** Unix seconds after which the token is refused. */
  readonly expires: number;
}

/** Why a token is refused, in words for its holder. */
export type TokenRefusal = 'malformed' | 'tampered' | 'expired';

const LABEL = 'websock-job-token\n';
const SHAPE = /^[A-Za-z0-9_-]{8,2048}\.[A-Za-z0-9_-]{43}$/;

/**
 * Per-job credentials: `base64url(JSON {u, j, e}) . base64url(HMAC-SHA256(secret, label + payload))`.
 * Bound to the page's uuid, the job and an expiry; nothing is stored: any
 * relay with the same `secret` checks it. The label keeps it apart from the
 * relay's other HMACs (uuid signatures, resumeTokens).
 */
export class JobTokens {
  readonly #secret: string;

  constructor(secret: string) {
    this.#secret = secret;
  }

  /** A token for `uuid`'s job, valid for `ttlS` seconds from `nowMs`. */
  mint(uuid: string, job: string, ttlS: number, nowMs = Date.now()): { token: string; expires: number } {
    const expires = Math.floor(nowMs / 1000) + Math.max(1, Math.min(MAX_TOKEN_TTL_S, Math.floor(ttlS)));
    const payload = Buffer.from(JSON.stringify({ u: uuid, j: job, e: expires })).toString('base64url');
    return { token: `${payload}.${this.#mac(payload).toString('base64url')}`, expires };
  }

  /** Could this bearer be a job token (rather than a publishSecret)? Cheap: its shape only. */
  static looksLikeToken(text: string): boolean {
    return SHAPE.test(text);
  }

  /** The scope of a valid token, or why it is refused. */
  verify(token: string, nowMs = Date.now()): JobScope | TokenRefusal {
    if (!SHAPE.test(token)) return 'malformed';
    const dot = token.indexOf('.');
    const payload = token.slice(0, dot);
    // Compared as text: base64url's last character carries unused bits, so decoding first would
    // accept several spellings of one MAC (a token must have exactly one).
    const given = Buffer.from(token.slice(dot + 1));
    const expected = Buffer.from(this.#mac(payload).toString('base64url'));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'tampered';
    let fields: { u?: unknown; j?: unknown; e?: unknown };
    try {
      fields = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof fields;
    } catch {
      return 'malformed';
    }
    const { u, j, e } = fields;
    if (typeof u !== 'string' || typeof j !== 'string' || typeof e !== 'number') return 'malformed';
    if (e * 1000 <= nowMs) return 'expired';
    return { uuid: u, key: routingKey(u), job: j, expires: e };
  }

  #mac(payload: string): Buffer {
    return createHmac('sha256', this.#secret).update(LABEL).update(payload).digest();
  }
}

/** The sentence for a refused token. */
export function refusalText(refusal: TokenRefusal): string {
  switch (refusal) {
    case 'malformed':
      return 'the job token is malformed';
    case 'tampered':
      return "the job token's signature is wrong (altered, or made by a relay with another secret)";
    case 'expired':
      return 'the job token has expired: ask the page for a new one';
  }
}

/**
 * Why a feedback may not go out under `scope`, or null when it may: it must
 * name the token's page (or no uuid: the token's is used) and no Ident or
 * channel, and carry `progress.job` equal to the token's job.
 */
export function scopeProblem(scope: Pick<JobScope, 'key' | 'job'>, packet: { readonly [field: string]: unknown }): string | null {
  const { uuid, ident, channel } = packet;
  if ((typeof ident === 'string' && ident !== '') || (typeof channel === 'string' && channel !== ''))
    return 'a job token publishes only to its own page, not to an ident or a channel';
  if (typeof uuid === 'string' && uuid !== '' && routingKey(uuid) !== scope.key) return 'the job token is for another page';
  const progress = packet.progress;
  const job = typeof progress === 'object' && progress !== null ? (progress as { job?: unknown }).job : undefined;
  if (job === undefined || String(job) !== scope.job) return `the job token is for job "${scope.job.slice(0, 64)}": put it in progress.job`;
  return null;
}
