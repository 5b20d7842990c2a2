import { describe, expect, it } from 'vitest';
import { isClientError } from './client-error.js';
import { broadcastPacket, decodePacket, echoPacket, encodePacket, feedbackPacket, normalizeProgress, progressText } from './packets.js';

const from = { uuid: 'me.abc', ident: 'worker' };

describe('feedbackPacket', () => {
  it('addresses a page by uuid, with an empty ident as the original clients send', () => {
    expect(feedbackPacket({ uuid: 'u1' }, 'hi', from)).toEqual({
      opcode: 'feedback',
      uuid: 'u1',
      ident: '',
      message: 'hi',
      fromUUID: 'me.abc',
      fromIdent: 'worker',
    });
  });

  it('addresses a script by ident', () => {
    const packet = feedbackPacket({ ident: 'receiver' }, { any: 'json' }, { uuid: 'x', ident: undefined });
    expect(packet).toMatchObject({ uuid: '', ident: 'receiver', message: { any: 'json' } });
    expect(packet).not.toHaveProperty('fromIdent');
  });

  it('keeps extra fields but never lets them override the routing or the reserved id', () => {
    const packet = feedbackPacket({ uuid: 'u1' }, 'm', from, { extra: { opcode: 'echo', uuid: 'evil', id: 7, color: 'red' } });
    expect(packet).toMatchObject({ opcode: 'feedback', uuid: 'u1', color: 'red' });
    expect(packet).not.toHaveProperty('id');
  });

  it('adds normalized progress', () => {
    const packet = feedbackPacket({ uuid: 'u1' }, 'm', from, { progress: { job: 'j', done: 1, total: 3 } });
    expect(packet.progress).toEqual({ job: 'j', done: 1, total: 3, percent: 33.3 });
  });

  it.each([[{ uuid: '' }], [{ ident: '' }]])('rejects an empty recipient %o', (target) => {
    expect(() => feedbackPacket(target as never, 'm', from)).toThrow(/non-empty/);
  });
});

describe('normalizeProgress', () => {
  it('derives percent from done/total and caps it at 100', () => {
    expect(normalizeProgress({ done: 5, total: 4 }).percent).toBe(100);
    expect(normalizeProgress({ done: 0, total: 0 })).not.toHaveProperty('percent');
  });

  it('keeps a given percent', () => {
    expect(normalizeProgress({ done: 1, total: 2, percent: 10 }).percent).toBe(10);
  });

  it.each([[{ done: -1 }], [{ total: Number.NaN }], [{ percent: 101 }], [{ state: 'finished' }], [{ job: 3 }]])(
    'rejects %o with BAD_ARGUMENT',
    (bad) => {
      let caught: unknown;
      try {
        normalizeProgress(bad as never);
      } catch (error) {
        caught = error;
      }
      expect(isClientError(caught, 'BAD_ARGUMENT')).toBe(true);
    },
  );
});

describe('progressText', () => {
  it('prefers the status, then done/total, then percent, then state', () => {
    expect(progressText({ status: 'copying', done: 1, total: 2 })).toBe('copying');
    expect(progressText({ done: 1, total: 2 })).toBe('1/2');
    expect(progressText({ percent: 40 })).toBe('40%');
    expect(progressText({ state: 'done' })).toBe('done');
  });
});

describe('echoPacket / broadcastPacket', () => {
  it('builds the original opcodes', () => {
    expect(echoPacket('e')).toEqual({ opcode: 'echo', message: 'e' });
    expect(broadcastPacket('b')).toEqual({ opcode: 'broadcast', message: 'b' });
  });
});

describe('encodePacket', () => {
  it('serializes within the limit', () => {
    expect(encodePacket({ opcode: 'echo' }, 100)).toBe('{"opcode":"echo"}');
  });

  it('counts UTF-8 bytes, not characters, and refuses with TOO_LARGE', () => {
    const packet = { opcode: 'echo', message: '€'.repeat(10) };
    let caught: unknown;
    try {
      encodePacket(packet, 40);
    } catch (error) {
      caught = error;
    }
    expect(isClientError(caught, 'TOO_LARGE')).toBe(true);
  });
});

describe('decodePacket', () => {
  it('parses a packet', () => {
    expect(decodePacket('{"opcode":"ready","uuid":"u"}')).toEqual({ opcode: 'ready', uuid: 'u' });
  });

  it.each(['not json', '[1,2]', '{"no":"opcode"}', '"text"'])('keeps %s as a raw packet', (text) => {
    expect(decodePacket(text)).toEqual({ opcode: 'raw', message: text });
  });
});
