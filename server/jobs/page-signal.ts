import { Outcome, ServerOpcode, type JobSignal } from '../../include/protocol.js';
import type { ResourceContext } from '../resources/resource.js';
import type { Connection } from '../transport/connection.js';
import { jobName } from './job-report.js';
import type { JobTracker } from './job-tracker.js';

/** Longest signal name. */
const MAX_SIGNAL_NAME = 64;
/** Most characters of a signal's `data` as JSON (it waits in memory for HTTP publishers). */
export const MAX_SIGNAL_DATA = 4096;

/**
 * `{"opcode":"signal","job":J,"signal":S,"data":…,"id":…}` from a v2 page:
 * to the publisher of the page's own job J, on this node or any other (the page's routing key is the
 * only page it can name; a `uuid` other than its own is FORBIDDEN). The page
 * learns `delivered`, `held` or `unknown` in an outcome when it sent an
 * `id`; without one, `unknown` is an UNKNOWN_JOB error (never silent).
 */
export function handlePageSignal(jobs: JobTracker, ctx: ResourceContext, conn: Connection, packet: { [field: string]: unknown }): void {
  const id = packet.id;
  if (conn.protocol !== 2 || conn.kind !== 'browser') {
    ctx.error(conn, 'FORBIDDEN', id, 'only v2 pages send signals, to their own jobs');
    return;
  }
  if (packet.uuid !== undefined && packet.uuid !== conn.uuid) {
    ctx.error(conn, 'FORBIDDEN', id, "a page can only signal its own jobs (leave out uuid, or give the page's own)");
    return;
  }
  const job = jobName(packet.job);
  const name = packet.signal;
  if (job === null || typeof name !== 'string' || name === '' || name.length > MAX_SIGNAL_NAME) {
    ctx.error(conn, 'BAD_PACKET', id, `signal needs a "job" (string or number) and a "signal" name of 1 to ${MAX_SIGNAL_NAME} characters`);
    return;
  }
  const record = jobs.get(conn.key, job);
  const frame: JobSignal = { opcode: ServerOpcode.Signal, uuid: record?.uuid ?? conn.uuid, job: record?.job ?? job, signal: name };
  if (packet.data !== undefined) {
    const text = JSON.stringify(packet.data);
    if (text.length > MAX_SIGNAL_DATA) {
      ctx.error(conn, 'BAD_PACKET', id, `a signal's "data" may have at most ${MAX_SIGNAL_DATA} characters of JSON`);
      return;
    }
    frame.data = packet.data;
  }
  const routed = jobs.route(conn.key, job, frame);
  const answer = (outcome: Outcome): void => {
    if (!conn.open) return;
    if (id !== undefined) ctx.outcome(conn, id, outcome);
    else if (outcome === Outcome.Unknown) ctx.error(conn, 'UNKNOWN_JOB', undefined, `no running job "${job.slice(0, 64)}"`);
  };
  // A job of this node is answered in this call; one on another node when that node answered.
  if (typeof routed === 'string') answer(routed);
  else void routed.then(answer);
}
