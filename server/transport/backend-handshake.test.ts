import { describe, expect, it } from 'vitest';
import { padHandshakeHeaders } from './backend-handshake.js';

describe('padHandshakeHeaders', () => {
  it('makes the handshake answer exactly 1024 bytes, as ws writes it', () => {
    const headers = [
      'HTTP/1.1 101 Switching Protocols',
      'Upgrade: websocket',
      'Connection: Upgrade',
      'Sec-WebSocket-Accept: abcdefghijklmnopqrstuvwxyz0=',
    ];
    padHandshakeHeaders(headers);
    // ws writes headers.concat('\r\n').join('\r\n').
    expect(Buffer.byteLength(headers.concat('\r\n').join('\r\n'))).toBe(1024);
  });

  it('leaves an answer that is already too long alone', () => {
    const headers = ['HTTP/1.1 101 Switching Protocols', `X-Long: ${'a'.repeat(1100)}`];
    padHandshakeHeaders(headers);
    expect(headers).toHaveLength(2);
  });
});
