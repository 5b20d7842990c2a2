/**
 * The wire vocabulary shared by the relay and its clients: opcodes, packet
 * shapes, close codes and error codes. Everything else switches on these.
 * See docs/protocol.md for the prose description of each packet.
 */

/** WebSocket subprotocol that selects protocol v2 (pipelined, with outcomes). */
export const SUBPROTOCOL_V2 = 'websock.v2';

/** Text frames that frame a chunked long message (protocol v1 and v2). */
export const BUFFER_ON = 'bufferON';
export const BUFFER_OFF = 'bufferOFF';

/** Private handshake headers the original PHP clients send. */
export const HEADER_CLIENT_TYPE = 'client-type';
export const HEADER_IDENT = 'ident';
export const CLIENT_TYPE_BACKEND = 'php';

/** Opcodes a client may send. */
export const ClientOpcode = {
  Feedback: 'feedback',
  Echo: 'echo',
  Broadcast: 'broadcast',
  Quit: 'quit',
  Uuid: 'uuid',
  /** v2: resume an earlier session after a reconnect. */
  Resume: 'resume',
  /** v2 pages: a signal (e.g. cancel) to the publisher of one of the page's jobs. */
  Signal: 'signal',
  /** v2 pages: ask for a credential that publishes to one of the page's jobs only. */
  Token: 'token',
} as const;
export type ClientOpcode = (typeof ClientOpcode)[keyof typeof ClientOpcode];

/** Opcodes the relay sends. */
export const ServerOpcode = {
  Ready: 'ready',
  Next: 'next',
  Close: 'close',
  /** v2: the fate of a request that carried an `id`. */
  Outcome: 'outcome',
  /** v2: a recoverable or fatal error, with a code from ErrorCode. */
  Error: 'error',
  /** v2: answer to `resume`. */
  Resumed: 'resumed',
  /** To a page: the relay's word on one of its jobs (e.g. `lost`); numbered and retained like any message. */
  Job: 'job',
  /** To a v2 backend: a page's signal for a job it reports on. */
  Signal: 'signal',
  /** To a v2 page: the job token it asked for. */
  Token: 'token',
} as const;
export type ServerOpcode = (typeof ServerOpcode)[keyof typeof ServerOpcode];

/** The payload the original puts in its keepalive pings. */
export const PING_PAYLOAD = '{"opcode":"PING"}';

/**
 * The fields a packet is routed by, and the most characters each may have
 * (for a value that is not a string: the most characters of its JSON text).
 * Longer is BAD_PACKET, whatever the size of the message around it.
 */
export const ADDRESS_FIELDS = ['opcode', 'uuid', 'ident', 'id'] as const;
export const MAX_ADDRESS_FIELD_LENGTH = 256;

/** Structured progress a feedback may carry; the browser client renders it. */
export interface Progress {
  /** Identifies the job, so a page can show one bar per job. */
  job?: string;
  done?: number;
  total?: number;
  /** 0..100; derived from done/total when absent. */
  percent?: number;
  /** A short human status line. */
  status?: string;
  /** Final state; absent while the job runs. */
  state?: 'running' | 'done' | 'failed';
  /** HTTP publishers: seconds until the next report; silent longer and the job is `lost` (docs/protocol.md, "Jobs"). */
  ttl?: number;
}

/** The states of a job the relay tracks (docs/protocol.md, "Jobs"). */
export const JobState = {
  Running: 'running',
  Done: 'done',
  Failed: 'failed',
  /** Its publisher went away without a final state and did not come back. */
  Lost: 'lost',
} as const;
export type JobState = (typeof JobState)[keyof typeof JobState];

/** Why a job was declared lost. */
export const JobLostReason = {
  /** The publisher's connection closed and nobody reported within `jobGrace`. */
  PublisherGone: 'publisher-gone',
  /** An HTTP publisher's lease (`progress.ttl`) lapsed. */
  LeaseExpired: 'lease-expired',
  /** The relay restarted while the job ran, and nobody reported within `jobGrace` after the page came back. */
  RelayRestarted: 'relay-restarted',
} as const;
export type JobLostReason = (typeof JobLostReason)[keyof typeof JobLostReason];

