import { describe, expect, it } from 'vitest';
import { CloseCode } from '../../../include/protocol.js';
import type { Rejection } from '../../transport/admission.js';
import { pusherRefusal } from './app-refusal.js';

const refused = (close: number, reason = 'no'): Rejection => ({ reason, close: close as CloseCode, cause: 'app' });

describe('a preConnect refusal in Pusher terms', () => {
  it('keeps the application’s own 4001–4999 and its reason', () => {
    expect(pusherRefusal(refused(4401, 'not signed in'))).toEqual({ code: 4401, message: 'not signed in' });
    for (const code of [4001, 4099, 4100, 4200, 4300, 4999]) expect(pusherRefusal(refused(code)).code).toBe(code);
  });

  it('tells a failed or timed-out hook as 4100: pusher-js backs off and tries again', () => {
    expect(pusherRefusal(refused(CloseCode.InternalError, 'failed'))).toEqual({ code: 4100, message: 'failed' });
    expect(pusherRefusal(refused(CloseCode.TryAgainLater)).code).toBe(4100);
  });

  it('tells false, the relay’s other codes and 4000 (pusher-js: retry over TLS) as 4009: pusher-js gives up', () => {
    for (const code of [CloseCode.PolicyViolation, CloseCode.Normal, CloseCode.GoingAway, 4000]) {
      expect(pusherRefusal(refused(code)).code).toBe(4009);
    }
  });
});
