import { describe, expect, it } from 'vitest';
import { formatLogLine, MAX_FIELD_CHARS } from './log-format.js';

const T = new Date('2026-11-23T17:00:00.123Z');

describe('formatLogLine', () => {
  it('writes time, level, message and fields', () => {
    expect(formatLogLine(T, 'info', 'client connected', { ip: '127.0.0.1', port: 8080, tls: false, ident: null })).toBe(
      '2026-11-23T17:00:00.123Z INFO client connected ip=127.0.0.1 port=8080 tls=false ident=null',
    );
  });

  it('quotes values with spaces, quotes or equals signs and leaves out undefined ones', () => {
    expect(formatLogLine(T, 'warn', 'rejected', { reason: 'origin not allowed', raw: 'a="b"', empty: '', skip: undefined })).toBe(
      '2026-11-23T17:00:00.123Z WARN rejected reason="origin not allowed" raw="a=\\"b\\"" empty=""',
    );
  });

  it('keeps every event on one line', () => {
    const line = formatLogLine(T, 'debug', 'two\nlines', { payload: '{"a":\n1}\r\n' });
    expect(line).not.toMatch(/[\r\n]/);
    expect(line).toBe('2026-11-23T17:00:00.123Z DEBUG two\\nlines payload="{\\"a\\":\\n1}\\r\\n"');
  });

  it('cuts very long values', () => {
    const line = formatLogLine(T, 'debug', 'payload', { data: 'x'.repeat(MAX_FIELD_CHARS + 10) });
    expect(line.endsWith(`${'x'.repeat(10)}…(+10 chars)"`)).toBe(true);
    expect(line.length).toBeLessThan(MAX_FIELD_CHARS + 100);
  });
});

describe('lines a client cannot forge', () => {
  const unsafe = ['\u0000', '\u0007', '\u001b', '\u007f', '\u0085', '\u009b', '\u2028', '\u2029', '\u202e', '\u2066'];

  it('escapes C0 and C1 controls, DEL, U+2028/U+2029 and bidi controls in the message, keys and every value', () => {
    for (const char of unsafe) {
      const line = formatLogLine(T, 'warn', `msg${char}`, { [`k${char}`]: `a${char}b`, bare: `x${char}`, spaced: `two ${char} words` });
      for (const bad of unsafe) expect(line, JSON.stringify(char)).not.toContain(bad);
      expect(line).toContain(`\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
    }
  });

  it('a forged line stays inside its field', () => {
    const line = formatLogLine(T, 'warn', 'client rejected', {
      origin: 'x\u20282026-11-23T17:00:00.000Z INFO admin logged in\u0085\u001b[2K',
    });
    expect(line).toBe(
      '2026-11-23T17:00:00.123Z WARN client rejected origin="x\\u20282026-11-23T17:00:00.000Z INFO admin logged in\\u0085\\u001b[2K"',
    );
  });
});
