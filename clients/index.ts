/** The Node client of websock-relay: see docs/clients.md. */
export { RelayClient } from './relay-client.js';
export type { ReconnectInfo, ReconnectingInfo, RelayClientEvents } from './client-events.js';
export type { RelayClientOptions } from './client-options.js';
export type { ProtocolChoice, TlsOptions } from './relay-socket.js';
export { ClientError, ClientErrorCode, isClientError } from './client-error.js';
export type { SendResult } from './outbound.js';
export type { FeedbackOptions, ReceivedPacket } from './packets.js';
export { RAW_OPCODE } from './packets.js';
export type { BackoffOptions } from './backoff.js';
export { backoffDelay, defaultBackoff } from './backoff.js';
export type { Progress } from '../include/protocol.js';
