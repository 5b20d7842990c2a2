import { describe, expect, it } from 'vitest';
import { batchItems, toFeedbackPacket } from './feedback-request.js';
import { HttpError } from './http-error.js';

function refusal(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected an HttpError');
}

describe('toFeedbackPacket', () => {
  it('forces the opcode, keeps extra fields and drops seq', () => {
    const packet = toFeedbackPacket({ opcode: 'broadcast', uuid: 'u.1', message: 'hi', from: 'cron', seq: 99 });
    expect(packet).toEqual({ opcode: 'feedback', uuid: 'u.1', message: 'hi', from: 'cron' });
    expect(Object.keys(packet)[0]).toBe('opcode');
  });

  it('accepts an ident, a progress without a message, and an id', () => {
    expect(toFeedbackPacket({ ident: 'receiver', progress: { job: 'import', done: 5, total: 10, state: 'running' }, id: 7 })).toEqual({
      opcode: 'feedback',
      ident: 'receiver',
      progress: { job: 'import', done: 5, total: 10, state: 'running' },
      id: 7,
    });
    expect(toFeedbackPacket({ uuid: '', ident: 'x', message: null }).ident).toBe('x');
  });

  it.each([
    [null, /JSON object, not null/],
    [[1, 2], /not an array/],
    ['text', /not "text"/],
    [42, /not 42/],
    [{ message: 'hi' }, /name the recipient/],
    [{ uuid: '', ident: '', message: 'hi' }, /name the recipient/],
    [{ uuid: 5, message: 'hi' }, /"uuid" must be a string, not 5/],
    [{ ident: ['a'], message: 'hi' }, /"ident" must be a string, not an array/],
    [{ uuid: 'u' }, /"message" or a "progress"/],
    [{ uuid: 'u', progress: 'half' }, /"progress" must be an object/],
    [{ uuid: 'u', progress: { done: '5' } }, /"progress.done" must be a number/],
    [{ uuid: 'u', progress: { percent: -1 } }, /"progress.percent" must be a number of at least 0, not -1/],
    [{ uuid: 'u', progress: { job: true } }, /"progress.job" must be a string or a number, not true/],
    [{ uuid: 'u', progress: { status: 1 } }, /"progress.status" must be a string, not 1/],
    [{ uuid: 'u', progress: { state: 'paused' } }, /"progress.state" must be "running", "done" or "failed"/],
    [{ uuid: 'u', message: 'm', id: { a: 1 } }, /"id" must be a string or a number/],
  ])('refuses %j with BAD_PACKET', (value, sentence) => {
    const error = refusal(() => toFeedbackPacket(value));
    expect(error.code).toBe('BAD_PACKET');
    expect(error.status).toBe(400);
    expect(error.message).toMatch(sentence);
  });
});

describe('batchItems', () => {
  it('accepts {"messages": [...]} and a bare array', () => {
    expect(batchItems({ messages: [1, 2] })).toEqual([1, 2]);
    expect(batchItems([3])).toEqual([3]);
    expect(batchItems([])).toEqual([]);
  });

  it('refuses other shapes', () => {
    for (const body of [null, 'x', {}, { messages: {} }]) expect(refusal(() => batchItems(body)).code).toBe('BAD_PACKET');
  });

  it('refuses more items than the cap with 413', () => {
    const error = refusal(() => batchItems(new Array(4).fill({}), 3));
    expect(error.code).toBe('TOO_MANY_ITEMS');
    expect(error.status).toBe(413);
    expect(batchItems(new Array(3).fill({}), 3)).toHaveLength(3);
  });
});
