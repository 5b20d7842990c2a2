import { describe, expect, it } from 'vitest';
import { Outcome } from '../../../include/protocol.js';
import { countsEnvelope, decodeEnvelope, deliveriesEnvelope, deliveryHeader, repliesEnvelope, type Delivery } from './envelope.js';

const ITEMS: Delivery[] = [
  { id: 'a1', target: { kind: 'uuid', key: 'page|one' }, seq: 7, epoch: 'Ep-_0', text: '{"seq":7,\n"message": "x|y"\n}' },
  { id: 'a2', target: { kind: 'ident', ident: 'wörker:1' }, seq: 0, epoch: '', text: '{"message":"é😀\\n"}' },
  { id: 'a3', target: { kind: 'uuid', key: 'p2' }, seq: 8, epoch: 'Ep-_0', text: '' },
];

describe('D envelope: several delivers in one message', () => {
  it('round-trips texts holding newlines, `|` and characters outside the BMP, in order', () => {
    expect(decodeEnvelope(deliveriesEnvelope('node-b', ITEMS))).toEqual({ type: 'deliveries', replyTo: 'node-b', items: ITEMS });
  });

  it('is what the publish script builds from a header: `<seq>|<epoch>|<length>\\n<text>` appended', () => {
    const text = '{"seq":3,"m":"😀"}';
    const message = `D|b|1\n${deliveryHeader('z', { kind: 'uuid', key: 'k' })}3|e|${text.length}\n${text}`;
    expect(decodeEnvelope(message)).toEqual({
      type: 'deliveries',
      replyTo: 'b',
      items: [{ id: 'z', target: { kind: 'uuid', key: 'k' }, seq: 3, epoch: 'e', text }],
    });
  });

  const good = deliveriesEnvelope('b', ITEMS.slice(0, 2));
  it.each([
    ['no newline', 'D|b|1'],
    ['a count that is not a positive integer', good.replace('D|b|2', 'D|b|0')],
    ['a count past the entries', good.replace('D|b|2', 'D|b|3')],
    ['a count short of the entries (trailing bytes)', good.replace('D|b|2', 'D|b|1')],
    ['extra bytes after the last text', `${good}x`],
    ['a text cut short', good.slice(0, -1)],
    ['a length past the end', deliveriesEnvelope('b', ITEMS.slice(0, 1)).replace('|28\n', '|999\n')],
    ['a negative length', deliveriesEnvelope('b', ITEMS.slice(0, 1)).replace('|28\n', '|-1\n')],
    ['a length that is not a number', deliveriesEnvelope('b', ITEMS.slice(0, 1)).replace('|28\n', '|2x\n')],
    ['a bad target kind', deliveriesEnvelope('b', ITEMS.slice(0, 1)).replace('a1|u|', 'a1|x|')],
    ['a bad %-escape', deliveriesEnvelope('b', ITEMS.slice(0, 1)).replace('page%7Cone', 'page%E0%A4%A')],
    ['a negative seq', deliveriesEnvelope('b', ITEMS.slice(0, 1)).replace('|7|Ep', '|-7|Ep')],
    ['too few fields in an entry', 'D|b|1\na1|u|k|1|3\nabc'],
    ['too many fields in the head', good.replace('D|b|2', 'D|b|x|2')],
  ])('is rejected as a whole with %s', (_why, message) => {
    expect(decodeEnvelope(message)).toBeNull();
  });
});

describe('R and C envelopes: several answers to one node', () => {
  it('round-trip in order', () => {
    expect(decodeEnvelope(repliesEnvelope(['1:delivered', 'a:held', 'z9:failed']))).toEqual({
      type: 'replies',
      ids: ['1', 'a', 'z9'],
      outcomes: [Outcome.Delivered, Outcome.Held, Outcome.Failed],
    });
    expect(decodeEnvelope(countsEnvelope(['1:0', '2:12']))).toEqual({ type: 'counts', ids: ['1', '2'], counts: [0, 12] });
  });

  it.each([
    ['R'],
    ['R|'],
    ['Rx1:delivered'],
    ['R|1:delivered|'],
    ['R|1:maybe'],
    ['R|1delivered'],
    ['R|:delivered'],
    ['C|1:-1'],
    ['C|1:'],
    ['C|1:2.5'],
    ['C|1:two'],
    ['C|1:2|3'],
  ])('reject %s', (message) => {
    expect(decodeEnvelope(message)).toBeNull();
  });
});
