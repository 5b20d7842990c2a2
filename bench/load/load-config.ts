/** Configuration of the load generator processes, as the runner passes it. */

/** What the pages of one process expect to receive. */
export type PageExpectation =
  /** Nothing: the pages only stay connected (idle scenario). */
  | { kind: 'none' }
  /** Message indices 0..messages-1, each to exactly one page. */
  | { kind: 'unicast'; messages: number }
  /** Message indices 0..messages-1, each to every page. */
  | { kind: 'broadcast'; messages: number }
  /** One large feedback; the page hashes its `message`. */
  | { kind: 'large' };

export interface PagesConfig {
  /** ws://host:port/web */
  url: string;
  count: number;
  subprotocol?: string;
  /** Handshakes in flight at once. */
  connectConcurrency: number;
  expect: PageExpectation;
  /** Send the pages' uuids to the runner (backends address them). */
  reportUuids: boolean;
  /** Open the pages as RFC 8441 streams spread over this many HTTP/2 connections (h2c), instead of one HTTP/1.1 connection each. */
  h2Connections?: number;
  /** Pusher pages: `url` is ws://host:port/app/KEY?protocol=7 and each page subscribes to this channel (no uuids). */
  pusherChannel?: string;
  /** Pusher pages of a private channel: the app's key and secret, to sign the subscription as an auth endpoint would. */
  pusherAuth?: { key: string; secret: string };
  maxRunMs: number;
}

/** What the backends of one process do after `go`. */
export type BackendPlan =
  /**
   * Feedback k of backend b has index b*perBackend+k and goes to
   * uuids[index % uuids.length]. Stop and wait for `next` (optionally paced),
   * or pipelined: send without waiting, pausing only while the socket's
   * own buffer is full.
   */
  | {
      kind: 'feedback';
      perBackend: number;
      messageBytes: number;
      uuids: string[];
      ratePerBackend?: number;
      pipelined?: boolean;
      /** Add `progress` to every message: with a `job` (tracked by the relay), or the same bytes under another key (not tracked). */
      progress?: 'job' | 'untracked';
    }
  /** Broadcasts, stop and wait for `next`. */
  | { kind: 'broadcast'; perBackend: number; messageBytes: number }
  /** One feedback with a message of `bytes` characters to `uuid`. */
  | { kind: 'large'; bytes: number; uuid: string }
  /**
   * Pusher clients (`url` is /app/KEY?protocol=7): each subscribes to the
   * private `channel` (signed with `secret`) and, after `go`, sends
   * `perBackend` client events pipelined, as fast as its socket takes them.
   */
  | { kind: 'client-events'; perBackend: number; messageBytes: number; channel: string; key: string; secret: string };

export interface BackendsConfig {
  /** ws://host:port/php */
  url: string;
  count: number;
  identPrefix: string;
  subprotocol?: string;
  plan: BackendPlan;
  maxRunMs: number;
}

/**
 * v2 pages that count feedback by `seq` (each page: 1, 2, 3 … exactly once,
 * in order), can lose their sockets and resume all at once, elsewhere.
 * Commands: `expect` {perPage} → `received`; `close` {terminate} →
 * `closing`, then `closed`; `resume` {url, perPage} → `resumed` {report}.
 */
export interface ResumingPagesConfig {
  /** ws://host:port/web, where the pages first connect. */
  url: string;
  count: number;
  connectConcurrency: number;
  maxRunMs: number;
}

/** What the resume storm measured, as the resuming pages report it. */
export interface ResumeStormReport {
  /** From the `resume` command to the last page having `resumed` and every message it missed. */
  stormMs: number;
  /** Pages answered `recovered:true`. */
  recovered: number;
  /** Distinct seqs received by all pages, over the whole run. */
  unique: number;
  /** A seq at or below one the page already had. */
  duplicates: number;
  /** A seq past the next one expected (a message skipped). */
  gaps: number;
}

export interface HttpPublishersConfig {
  /** http://host:port (the publishers post to /feedback or /feedback/batch). */
  baseUrl: string;
  /** Keep-alive connections, each posting one request after the other. */
  connections: number;
  /** Message k of connection c has index c*perConnection+k, to uuids[index % uuids.length]. */
  perConnection: number;
  /**
   * Messages per request: 1 posts each to /feedback; more posts them in
   * groups of this many to /feedback/batch (must divide perConnection).
   */
  batchSize: number;
  messageBytes: number;
  uuids: string[];
  /** Sent as `Authorization: Bearer <secret>`; null sends no such header. */
  secret: string | null;
  /** Count `held` (202, or in a batch's outcomes) as success: the pages are away and will resume. */
  acceptHeld?: boolean;
  /**
   * Requests of the same shape each connection makes when the runner asks
   * for a warm-up (`warm`), before the measured `go`: their messages carry
   * no marker, so the pages take them without counting them.
   */
  warmupPerConnection?: number;
  /** Publish Pusher events instead (batchSize 1): signed `POST /apps/{appId}/events` to `channel`; `uuids` is unused. */
  pusher?: { appId: string; key: string; secret: string; channel: string };
  maxRunMs: number;
}

/** The HTTP publishers' report: like the backends' (`sent` counts messages), plus the answers. */
export interface HttpPublishersReport extends BackendsReport {
  /** Requests made. */
  requests: number;
  /** Requests answered 200. */
  ok: number;
  /** Other statuses, by status code. */
  failures: Record<string, number>;
}

/** The pages' report to the runner. */
export interface PagesReport {
  /** Distinct expected messages received (per page for broadcast). */
  unique: number;
  /** The same message received again by the same page. */
  duplicates: number;
  /** Marked messages with an index outside the expected range. */
  unexpected: number;
  /** Encoded HDR histogram of end-to-end latency, µs. */
  histogram: string;
  firstReceiveUs: number;
  lastReceiveUs: number;
  /** Large: length and sha256 of the message received. */
  largeBytes?: number;
  largeSha256?: string;
}

/** The backends' report when their plan is done. */
export interface BackendsReport {
  sent: number;
  firstSendUs: number;
  lastSendUs: number;
  /** `next` frames received (v1 acknowledges every message). */
  nexts: number;
  /** `error` packets received (v2 reports e.g. unknown recipients). */
  errors: number;
  /** The first error packet, to say what went wrong. */
  firstError?: string;
  /** Large: sha256 of the message sent. */
  largeSha256?: string;
}
