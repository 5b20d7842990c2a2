/**
 * Who may publish to whom: the relay's one publish policy. Every path that
 * forwards a client's message to another client (feedback, broadcast) asks
 * `PublishPolicy.decide` first and honours the answer; nothing else in the
 * relay makes this decision. Pure: no sockets, no registry, no clock.
 *
 * | sender                         | echo | feedback by signed uuid | by bare uuid | by Ident                   | broadcast               |
 * |--------------------------------|------|-------------------------|--------------|---------------------------|-------------------------|
 * | backend (admitted by allowedIP, or the HTTP API's secret) | yes | yes | yes | yes | yes |
 * | page (any other connection)    | yes  | yes                     | FORBIDDEN    | only if listed in `pageIdents` | only if `pageBroadcast` |
 *
 * A feedback with a Pusher `"channel"` (and no uuid or Ident) is published to that channel: backends only.
 *
 * Why: a page is anyone on the internet. The signed uuid a page was given
 * (or was handed in a `from`/`fromUUID` field) is the capability to reach
 * that connection; a bare uuid proves nothing. Backends are trusted by
 * admission, so their behaviour is the original's.
 *
 * A refusal carries the error code `FORBIDDEN` (recoverable: the connection
 * stays open). The caller tells a v2 sender with an error packet (with the
 * request's `id`, if any) and drops the message silently for a v1 sender
 * (the original clients cannot read anything but `next` there), logging it.
 *
 * @example
 * const policy = new PublishPolicy({ pageIdents: ['support'], pageBroadcast: true });
 * policy.decide({ role: 'page' }, { kind: 'uuid', signed: false }); // → { allowed: false, code: 'FORBIDDEN', reason: … }
 */
import type { ErrorCode } from '../../include/protocol.js';

/** Who is publishing: a trusted backend, or a page (anyone else). */
export interface Publisher {
  /** 'backend': a connection admitted as a backend (Client-Type: php from allowedIP) or the authenticated HTTP API. */
  role: 'backend' | 'page';
}

/** Where a message is going, as the policy needs to know it. */
export type PublishTarget =
  | { kind: 'echo' }
  | { kind: 'broadcast' }
  | { kind: 'ident'; ident: string }
  /** `signed`: the uuid carries this relay's valid signature. */
  | { kind: 'uuid'; signed: boolean }
  /** A Pusher channel (a feedback with `"channel"` and no uuid or Ident). */
  | { kind: 'channel' };

export type PublishDecision = { allowed: true } | { allowed: false; code: Extract<ErrorCode, 'FORBIDDEN'>; reason: string };

export interface PublishPolicyRules {
  /** Idents pages may address (exact names); empty: none. */
  pageIdents: readonly string[];
  /** May pages broadcast to every other page? */
  pageBroadcast: boolean;
}

const ALLOWED: PublishDecision = { allowed: true };

export class PublishPolicy {
  readonly #pageIdents: ReadonlySet<string>;
  readonly #pageBroadcast: boolean;

  constructor(rules: PublishPolicyRules) {
    this.#pageIdents = new Set(rules.pageIdents);
    this.#pageBroadcast = rules.pageBroadcast;
  }

  /** May `from` send to `target`? A refusal says why, in words fit for the sender. */
  decide(from: Publisher, target: PublishTarget): PublishDecision {
    if (from.role === 'backend') return ALLOWED;
    switch (target.kind) {
      case 'echo':
        return ALLOWED;
      case 'uuid':
        return target.signed ? ALLOWED : refuse('pages must address a page by the signed uuid it was given');
      case 'ident':
        return this.#pageIdents.has(target.ident) ? ALLOWED : refuse(`pages may not address the ident "${clip(target.ident)}"`);
      case 'broadcast':
        return this.#pageBroadcast ? ALLOWED : refuse('pages may not broadcast on this relay');
      case 'channel':
        // Pusher channels are published to by the app's servers; a page's browser client sends client- events instead.
        return refuse('pages may not publish to Pusher channels');
    }
  }
}

/**
 * The target of a feedback packet as the router reads it: a non-empty
 * `ident` wins over `uuid`; null when it names neither (nothing to decide:
 * it goes nowhere). `isSigned` checks a uuid's signature.
 */
export function feedbackTarget(packet: { [field: string]: unknown }, isSigned: (uuid: string) => boolean): PublishTarget | null {
  const { ident, uuid } = packet;
  if (typeof ident === 'string' && ident !== '') return { kind: 'ident', ident };
  if (typeof uuid === 'string' && uuid !== '') return { kind: 'uuid', signed: isSigned(uuid) };
  if (typeof packet.channel === 'string' && packet.channel !== '') return { kind: 'channel' };
  return null;
}

function refuse(reason: string): PublishDecision {
  return { allowed: false, code: 'FORBIDDEN', reason };
}

/** Idents are echoed back to their sender only; still, keep the sentence short. */
function clip(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}
