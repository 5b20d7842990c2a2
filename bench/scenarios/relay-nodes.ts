/**
 * The relays a delivery scenario runs on: one node on the memory engine, or
 * two nodes sharing a redis-server, as a cluster is deployed
 * (docs/deployment.md). Across nodes, the pages connect to the first node and
 * the publishers to the second, so every message crosses Redis.
 */
import type { RedisServer } from '../lib/redis-server.js';
import type { RelayProcess } from '../lib/relay-process.js';
import type { RunContext } from './scenario.js';

/**
 * - `one-node`: pages and publishers on one memory-engine node (the baseline);
 * - `cross-node`: pages on node A, publishers on node B;
 * - `both-nodes`: pages split over A and B, publishers on B (fan-out over two nodes).
 */
export type Topology = 'one-node' | 'cross-node' | 'both-nodes';

/** Every node shares it: a page's uuid signed on A must verify on B. */
const CLUSTER_SECRET = 'bench-cluster-secret';

export interface NodesReading {
  /** Summed over the nodes, µs. */
  cpuUserUs: number;
  cpuSystemUs: number;
  /** Each node's user + system CPU, µs, in node order. */
  perNodeCpuUs: number[];
  /** The highest node's, bytes. */
  peakRssBytes: number;
  /** The redis-server's CPU time, ms (0 on one node). */
  redisCpuMs: number;
}

export class RelayNodes {
  private constructor(
    readonly nodes: readonly RelayProcess[],
    readonly redis: RedisServer | null,
    readonly topology: Topology,
  ) {}

  static async start(
    context: RunContext,
    topology: Topology,
    relayOptions: Parameters<RunContext['startRelay']>[0] = {},
  ): Promise<RelayNodes> {
    if (topology === 'one-node') return new RelayNodes([await context.startRelay(relayOptions)], null, topology);
    const redis = await context.startRedis();
    const settings = { ...relayOptions.settings, broker: redis.url, secret: CLUSTER_SECRET };
    const nodes = await Promise.all([0, 1].map(() => context.startRelay({ ...relayOptions, settings })));
    return new RelayNodes(nodes, redis, topology);
  }

  /** Where the pages connect: page group i connects to pageNodes[i]. */
  get pageNodes(): readonly RelayProcess[] {
    return this.topology === 'both-nodes' ? this.nodes : [this.nodes[0]!];
  }

  get publisherNode(): RelayProcess {
    return this.nodes[this.nodes.length - 1]!;
  }

  async read(): Promise<NodesReading> {
    const stats = await Promise.all(this.nodes.map((node) => node.stats()));
    return {
      cpuUserUs: stats.reduce((sum, s) => sum + s.cpuUserUs, 0),
      cpuSystemUs: stats.reduce((sum, s) => sum + s.cpuSystemUs, 0),
      perNodeCpuUs: stats.map((s) => s.cpuUserUs + s.cpuSystemUs),
      peakRssBytes: Math.max(...stats.map((s) => s.peakRssBytes)),
      redisCpuMs: this.redis?.cpuTimeMs() ?? 0,
    };
  }
}

/** How many of `total` pages group `index` of `groups` gets (the first groups take the remainder). */
export function groupShare(total: number, groups: number, index: number): number {
  return Math.floor(total / groups) + (index < total % groups ? 1 : 0);
}