/** `{"opcode":"job",...}`: to a page, about one of its jobs. */
export interface JobPacket {
  opcode: 'job';
  job: string | number;
  state: JobState;
  reason?: JobLostReason;
  seq?: number;
}

/** A page's signal to one of its jobs: `{"opcode":"signal","job":J,"signal":"cancel","data":…}`. */
export interface SignalPacket {
  opcode: 'signal';
  job: string | number;
  /** Any name; `cancel` is the one the helpers know. */
  signal: string;
  data?: unknown;
  id?: string | number;
}

/** The signal as the job's publisher gets it (v2 backend frame, HTTP `signals` entry). */
export interface JobSignal {
  opcode: 'signal';
  /** The page's uuid (as the publisher addressed it). */
  uuid: string;
  job: string | number;
  signal: string;
  data?: unknown;
}

/** A page's request for a job token: `{"opcode":"token","job":J,"ttl":S}` (ttl: seconds, default 3600, at most 86400). */
export interface TokenRequestPacket {
  opcode: 'token';
  job: string | number;
  ttl?: number;
  id?: string | number;
}

/** The answer: a token for that page and job until `expires` (Unix seconds). */
export interface TokenPacket {
  opcode: 'token';
  job: string | number;
  token: string;
  expires: number;
  id?: string | number;
}

/** The signal name the helpers (clients, demo) act on. */
export const CANCEL_SIGNAL = 'cancel';

export interface FeedbackPacket {
  opcode: 'feedback';
  /** Recipient page's uuid (signed or bare). */
  uuid?: string;
  /** Recipient script's Ident; wins over uuid when non-empty. */
  ident?: string;
  message?: unknown;
  progress?: Progress;
  /** v2: ask for an outcome. */
  id?: string | number;
  /** Sequence number, added by the relay on messages to resumable pages. */
  seq?: number;
  [extra: string]: unknown;
}

export interface EchoPacket {
  opcode: 'echo';
  message?: unknown;
  id?: string | number;
  [extra: string]: unknown;
}

export interface BroadcastPacket {
  opcode: 'broadcast';
  message?: unknown;
  id?: string | number;
  [extra: string]: unknown;
}

export interface QuitPacket {
  opcode: 'quit';
  [extra: string]: unknown;
}

export interface UuidPacket {
  opcode: 'uuid';
  message: string;
  [extra: string]: unknown;
}

export interface ResumePacket {
  opcode: 'resume';
  /** The signed uuid the page had. */
  uuid: string;
  /** The resumeToken `ready` gave with that uuid (the uuid alone does not resume). */
  resumeToken: string;
  /** The last sequence number the page saw (0 when none). */
  lastSeq: number;
  /** The epoch of that number (from `ready` or `resumed`); without it any epoch matches. */
  epoch?: string;
  id?: string | number;
}

export type ClientPacket = FeedbackPacket | EchoPacket | BroadcastPacket | QuitPacket | UuidPacket | ResumePacket;

export interface ResumedPacket {
  opcode: 'resumed';
  uuid: string;
  /** The session's resumeToken (unchanged), for the next resume. */
  resumeToken: string;
  /** False when some missed messages are gone: refetch state. */
  recovered: boolean;
  /** Newest sequence number issued to this page. */
  lastSeq: number;
  /** The epoch the page's numbers belong to from now on (only to a resume that carried an epoch). */
  epoch?: string;
  id?: string | number;
}

export interface ReadyPacket {
  opcode: 'ready';
  uuid: string;
  /** v2 only: the negotiated protocol version. */
  protocol?: 1 | 2;
  /** v2 pages only: the secret that resumes this session; keep it to yourself. */
  resumeToken?: string;
  /** v2 pages only: the epoch of the page's sequence numbers (sent back in `resume`). */
  epoch?: string;
}

export interface NextPacket {
  opcode: 'next';
  fyi: string;
}

export interface ClosePacket {
  opcode: 'close';
  error?: string;
}

