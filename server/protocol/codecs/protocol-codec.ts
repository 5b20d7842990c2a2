/** The wire protocols a connection can speak: the original v1, websock.v2, and Pusher protocol 7. */
export type ProtocolName = 'v1' | 'v2' | 'pusher';

/** What a codec makes of an error: a packet the connection stays open after, or the last words before a close. */
export interface ErrorFrames {
  /** Sent as the answer (the connection may stay open); null when this protocol says nothing. */
  readonly reply: string | null;
  /** Written just before the close frame (v1's close packet); null when none. */
  readonly lastWords: string | null;
  /** The WebSocket close code, or null when the connection stays open. */
  readonly close: number | null;
}

/**
 * One wire protocol as the relay speaks it: how it greets a connection,
 * reads a client's text frame, and tells an error (with the close it
 * implies). The connection and delivery path are the same for every
 * protocol; only the codec differs. A codec is pure: it never sees a socket
 * or the Connection class, so each is tested by feeding it text.
 *
 * What an implementer guarantees: `decode` never throws, whatever the
 * text (bad input is a value saying why); `greeting` and `error` return
 * complete frames, encoded once; the close code of an error is the same
 * every time for the same code.
 */
export interface ProtocolCodec<Greeting, Inbound, Code extends string> {
  readonly name: ProtocolName;
  greeting(init: Greeting): string;
  decode(text: string): Inbound;
  error(code: Code, detail?: string, id?: unknown): ErrorFrames;
}
