import type { ClientError } from './client-error.js';
import type { JobSignal } from '../include/protocol.js';
import type { ReceivedPacket } from './packets.js';

/** After a reconnect: who we are now, and whether the old session came back. */
export interface ReconnectInfo {
  uuid: string;
  previousUuid: string;
  /** How many attempts it took (1 = the first retry worked). */
  attempt: number;
  protocol: 1 | 2;
  /** v2: the relay gave us our old uuid back. */
  resumed: boolean;
  /** v2: and every message we missed will follow (false: some were lost). */
  recovered: boolean;
}

/** Before each reconnect attempt. */
export interface ReconnectingInfo {
  attempt: number;
  delayMs: number;
  /** Why the connection was lost, or why the previous attempt failed. */
  error: ClientError;
}

/** Events of a RelayClient. */
export interface RelayClientEvents {
  /** A packet for us: feedback to our ident or uuid, an echo, replayed messages... */
  message: [packet: ReceivedPacket];
  /** The client is finished: after close() (no error) or after a loss it will not recover from. */
  close: [error: ClientError | undefined];
  /** The connection was lost and a reconnect is coming (reconnect enabled). */
  disconnect: [error: ClientError];
  reconnecting: [info: ReconnectingInfo];
  reconnect: [info: ReconnectInfo];
  /**
   * v2 backends: a page signals a job we report on (`{"opcode":"signal","uuid","job","signal","data"?}`);
   * `signal.signal === 'cancel'` asks the job to stop. Not a 'message'.
   */
  signal: [signal: JobSignal];
  /**
   * A v2 error packet that answers none of our requests (those reject the
   * request instead). As with any Node emitter, unhandled 'error' throws.
   */
  error: [error: ClientError];
}