/** What became of a published message. */
export const Outcome = {
  /** Written to the recipient's socket. */
  Delivered: 'delivered',
  /** Recipient offline but resumable: kept and replayed on resume. */
  Held: 'held',
  /** No such recipient. */
  Unknown: 'unknown',
  /** The recipient (a v1 client) is too far behind: the message was not written. */
  Dropped: 'dropped',
  /** The engine could not say (e.g. Redis unreachable): it may not have arrived; publish again. */
  Failed: 'failed',
} as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

export interface OutcomePacket {
  opcode: 'outcome';
  id: string | number;
  outcome: Outcome;
  /** For broadcast: how many recipients got it. */
  count?: number;
}

export interface ErrorPacket {
  opcode: 'error';
  id?: string | number;
  code: ErrorCode;
  error: string;
}

/** RFC 6455 close codes the relay uses. */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  UnsupportedData: 1003,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  InternalError: 1011,
  TryAgainLater: 1013,
  // Pusher protocol closes (include/pusher-protocol.ts): pusher-js reads the range.
  PusherUnknownApp: 4001,
  PusherBadProtocol: 4007,
  PusherNoProtocol: 4008,
  PusherUnauthorized: 4009,
  PusherOverCapacity: 4100,
  PusherReconnect: 4200,
  PusherPongTimeout: 4201,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * Stable error codes. `close` is the RFC 6455 code the connection is closed
 * with, or null when the error is recoverable and the connection stays open.
 */
export const ErrorCodes = {
  BAD_JSON: { close: CloseCode.InvalidPayload, text: 'the message is not valid JSON' },
  NOT_AN_OBJECT: { close: null, text: 'the message must be a JSON object with an opcode' },
  UNKNOWN_OPCODE: { close: null, text: 'unknown opcode' },
  BAD_PACKET: { close: null, text: 'a field of the packet is missing or has the wrong type' },
  UNKNOWN_RECIPIENT: { close: null, text: 'no client has this uuid or ident' },
  RECIPIENT_SLOW: { close: null, text: 'the recipient is not reading; the message was dropped' },
  TOO_LARGE: { close: CloseCode.MessageTooBig, text: 'the message exceeds the maximum message size' },
  TOO_MANY_CHUNKS: { close: CloseCode.MessageTooBig, text: 'the chunked message has too many chunks' },
  BINARY_FRAME: { close: CloseCode.UnsupportedData, text: 'binary frames are not accepted: send text' },
  BAD_UUID: { close: null, text: 'the uuid is not one this relay signed' },
  /** `uuid` of a signed uuid that a live connection or an away page's session holds. */
  UUID_TAKEN: {
    close: null,
    text: 'the uuid is held by a live connection or by a page session waiting to resume (resume it with its resumeToken)',
  },
  RESUME_FAILED: { close: null, text: 'the session cannot be resumed' },
  ENGINE_FAILED: {
    close: null,
    text: 'the relay could not tell whether the message arrived (its engine is unreachable); publish it again',
  },
  OVERLOADED: { close: CloseCode.TryAgainLater, text: 'the connection is too far behind; reconnect later' },
  /** Refused by the publish policy (docs/protocol.md, "Who may publish to whom"); the connection stays open. */
  FORBIDDEN: { close: null, text: 'not allowed' },
  SHUTTING_DOWN: { close: CloseCode.GoingAway, text: 'the relay is shutting down' },
  /** A signal for a job this page has none of, or that the relay tracks no longer. */
  UNKNOWN_JOB: { close: null, text: 'this page has no such job' },
  /** Unfinished messages of all clients are at inFlightTotal: this one would go over it. */
  IN_FLIGHT_FULL: {
    close: CloseCode.TryAgainLater,
    text: 'the relay holds too many unfinished messages (inFlightTotal); send it again later',
  },
  /** A fragmented or bufferON…bufferOFF message not finished within messageTimeout. */
  MESSAGE_TIMEOUT: { close: CloseCode.PolicyViolation, text: 'the message was not finished within messageTimeout' },
} as const satisfies Record<string, { close: CloseCode | null; text: string }>;
export type ErrorCode = keyof typeof ErrorCodes;

/** Is this a JSON object packet with a string opcode? */
export function isPacket(value: unknown): value is { opcode: string; [k: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as { opcode?: unknown }).opcode === 'string';
}
