import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ADDRESS_FIELDS, isPacket } from '../../include/protocol.js';
import { addressFieldProblem } from './address-fields.js';
import { parsePacket } from './message-pipeline.js';

/** What routing sees of a message: its address fields and whether they make it a BAD_PACKET. */
function routingView(text: string, largeBytes: number): unknown {
  const parsed = parsePacket(Buffer.from(text), largeBytes);
  if (parsed === null) return 'not JSON';
  const { packet } = parsed;
  if (!isPacket(packet)) return 'not a packet';
  const fields = Object.fromEntries([...ADDRESS_FIELDS, 'lastSeq'].map((name) => [name, packet[name]]));
  return { fields, problem: addressFieldProblem(packet) };
}

const fieldValue = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.integer({ min: 0, max: 6000 }).map((n) => 'u'.repeat(n)),
  fc.integer({ min: 0, max: 1500 }).map((n) => '\u00e9\n"'.repeat(n)), // escapes make the JSON text longer than the string
  fc.integer(),
  fc.array(fc.integer(), { maxLength: 200 }),
  fc.constant(null),
);

describe('routing fields read the same at every message size', () => {
  it('the large-message scanner and JSON.parse agree on random packets (fixed seed)', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            opcode: fc.oneof(fc.constantFrom('feedback', 'echo', 'broadcast'), fieldValue),
            uuid: fieldValue,
            ident: fieldValue,
            id: fieldValue,
            lastSeq: fieldValue,
          },
          { requiredKeys: [] },
        ),
        fc.string({ maxLength: 200 }),
        (fields, message) => {
          const text = JSON.stringify({ ...fields, message });
          expect(routingView(text, 0)).toEqual(routingView(text, Number.POSITIVE_INFINITY));
        },
      ),
      { seed: 8, numRuns: 400 },
    );
  });

  it('an over-long ident is a problem on both paths (the scanner used to treat it as absent)', () => {
    const text = JSON.stringify({ opcode: 'feedback', ident: 'i'.repeat(5000), uuid: 'page', message: 'x' });
    expect(routingView(text, 0)).toMatchObject({ problem: { field: 'ident' } });
    expect(routingView(text, Number.POSITIVE_INFINITY)).toMatchObject({ problem: { field: 'ident' } });
  });
});
