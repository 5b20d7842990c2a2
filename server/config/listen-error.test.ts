import { describe, expect, it } from 'vitest';
import { parseAddress } from '../../include/address.js';
import { describeListenError } from './listen-error.js';

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`listen ${code}`), { code });
}

describe('describeListenError', () => {
  it('explains the usual listen failures in one line', () => {
    expect(describeListenError(parseAddress('ws://127.0.0.1:8080'), errno('EADDRINUSE'))).toBe(
      'cannot listen on ws://127.0.0.1:8080: the port is already in use; stop the other server or choose another port in adress (EADDRINUSE)',
    );
    expect(describeListenError(parseAddress('wss://[::]:443'), errno('EACCES'))).toBe(
      'cannot listen on wss://[::]:443: permission denied; ports below 1024 need root or CAP_NET_BIND_SERVICE (EACCES)',
    );
  });

  it('falls back to the first line of any other error', () => {
    expect(describeListenError(parseAddress('ws://h:1'), new Error('odd\nmore'))).toBe('cannot listen on ws://h:1: odd');
  });
});
