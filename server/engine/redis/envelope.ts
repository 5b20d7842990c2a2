import { Outcome } from '../../../include/protocol.js';
import type { Origin, PublishTarget } from '../publication.js';

/**
 * What nodes say to each other over pub/sub, one line of `|`-separated
 * fields, then (for messages) a newline and the text itself, untouched:
 *
 *   d|<id>|<reply node>|u or i|<name>|<seq>|<epoch>\n<text>   deliver (seq 0: not a page's log entry)
 *   r|<id>|<outcome>                                          the holder's answer
 *   b|<id>|<reply node>|<origin node>|<origin conn>\n<text>   broadcast (to every node)
 *   c|<id>|<count>                                            a node's broadcast count
 *   p|<token>                                                 liveness probe (a node to itself)
 *
 * Names are URI-encoded: an Ident may hold any character. Pure functions.
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
  | { type: 'reply'; id: string; outcome: Outcome }
  | { type: 'broadcast'; id: string; replyTo: string; origin: Origin | null; text: string }
  | { type: 'count'; id: string; count: number }
  | { type: 'probe'; token: string };

const OUTCOMES: ReadonlySet<string> = new Set(Object.values(Outcome));

/** The start of a deliver envelope; the publish script appends `<seq>|<epoch>\n<text>`. */
export function deliverHeader(id: string, replyTo: string, target: Exclude<PublishTarget, { kind: 'broadcast' }>): string {
  const name = target.kind === 'uuid' ? `u|${encodeURIComponent(target.key)}` : `i|${encodeURIComponent(target.ident)}`;
  return `d|${id}|${replyTo}|${name}|`;
}

export function replyEnvelope(id: string, outcome: Outcome): string {
  return `r|${id}|${outcome}`;
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
