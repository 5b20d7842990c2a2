import type { ServerHttp2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';

/**
 * The byte side of one accepted WebSocket, whatever carries it: a TCP/TLS
 * socket (HTTP/1.1 upgrade) or one HTTP/2 stream (RFC 8441). Connection
 * writes pre-encoded frames through it, in order with the frames `ws`
 * writes itself, and the stall detector reads its progress.
 *
 * An implementation guarantees: `write` keeps order with every other write
 * to the same carrier; `bytesSent` never decreases and grows only when bytes
 * left our buffers towards the peer (so a peer that stopped reading shows
 * no progress, also over HTTP/2 where only flow control says so);
 * `pause`/`resume` stop and restart reading the carrier, so the peer is
 * slowed by TCP or by HTTP/2 flow control.
 */
export interface OutboundPort {
  write(chunk: Buffer): void;
  /** Hold writes until uncork() (one write for a batch of frames). */
  cork(): void;
  uncork(): void;
  /** Monotonic measure of bytes that left our buffers (the stall detector's progress). */
  readonly bytesSent: number;
  pause(): void;
  resume(): void;
  /** End our side (no more writes); the peer may still read what was sent. */
  end(): void;
  /**
   * Detach every reader (ws's parser included) and throw away what comes,
   * still reading, so the peer's FIN (or END_STREAM) is seen at once.
   */
  stopReading(): void;
  /**
   * Call `onRead` with the size of every chunk read from the carrier, before
   * ws parses it (the in-flight budget counts unfinished messages so).
   * Detached by stopReading.
   */
  watchInput(onRead: (bytes: number) => void): void;
}

function watchCarrier(carrier: Duplex, onRead: (bytes: number) => void): void {
  carrier.prependListener('data', function carrierRead(chunk: Buffer) {
    onRead(chunk.length);
  });
}

function discardInput(carrier: Duplex): void {
  carrier.removeAllListeners('data');
  carrier.on('data', function closingCarrierDiscards() {});
  carrier.resume();
}

/** The port of an HTTP/1.1 upgrade: the socket itself. */
export function socketPort(socket: Duplex): OutboundPort {
  return {
    write: (chunk) => void socket.write(chunk),
    cork: () => socket.cork(),
    uncork: () => socket.uncork(),
    get bytesSent() {
      // net.Socket counts bytes as they are handed to the kernel.
      return (socket as { bytesWritten?: number }).bytesWritten ?? 0;
    },
    pause: () => void socket.pause(),
    resume: () => void socket.resume(),
    end: () => void socket.end(),
    stopReading: () => discardInput(socket),
    watchInput: (onRead) => watchCarrier(socket, onRead),
  };
}

/**
 * The port of an HTTP/2 stream. An Http2Stream has no `bytesWritten`, and
 * what it buffers only shrinks when a whole write went out within the
 * stream's flow-control window; so the port counts every byte handed to the
 * stream (ws's own frames included: ws writes to the stream, so `write` is
 * wrapped on this one instance) and reports as sent what is no longer
 * buffered. A reader that stops sending WINDOW_UPDATE for its stream shows
 * no progress while the other streams of its connection keep flowing.
 */
export function streamPort(stream: ServerHttp2Stream): OutboundPort {
  let accepted = 0;
  const write = stream.write.bind(stream) as (chunk: Buffer | string, ...rest: unknown[]) => boolean;
  stream.write = function countedWrite(chunk: Buffer | string, ...rest: unknown[]): boolean {
    accepted += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    return write(chunk, ...rest);
  } as typeof stream.write;
  return {
    write: (chunk) => void stream.write(chunk),
    cork: () => stream.cork(),
    uncork: () => stream.uncork(),
    get bytesSent() {
      return accepted - stream.writableLength;
    },
    pause: () => void stream.pause(),
    resume: () => void stream.resume(),
    end: () => void stream.end(),
    stopReading: () => discardInput(stream),
    watchInput: (onRead) => watchCarrier(stream, onRead),
  };
}
