export type { ErrorFrames, ProtocolCodec, ProtocolName } from './protocol-codec.js';
export { V1_CODEC, V2_CODEC, relayCodec, type ReadyInit, type RelayCodec, type RelayInbound } from './relay-codecs.js';
export { pusherCodec, type PusherCodec, type PusherGreeting } from './pusher-codec.js';
