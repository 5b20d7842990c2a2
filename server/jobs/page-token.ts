import { ServerOpcode } from '../../include/protocol.js';
import type { Delivery } from '../delivery/delivery.js';
import type { ResourceContext } from '../resources/resource.js';
import type { Connection } from '../transport/connection.js';
import { jobName } from './job-report.js';
import { DEFAULT_TOKEN_TTL_S, MAX_TOKEN_TTL_S, type JobTokens } from './job-token.js';

/**
 * `{"opcode":"token","job":J,"ttl":S,"id":…}` from a v2 page: a credential
 * for that page's job J, valid S seconds (default 3600, at most 86400),
 * answered to the page alone (never logged nor retained):
 * `{"opcode":"token","job":J,"token":T,"expires":<unix seconds>,"id":…}`.
 */
export function handlePageToken(
  tokens: JobTokens,
  delivery: Delivery,
  ctx: ResourceContext,
  conn: Connection,
  packet: { [field: string]: unknown },
): void {
  const id = packet.id;
  if (conn.protocol !== 2 || conn.kind !== 'browser') {
    ctx.error(conn, 'FORBIDDEN', id, 'only v2 pages ask for job tokens, for their own jobs');
    return;
  }
  const job = jobName(packet.job);
  const ttl = packet.ttl ?? DEFAULT_TOKEN_TTL_S;
  if (job === null || typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 1 || ttl > MAX_TOKEN_TTL_S) {
    ctx.error(conn, 'BAD_PACKET', id, `token needs a "job" (string or number) and, if any, a "ttl" of 1 to ${MAX_TOKEN_TTL_S} seconds`);
    return;
  }
  const { token, expires } = tokens.mint(conn.uuid, job, ttl);
  const answer: { opcode: string; job: unknown; token: string; expires: number; id?: unknown } = {
    opcode: ServerOpcode.Token,
    job: packet.job,
    token,
    expires,
  };
  if (id !== undefined) answer.id = id;
  delivery.reply(conn, JSON.stringify(answer));
}
