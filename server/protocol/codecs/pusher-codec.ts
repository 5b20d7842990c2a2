import { PusherErrors, type PusherErrorName } from '../../../include/pusher-protocol.js';
import { connectionEstablished, errorFrame } from '../../pusher/ws/pusher-frames.js';
import { decodeInbound, type InboundLimits, type PusherInbound } from '../../pusher/ws/pusher-inbound.js';
import type { ErrorFrames, ProtocolCodec } from './protocol-codec.js';

export interface PusherGreeting {
  readonly socketId: string;
  readonly activityTimeoutS: number;
}

export type PusherCodec = ProtocolCodec<PusherGreeting, PusherInbound, PusherErrorName>;

/** Pusher protocol 7 for one app's limits (names and event sizes are checked by them). */
export function pusherCodec(limits: InboundLimits): PusherCodec {
  return {
    name: 'pusher',
    greeting: ({ socketId, activityTimeoutS }) => connectionEstablished(socketId, activityTimeoutS),
    decode: (text) => decodeInbound(text, limits),
    error(name, detail): ErrorFrames {
      const spec = PusherErrors[name];
      return { reply: errorFrame(name, detail), lastWords: null, close: spec.close ? spec.code : null };
    },
  };
}
