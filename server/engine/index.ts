export type { Broker, PublicationHandler } from './broker.js';
export type { Engine, EngineHealth } from './engine.js';
export type { HeldName, Presence } from './presence.js';
export type {
  ChannelCounts,
  ChannelDelivery,
  ChannelEvent,
  ChannelLifecycle,
  Channels,
  ChannelSubscriber,
  SubscribeAnswer,
} from './channels.js';
export type { LogLimits, LogRead, SessionLog } from './session-log.js';
export { RESULT, SETTLED, feedbackTarget, progressJob } from './publication.js';
export type { LogEntry, Origin, Payload, PublishResult, PublishTarget, StreamPosition } from './publication.js';
export { createEngine, newNodeId, type EngineParts } from './create-engine.js';
export { newEpoch } from './epoch.js';
export { MemoryEngine } from './memory/memory-engine.js';
