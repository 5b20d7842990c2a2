/**
 * websock-relay browser client (ES module build: websock-client.mjs).
 * @example
 * import { WebsockClient, bindProgress } from './websock-client.mjs';
 * const client = new WebsockClient('/web');
 * bindProgress(client, { bar: '#bar', status: '#status' });
 */
export { WebsockClient } from './websock-client.js';
export { ClientOpcode, ServerOpcode, type Progress, type FeedbackPacket } from '../../include/protocol.js';
export type {
  CloseInfo,
  ConnectionState,
  InboundPacket,
  ProgressEvent,
  JobEvent,
  ReadyEvent,
  WebsockClientEvents,
  WebsockClientOptions,
} from './websock-client.js';
export { WebsockError, type ClientErrorCode } from './errors.js';
export type { SendResult } from './outbound-queue.js';
export { bindProgress, type ProgressBindingOptions } from './progress-binding.js';
export { progressPercent, progressText } from './progress.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export type { SessionState, SessionStore } from './session-store.js';
export { socketWebClient, type LegacySocketClient } from './legacy-client.js';
