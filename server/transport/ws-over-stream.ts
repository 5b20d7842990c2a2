import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';

/**
 * The part of `ws` that is not public API (websockets/ws#1458): how its
 * WebSocketServer turns an upgraded socket into a WebSocket
 * (`completeUpgrade` in websocket-server.js). Kept in this one file so a
 * change of `ws` breaks one place, and checked by the HTTP/2 tests.
 */
interface WsInternals {
  _protocol: string;
  setSocket(socket: Duplex, head: Buffer, options: Record<string, unknown>): void;
}

type WebSocketClass = new (address: null, protocols: undefined, options: object) => WebSocket;

/**
 * A server-side WebSocket over any Duplex (here one HTTP/2 stream), made
 * with `server`'s options exactly as its own handshakes are: a WebSocket
 * built without them answers no pings (`autoPong`) and has no
 * `closeTimeout`, so it would tear the stream down the moment it closes.
 * The handshake answer must already have been sent. Extensions are not
 * negotiated: the relay runs ws with perMessageDeflate off on every transport.
 */
export function webSocketOver(server: WebSocketServer, duplex: Duplex, protocol: string): WebSocket {
  const options = server.options as typeof server.options & Record<string, unknown>;
  if (options.perMessageDeflate) throw new Error('webSocketOver does not negotiate permessage-deflate');
  const Ctor = options.WebSocket as unknown as WebSocketClass;
  const ws = new Ctor(null, undefined, options);
  const internals = ws as unknown as WsInternals;
  internals._protocol = protocol;
  internals.setSocket(duplex, Buffer.alloc(0), {
    allowSynchronousEvents: options.allowSynchronousEvents,
    maxBufferedChunks: options.maxBufferedChunks,
    maxFragments: options.maxFragments,
    maxPayload: options.maxPayload,
    skipUTF8Validation: options.skipUTF8Validation,
  });
  return ws;
}
