/**
 * Across nodes: the same load as a one-node scenario, run on two relay
 * processes sharing a redis-server (pages on node A, publishers on node B,
 * or for fan-out pages on both), against the same load on one memory-engine
 * node, side by side in one run. CPU is both nodes' together; Redis's own
 * CPU per published message is shown beside it. Target (issue #9):
 * cross-node pipelined throughput at least 0.5× one node; no loss anywhere.
 */
import { fanOut } from './fan-out.js';
import { pipelined } from './pipelined.js';
import type { MetricSpec, Scenario, SideSpec } from './scenario.js';
import { stopAndWait } from './stop-and-wait.js';
import type { Topology } from './relay-nodes.js';

const redisCpuPerMessage: MetricSpec = { key: 'redisCpuPerMessageUs', label: 'Redis CPU per message (µs)', decimals: 2 };
/** One node's CPU: on a machine with a core per node, the busiest node is what limits throughput. */
const busiestNode: MetricSpec = { key: 'busiestNodeCpuPerDeliveryUs', label: 'busiest node CPU per delivery (µs)', decimals: 2 };

function sides(topology: Topology): { ours: SideSpec; reference: SideSpec } {
  return {
    ours: { label: topology === 'both-nodes' ? '2 nodes (pages on both) + Redis' : '2 nodes + Redis', relay: 'ours', topology },
    reference: { label: '1 node, memory', relay: 'ours' },
  };
}

function crossNode(base: Scenario, topology: Topology, throughputTarget: MetricSpec['ratioTarget'] | null): Scenario {
  const metrics = base.metrics.map((metric): MetricSpec => {
    const { ratioTarget: _oneNodeTarget, ...rest } = metric;
    return metric.key === 'throughput' && throughputTarget ? { ...rest, ratioTarget: throughputTarget } : rest;
  });
  return {
    ...base,
    name: `cross-node-${base.name}`,
    title: `across 2 nodes, ${base.title}`,
    sides: sides(topology),
    metrics: [...metrics, busiestNode, redisCpuPerMessage],
    fullOnly: false,
  };
}

export const crossNodeStopAndWait = crossNode(stopAndWait, 'cross-node', null);
export const crossNodePipelined = crossNode(pipelined, 'cross-node', { op: '>=', value: 0.5 });
export const crossNodeFanOut = crossNode(fanOut, 'both-nodes', null);
