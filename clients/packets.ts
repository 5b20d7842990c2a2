import type { BroadcastPacket, EchoPacket, FeedbackPacket, Progress } from '../include/protocol.js';
import { ClientOpcode } from '../include/protocol.js';
import { ClientError, ClientErrorCode } from './client-error.js';

/** Who sends: copied into feedback so a receiver can answer (`fromUUID` as the PHP client does). */
export interface Sender {
  uuid: string;
  ident: string | undefined;
}

/** Where a feedback goes: a page by uuid, or a script by Ident. */
export type Target = { uuid: string; ident?: undefined } | { ident: string; uuid?: undefined };

export interface FeedbackOptions {
  /** Structured progress; the browser client draws it as a bar. */
  progress?: Progress;
  /** More fields for the packet; the relay forwards the packet whole. */
  extra?: Record<string, unknown>;
}

const STATES = new Set(['running', 'done', 'failed']);

function badArgument(message: string): ClientError {
  return new ClientError(ClientErrorCode.BadArgument, message);
}

/**
 * Check a progress report and fill in `percent` from done/total, so pages
 * written for the original client (which only read `message`) and ours agree.
 */
export function normalizeProgress(progress: Progress): Progress {
  if (typeof progress !== 'object' || progress === null) throw badArgument('progress must be an object');
  const out: Progress = { ...progress };
  for (const key of ['done', 'total', 'percent'] as const) {
    const value = out[key];
    if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
      throw badArgument(`progress.${key} must be a number >= 0, got ${String(value)}`);
    }
  }
  if (out.percent !== undefined && out.percent > 100) throw badArgument(`progress.percent must be <= 100, got ${out.percent}`);
  if (out.state !== undefined && !STATES.has(out.state))
    throw badArgument(`progress.state must be running, done or failed, got ${String(out.state)}`);
  if (out.job !== undefined && typeof out.job !== 'string') throw badArgument('progress.job must be a string');
  if (out.status !== undefined && typeof out.status !== 'string') throw badArgument('progress.status must be a string');
  if (out.percent === undefined && out.done !== undefined && out.total !== undefined && out.total > 0) {
    out.percent = Math.min(100, Math.round((out.done / out.total) * 1000) / 10);
  }
  return out;
}

/** The human line a progress report stands for, used as its `message`. */
export function progressText(progress: Progress): string {
  if (progress.status) return progress.status;
  if (progress.done !== undefined && progress.total !== undefined) return `${progress.done}/${progress.total}`;
  if (progress.percent !== undefined) return `${progress.percent}%`;
  return progress.state ?? '';
}

/** `id` is reserved: in protocol v2 the client numbers its requests with it. */
function withoutId(extra: Record<string, unknown> | undefined): Record<string, unknown> {
  if (extra === undefined) return {};
  if (typeof extra !== 'object' || extra === null) throw badArgument('extra must be an object');
  const { id: _reserved, ...rest } = extra;
  return rest;
}

function checkTarget(target: Target): void {
  if (target.ident !== undefined) {
    if (typeof target.ident !== 'string' || target.ident === '') throw badArgument('the recipient ident must be a non-empty string');
  } else if (typeof target.uuid !== 'string' || target.uuid === '') {
    throw badArgument('the recipient uuid must be a non-empty string');
  }
}

/**
 * A feedback packet. Both `uuid` and `ident` are present, as the original
 * clients send them; a non-empty ident is what routes to a script.
 */
export function feedbackPacket(target: Target, message: unknown, from: Sender, options: FeedbackOptions = {}): FeedbackPacket {
  checkTarget(target);
  const packet: FeedbackPacket = {
    ...withoutId(options.extra),
    opcode: ClientOpcode.Feedback,
    uuid: target.uuid ?? '',
    ident: target.ident ?? '',
    message,
    fromUUID: from.uuid,
  };
  if (from.ident) packet.fromIdent = from.ident;
  if (options.progress !== undefined) packet.progress = normalizeProgress(options.progress);
  return packet;
}

export function echoPacket(message: unknown): EchoPacket {
  return { opcode: ClientOpcode.Echo, message };
}

export function broadcastPacket(message: unknown): BroadcastPacket {
  return { opcode: ClientOpcode.Broadcast, message };
}

/** Serialize a packet, refusing what the relay would refuse anyway (and close us for). */
export function encodePacket(packet: object, maxMessageBytes: number): string {
  const text = JSON.stringify(packet);
  const size = Buffer.byteLength(text, 'utf8');
  if (size > maxMessageBytes) {
    throw new ClientError(
      ClientErrorCode.TooLarge,
      `the message is ${size} bytes, more than the ${maxMessageBytes} bytes the relay accepts`,
    );
  }
  return text;
}

/** A packet as received from the relay: a JSON object with an opcode. */
export interface ReceivedPacket {
  opcode: string;
  [field: string]: unknown;
}

/** The opcode given to a text frame that is not a JSON packet (kept, not dropped). */
export const RAW_OPCODE = 'raw';

/**
 * Parse a frame from the relay. Text that is not a JSON packet is kept as
 * `{ opcode: 'raw', message: text }` rather than dropped, so nothing is silent.
 */
export function decodePacket(text: string): ReceivedPacket {
  try {
    const value: unknown = JSON.parse(text);
    if (
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      typeof (value as { opcode?: unknown }).opcode === 'string'
    ) {
      return value as ReceivedPacket;
    }
  } catch {
    // Not JSON: fall through and keep it as raw text.
  }
  return { opcode: RAW_OPCODE, message: text };
}
