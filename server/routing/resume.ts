import { ServerOpcode } from '../../include/protocol.js';
import type { UuidSigner } from '../protocol/uuid-signer.js';
import type { ResourceContext } from '../resources/resource.js';
import type { Connection } from '../transport/connection.js';
import type { Hub } from './hub.js';
import type { SessionStore } from './session-store.js';

export interface ResumeDeps {
  signer: UuidSigner;
  hub: Hub;
  sessions: SessionStore;
  ctx: ResourceContext;
}

/**
 * `{"opcode":"resume","uuid":<signed>,"resumeToken":T,"lastSeq":N}` from a
 * v2 page that reconnected: it gets its old uuid back, `resumed` says whether
 * the gap was filled, then the missed messages follow in order before any
 * live one. The signed uuid alone is an address others may know (`from`,
 * `fromUUID`); only the resumeToken, which `ready` gave that page alone,
 * resumes the session or displaces the connection holding it.
 */
export function handleResume(deps: ResumeDeps, conn: Connection, packet: { [field: string]: unknown }): void {
  const id = packet.id;
  if (conn.protocol !== 2 || conn.kind !== 'browser') {
    deps.ctx.error(conn, 'RESUME_FAILED', id, 'only v2 pages can resume');
    return;
  }
  const uuid = packet.uuid;
  const lastSeq = packet.lastSeq ?? 0;
  if (typeof uuid !== 'string' || typeof lastSeq !== 'number' || !Number.isInteger(lastSeq) || lastSeq < 0) {
    deps.ctx.error(conn, 'BAD_PACKET', id, 'resume needs a uuid string and a lastSeq integer >= 0');
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
  const result = deps.sessions.resume(conn, key, uuid, lastSeq);
  deps.hub.rekey(conn, key, uuid);
  const answer: { opcode: string; uuid: string; resumeToken: string; recovered: boolean; lastSeq: number; id?: unknown } = {
    opcode: ServerOpcode.Resumed,
    uuid,
    resumeToken: deps.signer.resumeToken(key),
    recovered: result.recovered,
    lastSeq: result.session.lastSeq,
  };
  if (id !== undefined) answer.id = id;
  conn.reply(JSON.stringify(answer));
  for (const item of result.replay) conn.send(item.text);
}
