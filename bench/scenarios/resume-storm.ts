/**
 * The resume storm: many v2 pages lose their node at once and all resume on
 * another. Across nodes, the pages' node is killed with SIGKILL and they
 * resume on the survivor (their logs are in Redis); on one node, the pages
 * drop their own sockets and resume where they were. Each page gets a few
 * messages while connected and one more while away, and counts as resumed
 * once it has `resumed` and every message up to that one, each once, in
 * order. Target (issue #9): the storm of 1 000 pages is over within 2 s.
 */
import type { ResumeStormReport } from '../load/load-config.js';
import { RelayNodes } from './relay-nodes.js';
import type { MetricSpec, RunContext, RunResult, Scenario } from './scenario.js';

const size = (quick: boolean, tiny = false) => ({ pages: tiny ? 20 : quick ? 500 : 1000, beforePerPage: 3 });

const metrics: readonly MetricSpec[] = [
  { key: 'stormMs', label: 'resume storm (ms)', decimals: 0, absoluteTarget: { op: '<=', value: 2000, label: '≤ 2 s' } },
  { key: 'recoveredPct', label: 'pages recovered (%)', decimals: 1 },
  { key: 'resumeCpuPerPageUs', label: 'relay CPU per resumed page (µs)', decimals: 0 },
  { key: 'redisCpuPerPageUs', label: 'Redis CPU per resumed page (µs)', decimals: 0 },
];

const ANSWER_TIMEOUT_MS = 60_000;

async function publishToEach(
  context: RunContext,
  cluster: RelayNodes,
  uuids: string[],
  perPage: number,
  pagesAway: boolean,
): Promise<void> {
  const connections = Math.min(10, uuids.length);
  const publishers = context.spawnHttpPublishers({
    baseUrl: `http://127.0.0.1:${cluster.publisherNode.port}`,
    connections,
    // Message index i goes to uuids[i % pages]: give every page `perPage`, in groups a connection can split evenly.
    perConnection: (uuids.length * perPage) / connections,
    batchSize: 1,
    messageBytes: 100,
    uuids,
    secret: null,
    acceptHeld: pagesAway,
  });
  await publishers.waitFor('connected', 30_000);
  publishers.send({ type: 'go' });
  const done = await publishers.waitFor('done', ANSWER_TIMEOUT_MS);
  const report = done.report as { errors: number; firstError?: string };
  if (report.errors > 0) throw new Error(`${report.errors} publishes were refused, the first: ${report.firstError ?? ''}`);
  await publishers.stop();
}

export const resumeStorm: Scenario = {
  name: 'resume-storm',
  title: 'resume storm',
  sides: {
    ours: { label: 'node killed, resume on the other (Redis)', relay: 'ours', topology: 'cross-node' },
    reference: { label: '1 node, memory, resume in place', relay: 'ours' },
  },
  metrics,
  fullOnly: false,
  describe(quick, tiny) {
    const s = size(quick, tiny);
    return `${s.pages} v2 pages, ${s.beforePerPage} messages each, lose their connections at once, get 1 more while away, and resume together`;
  },
  async run(context): Promise<RunResult> {
    const s = size(context.quick, context.tiny);
    if (s.pages % 10 !== 0) throw new Error('the storm needs a multiple of 10 pages (10 publishing connections share them)');
    // Every page comes from loopback: lift the per-address bound on away sessions (32 by default), or one node would drop the rest.
    const cluster = await RelayNodes.start(context, context.topology, { settings: { maxSessionsPerIP: 0 } });
    const first = cluster.nodes[0]!;
    const pages = context.spawnResumingPages({ url: first.url('/web'), count: s.pages, connectConcurrency: 100 });
    const uuids = (await pages.waitFor('connected', 30_000 + s.pages * 20)).uuids as string[];

    await publishToEach(context, cluster, uuids, s.beforePerPage, false);
    await pages.request({ type: 'expect', perPage: s.beforePerPage }, 'received', ANSWER_TIMEOUT_MS);

    const acrossNodes = cluster.nodes.length > 1;
    await pages.request({ type: 'close', terminate: !acrossNodes }, 'closing', 10_000);
    if (acrossNodes) await first.killAndWait();
    await pages.waitFor('closed', ANSWER_TIMEOUT_MS);
    await publishToEach(context, cluster, uuids, 1, true);

    const resumeNode = cluster.publisherNode;
    const before = await resumeNode.stats();
    const redisBefore = cluster.redis?.cpuTimeMs() ?? 0;
    const resumed = await pages.request(
      { type: 'resume', url: resumeNode.url('/web'), perPage: s.beforePerPage + 1 },
      'resumed',
      ANSWER_TIMEOUT_MS,
    );
    const after = await resumeNode.stats();
    const report = resumed.report as ResumeStormReport;
    const cpuUs = after.cpuUserUs - before.cpuUserUs + after.cpuSystemUs - before.cpuSystemUs;
    return {
      sent: s.pages * (s.beforePerPage + 1),
      delivered: report.unique,
      duplicates: report.duplicates,
      metrics: {
        stormMs: report.stormMs,
        recoveredPct: (100 * report.recovered) / s.pages,
        resumeCpuPerPageUs: cpuUs / s.pages,
        ...(cluster.redis ? { redisCpuPerPageUs: ((cluster.redis.cpuTimeMs() - redisBefore) * 1000) / s.pages } : {}),
      },
    };
  },
};
