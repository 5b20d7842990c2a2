import { CloseCode } from '../../../include/protocol.js';
import { PusherErrors } from '../../../include/pusher-protocol.js';
import type { Rejection } from '../../transport/admission.js';

/** How a Pusher client is told it is refused: the code of its `pusher:error` and of the close that follows, and the message. */
export interface PusherRefusal {
  code: number;
  message: string;
}

/** Closes the hook registry makes when a preConnect failed (threw, rejected) or did not answer in time. */
const HOOK_FAILURES: ReadonlySet<number> = new Set([CloseCode.InternalError, CloseCode.TryAgainLater]);

/**
 * An application's preConnect refusal (the Rejection the hook registry
 * made, with the close a /web page would get) in Pusher's terms. pusher-js
 * acts on the code's range, never on the message: 4001–4099 and 4300–4999
 * make it give up (state `disconnected`), 4100–4199 make it retry after
 * 1 s, 4200–4299 at once, and 4000 retry over TLS.
 *
 * - 4001–4999, chosen by the application: sent as they are.
 * - 1011 and 1013 (the hook failed or timed out; or the application chose
 *   them): 4100, so pusher-js tries again after its back-off, as a /web
 *   page reconnects after 1011 or 1013.
 * - Anything else — `false` (1008), a Refusal without a code or with
 *   another of the relay's codes, and 4000, which pusher-js would read as
 *   "use TLS": 4009, Pusher's "unauthorized", so pusher-js gives up instead
 *   of knocking again into the same refusal every second.
 */
export function pusherRefusal(rejection: Rejection): PusherRefusal {
  const close: number = rejection.close;
  if (close > 4000 && close <= 4999) return { code: close, message: rejection.reason };
  if (HOOK_FAILURES.has(close)) return { code: PusherErrors.APP_FAILED.code, message: rejection.reason };
  return { code: PusherErrors.REFUSED_BY_APP.code, message: rejection.reason };
}
