/** Process entry: the reference relay on an ephemeral loopback port. */
import { startReferenceRelay } from '../reference-relay.js';
import { serveBench } from './serve-bench.js';

await serveBench(async function startReference() {
  const relay = await startReferenceRelay(0);
  return { port: relay.port, stop: () => relay.close() };
});
