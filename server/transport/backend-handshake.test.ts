import { describe, expect, it } from 'vitest';
import { encodeServerTextFrame } from '../protocol/frame-encoder.js';
import { padHandshakeHeaders, padReadyForPhp } from './backend-handshake.js';

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

describe('padReadyForPhp', () => {
  it('makes the ready frame exactly 1024 bytes and keeps it valid JSON', () => {
    const ready = JSON.stringify({ opcode: 'ready', uuid: '3b0c1d9e-6a43-4c43-9d0c-3f2b8f0e2a11.5f1d0c2b9a8e7d6c5b4a39281706f5e4' });
    const padded = padReadyForPhp(ready);
    const frame = Buffer.concat(encodeServerTextFrame(Buffer.from(padded)));
    expect(frame.length).toBe(1024);
    expect(JSON.parse(padded)).toEqual(JSON.parse(ready));
  });
});
