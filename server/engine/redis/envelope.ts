import { Outcome } from '../../../include/protocol.js';
import type { Origin, PublishTarget } from '../publication.js';

/**
 * What nodes say to each other over pub/sub, one line of `|`-separated
 * fields, then (for messages) a newline and the text itself, untouched:
 *
 *   d|<id>|<reply node>|u or i|<name>|<seq>|<epoch>\n<text>   deliver (seq 0: not a page's log entry)
 *   D|<reply node>|<n>\n<entry>…                              n delivers in one message, in order
 *   r|<id>|<outcome>                                          the holder's answer
 *   R|<id>:<outcome>|<id>:<outcome>…                          several answers to one node
 *   b|<id>|<reply node>|<origin node>|<origin conn>\n<text>   broadcast (to every node)
 *   c|<id>|<count>                                            a node's broadcast count
 *   C|<id>:<count>|<id>:<count>…                              several broadcast counts to one node
 *   p|<token>                                                 liveness probe (a node to itself)
 *
 * An entry of `D` is `<id>|u or i|<name>|<seq>|<epoch>|<length>\n<text>`,
 * the next entry right after the text: the length says where the text ends
 * (a text may hold newlines and `|`), in UTF-16 code units — the text's
 * JavaScript `length`, which the publish script computes from the length the
 * publisher passes in (the `{"seq":N,` it splices in is ASCII).
 *
 * Names are URI-encoded: an Ident may hold any character. Pure functions;
 * decodeEnvelope returns null for anything malformed, a batch included as a
 * whole (its caller ignores it and counts it).
 */
export type Envelope =
  | {
      type: 'deliver';
      id: string;
      replyTo: string;
      target: Exclude<PublishTarget, { kind: 'broadcast' }>;
      seq: number;
      epoch: string;
      text: string;
    }
  | { type: 'deliveries'; replyTo: string; items: Delivery[] }
  | { type: 'reply'; id: string; outcome: Outcome }
  | { type: 'replies'; ids: string[]; outcomes: Outcome[] }
  | { type: 'broadcast'; id: string; replyTo: string; origin: Origin | null; text: string }
  | { type: 'count'; id: string; count: number }
  | { type: 'counts'; ids: string[]; counts: number[] }
  | { type: 'probe'; token: string };

/** One deliver of a `D` envelope. */
export interface Delivery {
  id: string;
  target: Exclude<PublishTarget, { kind: 'broadcast' }>;
  seq: number;
  epoch: string;
  text: string;
}

const OUTCOMES: ReadonlySet<string> = new Set(Object.values(Outcome));

/** The start of a deliver envelope; the publish script appends `<seq>|<epoch>\n<text>`. */
export function deliverHeader(id: string, replyTo: string, target: Exclude<PublishTarget, { kind: 'broadcast' }>): string {
  const name = target.kind === 'uuid' ? `u|${encodeURIComponent(target.key)}` : `i|${encodeURIComponent(target.ident)}`;
  return `d|${id}|${replyTo}|${name}|`;
}

/** The start of an entry of a `D` envelope; the batch publish script appends `<seq>|<epoch>|<length>\n<text>`. */
export function deliveryHeader(id: string, target: Exclude<PublishTarget, { kind: 'broadcast' }>): string {
  const name = target.kind === 'uuid' ? `u|${encodeURIComponent(target.key)}` : `i|${encodeURIComponent(target.ident)}`;
  return `${id}|${name}|`;
}

/** A whole `D` envelope (the publish script builds them in Redis; this is for tests and tools). */
export function deliveriesEnvelope(replyTo: string, items: readonly Delivery[]): string {
  let out = `D|${replyTo}|${items.length}\n`;
  for (const item of items) out += `${deliveryHeader(item.id, item.target)}${item.seq}|${item.epoch}|${item.text.length}\n${item.text}`;
  return out;
}

export function replyEnvelope(id: string, outcome: Outcome): string {
  return `r|${id}|${outcome}`;
}

/** Several answers to one node: `pairs` is `<id>:<outcome>` strings (or `<id>:<count>` for `C`). */
export function repliesEnvelope(pairs: readonly string[]): string {
  return `R|${pairs.join('|')}`;
}

export function countsEnvelope(pairs: readonly string[]): string {
  return `C|${pairs.join('|')}`;
}

export function broadcastEnvelope(id: string, replyTo: string, origin: Origin | null, text: string): string {
  return `b|${id}|${replyTo}|${origin === null ? '' : encodeURIComponent(origin.node)}|${origin === null ? '' : origin.conn}\n${text}`;
}

export function countEnvelope(id: string, count: number): string {
  return `c|${id}|${count}`;
}

export function probeEnvelope(token: string): string {
  return `p|${token}`;
}

