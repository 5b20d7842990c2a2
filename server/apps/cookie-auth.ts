/**
 * An authentication hook: preConnect admits a page only with a session
 * cookie your web application signed, and attaches the user to the
 * connection (`conn.data.user`) for every app and hook after it.
 *
 * The cookie is `USER.EXPIRES.SIGNATURE`: USER base64url-encoded, EXPIRES
 * in Unix seconds, SIGNATURE the base64url HMAC-SHA256 of `USER.EXPIRES`
 * with `secret`. Your web application makes it with `signSessionCookie`
 * (or the same three lines in PHP: hash_hmac('sha256', ..., true)).
 * Backends (`Client-Type: php`) are not asked for a cookie: allowedIP
 * already decides who they are.
 *
 *   [apps]
 *   auth = /path/to/websock-relay/dist/server/apps/cookie-auth.js
 *
 *   [app:auth]
 *   secret = the-same-secret-as-the-web-application
 *   cookie = websock_session
 *   paths = /web, /chat
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { defineApp } from './app.js';

/** The close code of a refused page: 4000 + HTTP 401. */
export const NOT_SIGNED_IN = 4401;

export interface SignedInUser {
  user: string;
}

const settings = {
  secret: { type: 'text', required: true, doc: 'the HMAC key the web application signs the cookie with' },
  cookie: { type: 'text', default: 'websock_session' },
  paths: { type: 'list', default: [], doc: 'paths that need the cookie; empty: every path' },
} as const;

let config: { secret: string; cookie: string; paths: string[] } | null = null;

export default defineApp<SignedInUser, typeof settings>({
  settings,
  setup({ settings: values }) {
    config = { secret: values.secret, cookie: values.cookie, paths: values.paths };
  },
  hooks: {
    preConnect(conn, request) {
      if (config === null || conn.kind === 'backend') return;
      if (config.paths.length > 0 && !config.paths.includes(conn.resource)) return;
      const cookie = readCookie(request, config.cookie);
      if (cookie === null) return { refuse: 'not signed in', code: NOT_SIGNED_IN };
      const user = verifySessionCookie(cookie, config.secret);
      if (user === null) return { refuse: 'the session is invalid or has expired', code: NOT_SIGNED_IN };
      conn.data = { user };
    },
  },
});

/** The cookie value your web application sets for `user` (valid until `expiresAt`, Unix seconds). */
export function signSessionCookie(user: string, secret: string, expiresAt: number): string {
  const payload = `${Buffer.from(user).toString('base64url')}.${Math.floor(expiresAt)}`;
  return `${payload}.${signature(payload, secret)}`;
}

/** The user of a valid, unexpired cookie, else null. */
export function verifySessionCookie(value: string, secret: string, now = Date.now()): string | null {
  const parts = value.split('.');
  if (parts.length !== 3) return null;
  const [user, expires, given] = parts as [string, string, string];
  if (!/^\d{1,12}$/.test(expires) || Number(expires) * 1000 <= now) return null;
  const expected = Buffer.from(signature(`${user}.${expires}`, secret));
  const actual = Buffer.from(given);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return null;
  return Buffer.from(user, 'base64url').toString('utf8');
}

function signature(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

/** The named cookie of the handshake request, or null. */
function readCookie(request: IncomingMessage, name: string): string | null {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return safeDecode(part.slice(eq + 1).trim());
  }
  return null;
}

function safeDecode(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}
