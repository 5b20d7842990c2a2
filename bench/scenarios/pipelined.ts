/**
 * v2 pipelined: backends and pages speak websock.v2; backends send without
 * waiting for anything. The reference does not know v2 and answers each
 * message with `next`, which the backends ignore.
 */
import { SUBPROTOCOL_V2 } from '../../include/protocol.js';
import { runDeliveries } from './delivery-run.js';
import { cpuPerDelivery, latencyMetrics, peakRss, relayBusy, throughput, userCpuPerDelivery } from './metric-specs.js';
import type { Scenario } from './scenario.js';

function pipelinedScenario(
  name: string,
  title: string,
  size: (quick: boolean) => { backends: number; perBackend: number; pages: number; bytes: number },
): Scenario {
  return {
    name,
    title,
    metrics: [throughput('msg/s'), ...latencyMetrics(false), cpuPerDelivery(), userCpuPerDelivery, relayBusy, peakRss],
    describe(quick) {
      const s = size(quick);
      return `${s.backends} v2 backend${s.backends > 1 ? 's' : ''} × ${s.perBackend} feedback of ${s.bytes} B to ${s.pages} v2 page${s.pages > 1 ? 's' : ''}, not waiting`;
    },
    run(context) {
      const s = size(context.quick);
      return runDeliveries(context, {
        pages: s.pages,
        pageSubprotocol: SUBPROTOCOL_V2,
        broadcast: false,
        messages: s.backends * s.perBackend,
        sendTimeoutMs: 120_000,
        publishers: (relay, uuids) =>
          context.spawnBackends({
            url: relay.url('/php'),
            count: s.backends,
            identPrefix: 'bench-',
            subprotocol: SUBPROTOCOL_V2,
            plan: { kind: 'feedback', perBackend: s.perBackend, messageBytes: s.bytes, uuids, pipelined: true },
          }),
      });
    },
  };
}

export const pipelined = pipelinedScenario('v2-pipelined', 'v2 pipelined', (quick) => ({
  backends: 10,
  perBackend: quick ? 300 : 2000,
  pages: 50,
  bytes: 100,
}));

export const pipelinedMaxRate = pipelinedScenario('v2-max-rate', 'v2 one-to-one max rate', (quick) => ({
  backends: 1,
  perBackend: quick ? 5000 : 50_000,
  pages: 1,
  bytes: 100,
}));
