import { Outcome } from '../../include/protocol.js';

/**
 * Who a publication is for. The union is discriminated by `kind`, so the
 * channels of a later issue are one more member (`{ kind: 'channel' }`).
 */
export type PublishTarget =
  /** The connection (or v2 page session) holding this routing key (a bare uuid). */
  | { readonly kind: 'uuid'; readonly key: string }
  /** The connection that announced this `Ident`. */
  | { readonly kind: 'ident'; readonly ident: string }
  /** Every browser on every node, except the connection it came from. */
  | { readonly kind: 'broadcast'; readonly except: Origin | null };

/** A connection on a node, named so that any node can tell whether it is the one. */
export interface Origin {
  readonly node: string;
  readonly conn: number;
}

/** What is published: the bytes as the publisher sent them, and their parsed fields. */
export interface Payload {
  /** Forwarded byte for byte (v2 pages get `"seq":N,` spliced in front). */
  readonly raw: Buffer | string;
  /** The parsed packet: the splice and the job of a progress message are read from it. */
  readonly packet: { readonly [field: string]: unknown };
}

/** What became of a publication (see `Outcome` for the meanings, the same on every node). */
export interface PublishResult {
  readonly outcome: Outcome;
  /** Broadcast only: how many pages it was written to. */
  readonly count?: number;
}

/**
 * A place in a page's session log. `seq` numbers messages from 1 within one
 * `epoch`; a log that was lost and made again has another epoch, so a
 * position from the old one cannot be mistaken for a position in the new.
 */
export interface StreamPosition {
  readonly seq: number;
  readonly epoch: string;
}

/** A message of a page's session log, with its `seq` already in the text. */
export interface LogEntry {
  readonly seq: number;
  readonly text: string;
}

/** The shared, frozen results: the hot path allocates none. */
export const RESULT: Readonly<Record<Outcome, PublishResult>> = Object.freeze({
  [Outcome.Delivered]: Object.freeze({ outcome: Outcome.Delivered }),
  [Outcome.Held]: Object.freeze({ outcome: Outcome.Held }),
  [Outcome.Unknown]: Object.freeze({ outcome: Outcome.Unknown }),
  [Outcome.Dropped]: Object.freeze({ outcome: Outcome.Dropped }),
  [Outcome.Failed]: Object.freeze({ outcome: Outcome.Failed }),
});

/** The same results as settled promises, for engines that decide synchronously. */
export const SETTLED: Readonly<Record<Outcome, Promise<PublishResult>>> = Object.freeze({
  [Outcome.Delivered]: Promise.resolve(RESULT.delivered),
  [Outcome.Held]: Promise.resolve(RESULT.held),
  [Outcome.Unknown]: Promise.resolve(RESULT.unknown),
  [Outcome.Dropped]: Promise.resolve(RESULT.dropped),
  [Outcome.Failed]: Promise.resolve(RESULT.failed),
});

/** The target a feedback packet names: a non-empty `ident` wins over `uuid`; null when neither. */
export function feedbackTarget(packet: { readonly [field: string]: unknown }, key: (uuid: string) => string): PublishTarget | null {
  const ident = packet.ident;
  if (typeof ident === 'string' && ident !== '') return { kind: 'ident', ident };
  const uuid = packet.uuid;
  if (typeof uuid === 'string' && uuid !== '') return { kind: 'uuid', key: key(uuid) };
  return null;
}

/** The job a progress message belongs to (its latest is kept per job), or null when it carries no `progress`. */
export function progressJob(packet: { readonly [field: string]: unknown }): string | null {
  const progress = packet.progress;
  if (typeof progress !== 'object' || progress === null) return null;
  const job = (progress as { job?: unknown }).job;
  return typeof job === 'string' || typeof job === 'number' ? String(job) : '';
}
