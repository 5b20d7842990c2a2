import { ErrorCodes, isPacket, ServerOpcode, type ErrorCode } from '../../../include/protocol.js';
import { padReadyForPhp } from '../../transport/backend-handshake.js';
import { errorText } from '../error-text.js';
import type { ErrorFrames, ProtocolCodec } from './protocol-codec.js';

/** What `ready` says: the uuid, and to a v2 page its epoch and resume credential. */
export interface ReadyInit {
  readonly uuid: string;
  readonly epoch: string | null;
  readonly resumeToken: string | null;
  /** A PHP v1 backend reads `ready` in one 1024-byte read: it is padded to that. */
  readonly paddedForPhp: boolean;
}

/** A decoded v1/v2 packet, or why the text is not one. */
export type RelayInbound =
  { readonly packet: { opcode: string; [field: string]: unknown } } | { readonly invalid: 'BAD_JSON' | 'NOT_AN_OBJECT' };

export type RelayCodec = ProtocolCodec<ReadyInit, RelayInbound, ErrorCode>;

function decode(text: string): RelayInbound {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { invalid: 'BAD_JSON' };
  }
  return isPacket(value) ? { packet: value } : { invalid: 'NOT_AN_OBJECT' };
}

function greeting(protocol: 1 | 2, init: ReadyInit): string {
  const ready: { opcode: string; uuid: string; protocol?: number; epoch?: string; resumeToken?: string } = {
    opcode: ServerOpcode.Ready,
    uuid: init.uuid,
  };
  if (protocol === 2) ready.protocol = 2;
  if (init.epoch !== null) ready.epoch = init.epoch;
  if (init.resumeToken !== null) ready.resumeToken = init.resumeToken;
  const json = JSON.stringify(ready);
  return init.paddedForPhp ? padReadyForPhp(json) : json;
}

/** The original protocol: errors are silent unless they close, and then the close packet is the last word. */
export const V1_CODEC: RelayCodec = {
  name: 'v1',
  greeting: (init) => greeting(1, init),
  decode,
  error(code, detail): ErrorFrames {
    const close = ErrorCodes[code].close;
    if (close === null) return { reply: null, lastWords: null, close: null };
    return { reply: null, lastWords: JSON.stringify({ opcode: ServerOpcode.Close, error: errorText(code, detail) }), close };
  },
};

/** websock.v2: every error is an `error` packet with its stable code (and the request's id). */
export const V2_CODEC: RelayCodec = {
  name: 'v2',
  greeting: (init) => greeting(2, init),
  decode,
  error(code, detail, id): ErrorFrames {
    const packet: { opcode: string; id?: unknown; code: ErrorCode; error: string } = {
      opcode: ServerOpcode.Error,
      code,
      error: errorText(code, detail),
    };
    if (id !== undefined) packet.id = id;
    return { reply: JSON.stringify(packet), lastWords: null, close: ErrorCodes[code].close };
  },
};

/** The codec of a v1 or v2 connection. */
export function relayCodec(protocol: 1 | 2): RelayCodec {
  return protocol === 2 ? V2_CODEC : V1_CODEC;
}
