import { collectDefaultMetrics, Registry } from 'prom-client';

let shared: Registry | null = null;

/**
 * prom-client's default process metrics (CPU, memory, event loop lag, GC),
 * in one registry per process: they describe the process, not a relay, and
 * each collector installs observers that would pile up if every relay made
 * its own.
 */
export function processRegistry(): Registry {
  if (shared === null) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}
