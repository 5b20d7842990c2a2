import { describe, expect, it } from 'vitest';
import { Outcome } from '../../include/protocol.js';
import { RESULT, SETTLED, settledOutcome } from './publication.js';

describe('settledOutcome', () => {
  it('knows the outcome of every SETTLED promise at once, and nothing of other promises', () => {
    for (const outcome of Object.values(Outcome)) expect(settledOutcome(SETTLED[outcome])).toBe(outcome);
    expect(settledOutcome(Promise.resolve(RESULT.delivered))).toBeNull();
  });
});
