import { ClientOpcode, type FeedbackPacket } from '../../include/protocol.js';
import { HttpError } from './http-error.js';

/** Most messages in one `POST /feedback/batch`. */
export const MAX_BATCH_ITEMS = 1000;

const STATES = new Set(['running', 'done', 'failed']);
const NUMBER_FIELDS = ['done', 'total', 'percent'] as const;

/**
 * Check one published message and turn it into the feedback packet the
 * relay forwards: every field kept, `opcode` forced to `feedback`, and `seq`
 * dropped (sequence numbers are the relay's to assign). Throws a BAD_PACKET
 * HttpError whose sentence names the faulty field.
 */
export function toFeedbackPacket(value: unknown): FeedbackPacket {
  if (!isObject(value)) throw bad(`the message must be a JSON object, not ${describe(value)}`);
  const fields = value;
  checkName('uuid', fields.uuid);
  checkName('ident', fields.ident);
  if (!nonEmpty(fields.uuid) && !nonEmpty(fields.ident) && !nonEmpty(fields.channel)) {
    throw bad('name the recipient: a non-empty "uuid" (a page), "ident" (a script) or "channel" (a Pusher channel)');
  }
  if (fields.message === undefined && fields.progress === undefined) {
    throw bad('the message needs a "message" or a "progress"');
  }
  if (fields.progress !== undefined) checkProgress(fields.progress);
  const id = fields.id;
  if (id !== undefined && typeof id !== 'string' && !(typeof id === 'number' && Number.isFinite(id))) {
    throw bad(`"id" must be a string or a number, not ${describe(id)}`);
  }
  // One copy, opcode first; `opcode` and `seq` of the publisher's own are overruled.
  const packet: FeedbackPacket = { opcode: ClientOpcode.Feedback, ...fields };
  if (fields.opcode !== undefined) packet.opcode = ClientOpcode.Feedback;
  if (Object.prototype.hasOwnProperty.call(fields, 'seq')) delete packet.seq;
  return packet;
}

/** Deepest nesting forwarded as it came; a deeper message takes JSON.stringify (and its "nested too deeply" refusal). */
const MAX_FORWARD_DEPTH = 64;

const FEEDBACK_HEAD = `{"opcode":"${ClientOpcode.Feedback}",`;

/**
 * The text to forward for a checked message, made from the request's own
 * JSON text instead of JSON.stringify of the packet: `{"opcode":"feedback",`
 * followed by the body after its opening brace. A page parses the same value
 * either way — duplicate keys (the last wins), `__proto__` (an own key),
 * escapes and integer-like keys (first) read alike, and the text was already
 * decoded (bad UTF-8 became U+FFFD in both). Null, and the caller
 * serialises the packet as before, when they would not: the body has an
 * `opcode` or a `seq` of its own (overruled and dropped), a number that
 * JSON.stringify writes otherwise (-0 as 0; one too large for a double,
 * which JSON.parse made Infinity, as null), or nesting deeper than
 * MAX_FORWARD_DEPTH. `body` is `JSON.parse(text)`, as toFeedbackPacket
 * accepted it.
 */
export function feedbackText(body: Record<string, unknown>, text: string): string | null {
  if (body.opcode !== undefined || Object.prototype.hasOwnProperty.call(body, 'seq')) return null;
  if (!rewritesAlike(body, 0)) return null;
  let open = 0;
  while (isJsonSpace(text.charCodeAt(open))) open++;
  if (text.charCodeAt(open) !== OPEN_BRACE) return null;
  let first = open + 1;
  while (isJsonSpace(text.charCodeAt(first))) first++;
  // Never `{}` (a recipient is required), but then the comma would be wrong.
  if (text.charCodeAt(first) === CLOSE_BRACE) return null;
  let end = text.length;
  while (end > first && isJsonSpace(text.charCodeAt(end - 1))) end--;
  return FEEDBACK_HEAD + text.slice(first, end);
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

function isJsonSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/** Does JSON.stringify write this parsed value so that it parses back the same (numbers finite and not -0, nesting bounded)? */
function rewritesAlike(value: unknown, depth: number): boolean {
  if (typeof value === 'number') return Number.isFinite(value) && !(value === 0 && 1 / value < 0);
  if (typeof value !== 'object' || value === null) return true;
  if (depth >= MAX_FORWARD_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!rewritesAlike(value[i], depth + 1)) return false;
    return true;
  }
  const fields = value as Record<string, unknown>;
  for (const key in fields) if (!rewritesAlike(fields[key], depth + 1)) return false;
  return true;
}

/**
 * The items of a batch body: `{"messages": [...]}` or a bare array. Throws
 * BAD_PACKET for any other shape and TOO_MANY_ITEMS past `max`.
 */
export function batchItems(body: unknown, max: number = MAX_BATCH_ITEMS): unknown[] {
  const items = Array.isArray(body) ? body : isObject(body) ? body.messages : undefined;
  if (!Array.isArray(items)) throw bad('send {"messages": [ ... ]} or a JSON array of messages');
  if (items.length > max) throw new HttpError('TOO_MANY_ITEMS', `a batch may hold at most ${max} messages (got ${items.length})`);
  return items;
}

function checkName(name: 'uuid' | 'ident', field: unknown): void {
  if (field !== undefined && field !== null && typeof field !== 'string') throw bad(`"${name}" must be a string, not ${describe(field)}`);
}

function checkProgress(progress: unknown): void {
  if (!isObject(progress)) throw bad(`"progress" must be an object, not ${describe(progress)}`);
  for (const name of NUMBER_FIELDS) {
    const field = progress[name];
    if (field !== undefined && !(typeof field === 'number' && Number.isFinite(field) && field >= 0)) {
      throw bad(`"progress.${name}" must be a number of at least 0, not ${describe(field)}`);
    }
  }
  const { job, status } = progress;
  // A job id may be a number too (the relay keys the latest progress per job by its text).
  if (job !== undefined && typeof job !== 'string' && !(typeof job === 'number' && Number.isFinite(job))) {
    throw bad(`"progress.job" must be a string or a number, not ${describe(job)}`);
  }
  if (status !== undefined && typeof status !== 'string') throw bad(`"progress.status" must be a string, not ${describe(status)}`);
  const ttl = progress.ttl;
  if (ttl !== undefined && !(typeof ttl === 'number' && Number.isFinite(ttl) && ttl > 0 && ttl <= 86_400)) {
    throw bad(`"progress.ttl" (the lease, in seconds) must be a number above 0 and at most 86400, not ${describe(ttl)}`);
  }
  const state = progress.state;
  if (state !== undefined && !(typeof state === 'string' && STATES.has(state))) {
    throw bad(`"progress.state" must be "running", "done" or "failed", not ${describe(state)}`);
  }
}

function bad(detail: string): HttpError {
  return new HttpError('BAD_PACKET', detail);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmpty(value: unknown): boolean {
  return typeof value === 'string' && value !== '';
}

/** A short description of a JSON value for error sentences. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return value.length > 40 ? 'a long string' : JSON.stringify(value);
    case 'number':
    case 'boolean':
      return String(value);
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}
