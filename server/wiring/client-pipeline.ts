import { ClientOpcode } from '../../include/protocol.js';
import type { Delivery } from '../delivery/delivery.js';
import type { Engine } from '../engine/engine.js';
import type { HookRegistry } from '../hooks/hook-registry.js';
import { checkJobsAfterResume, handlePageSignal, handlePageToken, type JobTokens, type JobTracker } from '../jobs/index.js';
import type { InFlightBudget } from '../limits/in-flight-budget.js';
import type { Logger } from '../logger/logger.js';
import type { RelayMetrics } from '../metrics/prometheus.js';
import type { RelayStats } from '../metrics/relay-stats.js';
import type { PipelineDeps } from '../protocol/message-pipeline.js';
import type { UuidSigner } from '../protocol/uuid-signer.js';
import { RelayContext } from '../resources/relay-context.js';
import type { Hub } from '../routing/hub.js';
import type { PublishPolicy } from '../routing/publish-policy.js';
import { handleResume } from '../routing/resume.js';
import type { ChannelFeedback } from '../routing/publish-feedback.js';
import type { SessionStore } from '../routing/session-store.js';
import { readyPacket } from './connection-opening.js';

/** What resources and the message pipeline act through. */
export interface PipelineParts {
  logger: Logger;
  hub: Hub;
  engine: Engine;
  delivery: Delivery;
  sessions: SessionStore;
  signer: UuidSigner;
  stats: RelayStats;
  policy: PublishPolicy;
  hooks: HookRegistry;
  metrics: RelayMetrics;
  inFlight: InFlightBudget;
  channelFeedback: ChannelFeedback | null;
  jobs: JobTracker;
  jobTokens: JobTokens;
}

/**
 * Build the context resources see (publish, rekey, close) and the pipeline
 * every client frame goes through; `resume` packets are taken out of it
 * here, before any resource sees them.
 */
export function wirePipeline(parts: PipelineParts): { context: RelayContext; pipeline: PipelineDeps } {
  const { logger, hub, engine, delivery, sessions, signer, stats, policy, hooks, metrics, inFlight, channelFeedback, jobs, jobTokens } =
    parts;
  const presence = engine.presence;
  const context = new RelayContext(
    { logger, hub, broker: engine.broker, delivery, signer, stats, policy, nodeId: engine.nodeId, channelFeedback, jobs },
    {
      onRekey: (conn, previousKey) => {
        sessions.rekey(conn, previousKey);
        void presence.hold({ kind: 'uuid', key: conn.key }).catch(() => {});
        void presence.release({ kind: 'uuid', key: previousKey }).catch(() => {});
        // A v2 page resumes with the token of the uuid it now has: it is told it, as at connect.
        const session = sessions.get(conn.key);
        if (session?.conn === conn) delivery.reply(conn, readyPacket(signer, conn, session.epoch));
      },
      hasSession: (key) => sessions.get(key) !== undefined,
      observeLatency: (seconds) => metrics.observeLatency(seconds, 'websocket'),
      close: (conn, code, reason) => hooks.requestClose(conn, code, () => conn.close(code, reason)),
    },
  );
  const resumeDeps = {
    signer,
    hub,
    sessions,
    presence,
    delivery,
    ctx: context,
    logger,
    onResumed: (key: string, uuid: string, resumedJobs: unknown) => checkJobsAfterResume(engine.log, jobs, key, uuid, resumedJobs),
  };
  const pipeline: PipelineDeps = {
    ctx: context,
    inFlight,
    delivery,
    stats,
    logger,
    intercept: (conn, packet) => {
      if (packet.opcode === ClientOpcode.Resume) handleResume(resumeDeps, conn, packet);
      else if (packet.opcode === ClientOpcode.Signal) handlePageSignal(jobs, context, conn, packet);
      else if (packet.opcode === ClientOpcode.Token) handlePageToken(jobTokens, delivery, context, conn, packet);
      else return false;
      return true;
    },
  };
  return { context, pipeline };
}
