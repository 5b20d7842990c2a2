/**
 * Scenarios that wait for server features not landed yet. Each is listed so
 * the table shows it and the runner prints why it was skipped.
 * TODO(issue 5): implement once the relay has protocol v2 / HTTP publish.
 */
import type { Scenario } from './scenario.js';

function pendingScenario(name: string, title: string, load: string, why: string): Scenario {
  return {
    name,
    title,
    metrics: [],
    pending: why,
    describe: () => load,
    run: () => Promise.reject(new Error(`${name} is not implemented yet: ${why}`)),
  };
}

export const pipelined = pendingScenario(
  'v2-pipelined',
  'v2 pipelined',
  '10 backends × 2000 feedback to 50 pages without waiting (websock.v2); 1 backend → 1 page at maximum rate',
  'TODO: needs protocol v2 (subprotocol websock.v2) in the relay',
);

export const httpPublish = pendingScenario(
  'http-publish',
  'HTTP publish',
  'POST /feedback over keep-alive connections to 50 pages',
  'TODO: needs POST /feedback in the relay',
);
