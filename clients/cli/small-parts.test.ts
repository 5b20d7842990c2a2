import { describe, expect, it } from 'vitest';
import { ClientError } from '../client-error.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { formatPacket } from './format-packet.js';
import { parseProgressArg } from './progress-arg.js';
import { planSend } from './send-command.js';

describe('parseProgressArg', () => {
  it.each([
    ['3/10', { done: 3, total: 10 }],
    [' 40 ', { percent: 40 }],
    ['40%', { percent: 40 }],
    ['2.5/5', { done: 2.5, total: 5 }],
  ])('%s', (text, expected) => {
    expect(parseProgressArg(text)).toEqual(expected);
  });

  it.each(['', 'x', '3/', '-1', '101', '1/2/3'])('rejects "%s"', (text) => {
    expect(() => parseProgressArg(text)).toThrow(ClientError);
  });
});

describe('exitCodeFor', () => {
  it.each([
    ['BAD_ARGUMENT', undefined, ExitCode.Usage],
    ['CONNECT_FAILED', undefined, ExitCode.CannotConnect],
    ['HANDSHAKE_REFUSED', undefined, ExitCode.Refused],
    ['CONNECTION_LOST', undefined, ExitCode.ConnectionLost],
    ['TIMEOUT', undefined, ExitCode.ConnectionLost],
    ['CLOSED', undefined, ExitCode.ConnectionLost],
    ['TOO_LARGE', 'TOO_LARGE', ExitCode.Rejected],
    ['RELAY_ERROR', 'BAD_PACKET', ExitCode.Rejected],
    ['RELAY_ERROR', 'UNKNOWN_RECIPIENT', ExitCode.UnknownRecipient],
  ] as const)('%s (%s) → %i', (code, relayCode, exit) => {
    expect(exitCodeFor(new ClientError(code, 'x', { relayCode }))).toBe(exit);
  });
});

describe('formatPacket', () => {
  const packet = { opcode: 'feedback', ident: 'r', message: 'hello' };
  it('prints the message text, or JSON of a non-text message, or the packet', () => {
    expect(formatPacket(packet, false)).toBe('hello');
    expect(formatPacket({ ...packet, message: { a: 1 } }, false)).toBe('{"a":1}');
    expect(formatPacket({ opcode: 'feedback' }, false)).toBe('{"opcode":"feedback"}');
  });
  it('prints the whole packet with --json', () => {
    expect(JSON.parse(formatPacket(packet, true))).toEqual(packet);
  });
});

describe('planSend', () => {
  it('joins the words of the message', () => {
    expect(planSend(['hello', 'world'], { ident: 'r' })).toMatchObject({ target: { ident: 'r' }, message: 'hello world', stdin: false });
  });

  it('builds progress from the flags', () => {
    expect(planSend([], { uuid: 'u', progress: '3/4', job: 'j', status: 'copying', state: 'running' }).progress).toEqual({
      done: 3,
      total: 4,
      job: 'j',
      status: 'copying',
      state: 'running',
    });
  });

  it('parses --json messages', () => {
    expect(planSend(['{"a":', '1}'], { uuid: 'u', json: true }).message).toEqual({ a: 1 });
  });

  it.each([
    [[], { uuid: 'u' }, /nothing to send/],
    [['m'], {}, /exactly one recipient/],
    [['m'], { uuid: 'u', ident: 'i' }, /exactly one recipient/],
    [['m'], { uuid: 'u', stdin: true }, /either MESSAGE or --stdin/],
    [[], { uuid: 'u', stdin: true, progress: '1/2' }, /cannot be combined/],
    [['m'], { ident: 'i', progress: '1/2' }, /use --uuid/],
    [['{bad'], { uuid: 'u', json: true }, /not valid JSON/],
  ] as const)('rejects %j %j', (words, flags, message) => {
    expect(() => planSend([...words], flags)).toThrow(message);
  });
});
