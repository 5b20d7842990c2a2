import type { Socket } from 'node:net';

/** The HTTP/2 connection preface begins `PRI * HTTP/2.0`; no HTTP/1.1 request line does. */
const PREFACE_START = Buffer.from('PRI ');

/**
 * On a plain port, tell HTTP/2 with prior knowledge (RFC 9113 §3.3) from
 * HTTP/1.1 by the first bytes, then hand the socket on with those bytes put
 * back, so whichever parser takes it reads the stream from its start. Reads
 * only until the answer is certain: at most 4 bytes decide, and a first
 * byte other than `P` decides at once.
 */
export function sniffPreface(socket: Socket, decide: (isHttp2: boolean) => void): void {
  let seen: Buffer = Buffer.alloc(0);
  function prefaceOnData(chunk: Buffer): void {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, PREFACE_START.length);
    const matches = seen.subarray(0, n).equals(PREFACE_START.subarray(0, n));
    if (matches && n < PREFACE_START.length) return;
    done();
    socket.pause();
    socket.unshift(seen);
    decide(matches);
  }
  function done(): void {
    socket.off('data', prefaceOnData);
    socket.off('close', done);
  }
  socket.on('data', prefaceOnData);
  socket.once('close', done);
}
