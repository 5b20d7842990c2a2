import type { JobLostReason, JobState } from '../../include/protocol.js';

/** A WebSocket publisher of this node, as the tracker needs it. */
export interface SocketPublisher {
  readonly kind: 'socket';
  /** The connection's id on this node. */
  readonly id: number;
  /** Writes a signal frame through the Delivery; false when it was not written. Null: a v1 backend, which cannot read unsolicited frames. */
  readonly send: ((text: string) => boolean) | null;
}

/** Who last reported progress for a job. */
export type JobPublisher =
  | SocketPublisher
  /** The HTTP API (a plain request, or a job token). */
  | { readonly kind: 'http' }
  /** Known only from the session log (the relay restarted while the job ran). */
  | { readonly kind: 'none' };

/** One job of one page, as the tracker keeps it. */
export interface JobRecord {
  /** The page's routing key. */
  readonly key: string;
  /** The job id as its publisher wrote it (string or number). */
  readonly job: string | number;
  /** Its text: the map key. */
  readonly name: string;
  state: JobState;
  reason: JobLostReason | null;
  publisher: JobPublisher;
  /**
   * The node the cluster's directory should name as this job's owner for this
   * node to declare it lost: this node for its own publishers, a dead node
   * (or '' when none was recorded) for a job suspected after a restart.
   */
  owner: string;
  /** Wall-clock ms this node last claimed the job in the directory (0: not claimed). */
  claimed: number;
  /** True while the publisher's connection is closed and its grace runs. */
  away: boolean;
  /** The page's uuid as the publisher addressed it (signals name it back). */
  uuid: string;
  /** Wall-clock ms of the last report or state change. */
  updated: number;
  /** The lost timer: grace after a close, an HTTP lease, or the wait after a restart. */
  timer: NodeJS.Timeout | null;
  /** Signals waiting for a publisher that cannot be written to now (HTTP, v1, reconnecting). */
  signals: object[] | null;
}

/** Is the job over? */
export function isFinal(state: JobState): boolean {
  return state !== 'running';
}
