import { ServerOpcode } from '../../include/protocol.js';
import type { Delivery } from '../delivery/delivery.js';
import type { Presence } from '../engine/presence.js';
import type { Logger } from '../logger/logger.js';
import type { UuidSigner } from '../protocol/uuid-signer.js';
import type { ResourceContext } from '../resources/resource.js';
import type { Connection } from '../transport/connection.js';
import type { Hub } from './hub.js';
import type { SessionStore } from './session-store.js';

export interface ResumeDeps {
  signer: UuidSigner;
  hub: Hub;
  sessions: SessionStore;
  presence: Presence;
  delivery: Delivery;
  ctx: ResourceContext;
  logger: Logger;
  /** Called once the page is resumed and caught up, with the `jobs` the page listed (server/jobs/resume-check.ts). */
  onResumed?: (key: string, uuid: string, jobs: unknown) => Promise<void>;
}

/**
 * `{"opcode":"resume","uuid":<signed>,"resumeToken":T,"lastSeq":N,"epoch":E}`
 * from a v2 page that reconnected, to this node or any other: it gets its
 * old uuid back, `resumed` says whether the gap was filled (never when the
 * epoch is not the log's), then the missed messages follow in order before
 * any live one. The signed uuid alone is an address others may know
 * (`from`, `fromUUID`); only the resumeToken, which `ready` gave that page
 * alone, resumes the session or displaces the connection holding it.
 */
export function handleResume(deps: ResumeDeps, conn: Connection, packet: { [field: string]: unknown }): void {
  const id = packet.id;
  if (conn.protocol !== 2 || conn.kind !== 'browser') {
    deps.ctx.error(conn, 'RESUME_FAILED', id, 'only v2 pages can resume');
    return;
  }
  const uuid = packet.uuid;
  const lastSeq = packet.lastSeq ?? 0;
  const epoch = packet.epoch ?? null;
  if (
    typeof uuid !== 'string' ||
    typeof lastSeq !== 'number' ||
    !Number.isInteger(lastSeq) ||
    lastSeq < 0 ||
    (epoch !== null && (typeof epoch !== 'string' || epoch.length > 64))
  ) {
    deps.ctx.error(conn, 'BAD_PACKET', id, 'resume needs a uuid string, a lastSeq integer >= 0 and, if any, an epoch string');
    return;
  }
  const key = deps.signer.verify(uuid);
  if (key === null) {
    deps.ctx.error(conn, 'BAD_UUID', id);
    return;
  }
  if (!deps.signer.verifyResumeToken(key, packet.resumeToken)) {
    deps.ctx.error(conn, 'RESUME_FAILED', id, 'the resumeToken is missing or wrong');
    return;
  }
  const holder = deps.hub.byKey(key);
  if (holder && holder !== conn && holder.open && deps.sessions.get(key)?.conn !== holder) {
    // A live connection that is not a resumable page (a backend, a v1 page) keeps its uuid:
    // pages learn backends' uuids from `fromUUID` and must not take their messages.
    deps.ctx.error(conn, 'RESUME_FAILED', id, 'the uuid belongs to a live connection that is not a v2 page');
    return;
  }
  resume(deps, conn, key, uuid, { seq: lastSeq, epoch: epoch as string | null }, id, packet.jobs).catch((error: Error) => {
    deps.logger.warn('resume failed', { client: conn.id, reason: error.message });
    if (conn.open) deps.ctx.error(conn, 'ENGINE_FAILED', id, 'the session log could not be read');
  });
}

async function resume(
  deps: ResumeDeps,
  conn: Connection,
  key: string,
  uuid: string,
  from: { seq: number; epoch: string | null },
  id: unknown,
  jobs: unknown,
): Promise<void> {
  const previousKey = conn.key;
  // Announced before the log is read: whatever is appended from now on comes here live.
  await deps.presence.hold({ kind: 'uuid', key });
  const result = await deps.sessions.resume(conn, key, uuid, from);
  if (!conn.open) {
    // Closed while the log was read: the session waits for the next resume.
    deps.sessions.detachSession(result.session, conn);
    return;
  }
  deps.hub.rekey(conn, key, uuid);
  if (previousKey !== key) void deps.presence.release({ kind: 'uuid', key: previousKey }).catch(() => {});
  const answer: { opcode: string; uuid: string; resumeToken: string; recovered: boolean; lastSeq: number; epoch?: string; id?: unknown } = {
    opcode: ServerOpcode.Resumed,
    uuid,
    resumeToken: deps.signer.resumeToken(key),
    recovered: result.recovered,
    lastSeq: result.session.lastSeq,
  };
  // Told to clients that know epochs (they sent one); older clients get the packet they know.
  if (from.epoch !== null) answer.epoch = result.session.epoch;
  if (id !== undefined) answer.id = id;
  deps.delivery.reply(conn, JSON.stringify(answer));
  for (const item of result.replay) deps.delivery.sequenced(conn, item.text, 'replay');
  // Appended while the log was being read: written now, after the replay, in order.
  await deps.sessions.catchUp(result.session);
  if (deps.onResumed !== undefined && conn.open) await deps.onResumed(key, uuid, jobs);
}
