/** Every scenario, in the order the runner runs them. */
import { crossNodeFanOut, crossNodePipelined, crossNodeStopAndWait } from './cross-node.js';
import { fanOut } from './fan-out.js';
import { h2Pages } from './h2-pages.js';
import { hooksFanOut, hooksHttpPublish, hooksStopAndWait } from './hooks-cost.js';
import { idle } from './idle.js';
import { jobsPipelined } from './jobs-cost.js';
import { largeScenario } from './large.js';
import { latency } from './latency.js';
import { httpBatch, httpPublish, httpPublishSecret } from './http-publish.js';
import { pipelined, pipelinedMaxRate } from './pipelined.js';
import { pusherClientEvents } from './pusher-client-events.js';
import { pusherFanOut } from './pusher-fan-out.js';
import { resumeStorm } from './resume-storm.js';
import type { Scenario } from './scenario.js';
import { stopAndWait } from './stop-and-wait.js';
import { v2PagesMemory } from './v2-pages-memory.js';

export const scenarios: readonly Scenario[] = [
  stopAndWait,
  pipelined,
  pipelinedMaxRate,
  httpPublish,
  httpPublishSecret,
  httpBatch,
  largeScenario(1),
  largeScenario(16, { fullOnly: true }),
  largeScenario(64, { fullOnly: true }),
  fanOut,
  pusherFanOut,
  pusherClientEvents,
  idle,
  v2PagesMemory,
  latency,
  h2Pages,
  hooksStopAndWait,
  hooksHttpPublish,
  hooksFanOut,
  jobsPipelined,
  crossNodeStopAndWait,
  crossNodePipelined,
  crossNodeFanOut,
  resumeStorm,
  // Other scenarios: import above and add one line here.
];

export type { Scenario } from './scenario.js';