/** Parse an envelope; null for anything malformed (it is then ignored and counted). */
export function decodeEnvelope(message: string): Envelope | null {
  switch (message.charCodeAt(0)) {
    case 0x44: // D
      return decodeDeliveries(message);
    case 0x52: // R
      return decodeReplies(message);
    case 0x43: // C
      return decodeCounts(message);
  }
  const newline = message.indexOf('\n');
  const head = newline === -1 ? message : message.slice(0, newline);
  const text = newline === -1 ? '' : message.slice(newline + 1);
  const f = head.split('|');
  try {
    switch (f[0]) {
      case 'd': {
        if (f.length !== 7 || newline === -1) return null;
        const name = decodeURIComponent(f[4]!);
        const target = f[3] === 'u' ? { kind: 'uuid' as const, key: name } : f[3] === 'i' ? { kind: 'ident' as const, ident: name } : null;
        const seq = Number(f[5]);
        if (target === null || !Number.isInteger(seq) || seq < 0) return null;
        return { type: 'deliver', id: f[1]!, replyTo: f[2]!, target, seq, epoch: f[6]!, text };
      }
      case 'r':
        return f.length === 3 && OUTCOMES.has(f[2]!) ? { type: 'reply', id: f[1]!, outcome: f[2] as Outcome } : null;
      case 'b': {
        if (f.length !== 5 || newline === -1) return null;
        const conn = Number(f[4]);
        const origin = f[3] === '' ? null : { node: decodeURIComponent(f[3]!), conn: Number.isInteger(conn) ? conn : -1 };
        return { type: 'broadcast', id: f[1]!, replyTo: f[2]!, origin, text };
      }
      case 'c': {
        const count = Number(f[2]);
        return f.length === 3 && Number.isInteger(count) && count >= 0 ? { type: 'count', id: f[1]!, count } : null;
      }
      case 'p':
        return f.length === 2 ? { type: 'probe', token: f[1]! } : null;
      default:
        return null;
    }
  } catch {
    return null; // a malformed %-escape
  }
}

function decodeTarget(kind: string | undefined, encoded: string): Delivery['target'] | null {
  const name = decodeURIComponent(encoded);
  return kind === 'u' ? { kind: 'uuid', key: name } : kind === 'i' ? { kind: 'ident', ident: name } : null;
}

function decodeDeliveries(message: string): Envelope | null {
  const newline = message.indexOf('\n');
  if (newline === -1) return null;
  const head = message.slice(0, newline).split('|');
  const n = Number(head[2]);
  if (head.length !== 3 || head[0] !== 'D' || !Number.isInteger(n) || n < 1) return null;
  const items: Delivery[] = [];
  let at = newline + 1;
  try {
    for (let i = 0; i < n; i++) {
      const end = message.indexOf('\n', at);
      if (end === -1) return null;
      const f = message.slice(at, end).split('|');
      if (f.length !== 6) return null;
      const target = decodeTarget(f[1], f[2]!);
      const seq = Number(f[3]);
      const length = Number(f[5]);
      if (target === null || !Number.isInteger(seq) || seq < 0 || !Number.isInteger(length) || length < 0) return null;
      at = end + 1 + length;
      if (at > message.length) return null;
      items.push({ id: f[0]!, target, seq, epoch: f[4]!, text: message.slice(end + 1, at) });
    }
  } catch {
    return null; // a malformed %-escape
  }
  return at === message.length ? { type: 'deliveries', replyTo: head[1]!, items } : null;
}

/** `<id>:<value>` pairs after the type letter; null unless every pair is well formed and `value` accepts its value. */
function decodePairs<T>(message: string, value: (text: string) => T | null): { ids: string[]; values: T[] } | null {
  if (message.length < 3 || message.charCodeAt(1) !== 0x7c) return null;
  const ids: string[] = [];
  const values: T[] = [];
  for (const pair of message.slice(2).split('|')) {
    const colon = pair.indexOf(':');
    if (colon < 1) return null;
    const parsed = value(pair.slice(colon + 1));
    if (parsed === null) return null;
    ids.push(pair.slice(0, colon));
    values.push(parsed);
  }
  return { ids, values };
}

function decodeReplies(message: string): Envelope | null {
  const pairs = decodePairs(message, (text) => (OUTCOMES.has(text) ? (text as Outcome) : null));
  return pairs === null ? null : { type: 'replies', ids: pairs.ids, outcomes: pairs.values };
}

function decodeCounts(message: string): Envelope | null {
  const pairs = decodePairs(message, (text) => {
    const count = text === '' ? NaN : Number(text);
    return Number.isInteger(count) && count >= 0 ? count : null;
  });
  return pairs === null ? null : { type: 'counts', ids: pairs.ids, counts: pairs.values };
}
