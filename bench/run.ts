/**
 * `npm run bench [-- --quick]`: runs every scenario against our relay and
 * the reference relay, side by side, writes the results (JSON and a markdown
 * table) and prints the table. Exits non-zero, loudly, when any message was
 * lost or duplicated or a scenario failed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { ChildHandle } from './lib/child-handle.js';
import { compareMetric, deliveryTotals, isLossFree } from './lib/compare.js';
import { renderMarkdown } from './lib/markdown.js';
import { defaultResultsDir, repoRoot, scripts } from './lib/paths.js';
import { RedisServer } from './lib/redis-server.js';
import { RelayProcess, type RelayKind } from './lib/relay-process.js';
import { gitCommit, loadAverageNow, machine, type BenchResults, type ScenarioOutcome } from './lib/results.js';
import { scenarios, type Scenario } from './scenarios/index.js';
import type { RunContext, RunResult, Side } from './scenarios/scenario.js';

interface Options {
  quick: boolean;
  /** The smoke test's size: quick, with a few messages per scenario. */
  tiny: boolean;
  repeat: number;
  only: string[];
  relays: RelayKind[];
  out: string;
  profile: string | null;
  /** Our relay only: config keys set over the defaults, and extra node flags (investigations). */
  set: Record<string, number | string | boolean>;
  nodeFlags: string[];
}

/** `key=value` pairs: numbers, true/false and text, as RelayConfig holds them. */
function parseSettings(text: string | undefined): Record<string, number | string | boolean> {
  const settings: Record<string, number | string | boolean> = {};
  for (const pair of (text ?? '').split(',').filter(Boolean)) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new Error(`--set: "${pair}" is not key=value`);
    const raw = pair.slice(equals + 1);
    settings[pair.slice(0, equals)] =
      raw === 'true' ? true : raw === 'false' ? false : Number.isFinite(Number(raw)) && raw !== '' ? Number(raw) : raw;
  }
  return settings;
}

function parseOptions(argv: string[]): Options {
  const program = new Command()
    .name('bench')
    .option('--quick', 'one-minute smoke run: smaller loads, one run per relay')
    .option('--tiny', 'smoke test: like --quick with a few messages per scenario (checks the bench runs, not its numbers)')
    .option('--repeat <n>', 'runs per relay and scenario (median is reported); default 3, quick 1')
    .option('--only <names>', 'comma-separated scenario names')
    .option('--relays <list>', 'which relays to run: ours,reference', 'ours,reference')
    .option('--out <dir>', 'where to write the results', defaultResultsDir)
    .option('--profile <dir>', 'write CPU profiles of the relays (node --cpu-prof) into this directory')
    .option('--set <pairs>', 'our relay only: RelayConfig keys over the defaults, e.g. retentionCount=0,broadcastBatchMs=5')
    .option('--node-flags <flags>', 'our relay only: extra node flags, e.g. "--max-semi-space-size=4"')
    .parse(argv);
  const raw = program.opts<{
    quick?: boolean;
    tiny?: boolean;
    repeat?: string;
    only?: string;
    relays: string;
    out: string;
    profile?: string;
    set?: string;
    nodeFlags?: string;
  }>();
  const tiny = raw.tiny === true;
  const quick = raw.quick === true || tiny;
  const relays = raw.relays.split(',').map((name) => name.trim());
  for (const relay of relays) if (relay !== 'ours' && relay !== 'reference') throw new Error(`--relays: unknown relay "${relay}"`);
  const only = raw.only ? raw.only.split(',').map((name) => name.trim()) : [];
  for (const name of only)
    if (!scenarios.some((scenario) => scenario.name === name))
      throw new Error(`--only: no scenario "${name}" (have: ${scenarios.map((s) => s.name).join(', ')})`);
  const repeat = raw.repeat !== undefined ? Number(raw.repeat) : quick ? 1 : 3;
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error('--repeat must be a positive integer');
  return {
    quick,
    tiny,
    repeat,
    only,
    relays: relays as RelayKind[],
    out: resolve(raw.out),
    profile: raw.profile ? resolve(raw.profile) : null,
    set: parseSettings(raw.set),
    nodeFlags: (raw.nodeFlags ?? '').split(' ').filter(Boolean),
  };
}

/** Runs one scenario once for one column (ours or the reference, or its `sides`), then ends every process it started. */
async function runOnce(scenario: Scenario, side: Side, options: Options): Promise<RunResult> {
  const sideSpec = scenario.sides?.[side];
  const relayKind: RelayKind = sideSpec?.relay ?? side;
  const label = sideSpec ? sideSpec.label : relayKind;
  const maxRunMs = options.quick ? 180_000 : 600_000;
  const loads: ChildHandle[] = [];
  const relays: RelayProcess[] = [];
  const redisServers: RedisServer[] = [];
  const spawnLoad = (script: string, config: object, what: string): ChildHandle => {
    const child = new ChildHandle(script, { ...config, maxRunMs }, { label: `${what} (${scenario.name}, ${label})` });
    loads.push(child);
    return child;
  };
  const context: RunContext = {
    relayKind,
    side,
    topology: sideSpec?.topology ?? 'one-node',
    quick: options.quick,
    tiny: options.tiny,
    async startRelay(relayOptions = {}) {
      const { settings, ...rest } = relayOptions;
      const relay = await RelayProcess.start(relayKind, {
        ...rest,
        maxRunMs,
        ...(relayKind === 'ours' ? { settings: { ...settings, ...options.set }, nodeFlags: options.nodeFlags } : {}),
        ...(sideSpec?.preSendHook ? { preSendHook: true } : {}),
        ...(options.profile ? { cpuProfileDir: join(options.profile, `${scenario.name}-${side}`) } : {}),
      });
      relays.push(relay);
      return relay;
    },
    async startRedis() {
      const redis = await RedisServer.start();
      redisServers.push(redis);
      return redis;
    },
    spawnPages: (config) => spawnLoad(scripts.pages, config, 'pages'),
    spawnBackends: (config) => spawnLoad(scripts.backends, config, 'backends'),
    spawnHttpPublishers: (config) => spawnLoad(scripts.httpPublishers, config, 'HTTP publishers'),
    spawnResumingPages: (config) => spawnLoad(scripts.resumingPages, config, 'resuming pages'),
    log(text) {
      console.log(`    [${label}] ${text}`);
    },
  };
  try {
    return await scenario.run(context);
  } finally {
    await Promise.all(loads.map((child) => child.stop()));
    await Promise.all(relays.map((relay) => relay.stop()));
    await Promise.all(redisServers.map((redis) => redis.stop()));
  }
}

function describeRun(result: RunResult): string {
  const metric = (key: string, digits: number): string => (result.metrics[key] !== undefined ? result.metrics[key]!.toFixed(digits) : '–');
  const parts = [`${result.delivered}/${result.sent} delivered`, `throughput ${metric('throughput', 0)}`];
  if (result.metrics.p99Ms !== undefined) parts.push(`p99 ${metric('p99Ms', 2)} ms`);
  if (result.metrics.cpuPerDeliveryUs !== undefined) parts.push(`CPU ${metric('cpuPerDeliveryUs', 2)} µs/delivery`);
  if (result.metrics.rssPerConnectionKiB !== undefined) parts.push(`${metric('rssPerConnectionKiB', 2)} KiB/conn`);
  if (result.metrics.peakRssMiB !== undefined) parts.push(`peak RSS ${metric('peakRssMiB', 1)} MiB`);
  if (result.duplicates > 0) parts.push(`${result.duplicates} DUPLICATES`);
  return parts.join(', ');
}

async function runScenario(scenario: Scenario, options: Options): Promise<ScenarioOutcome> {
  const outcome: ScenarioOutcome = {
    name: scenario.name,
    title: scenario.title,
    load: scenario.describe(options.quick, options.tiny),
    ...(scenario.sides ? { sides: { ours: scenario.sides.ours.label, reference: scenario.sides.reference.label } } : {}),
    status: 'ok',
    notes: [],
    runs: { ours: [], reference: [] },
    totals: { ours: { sent: 0, delivered: 0, duplicates: 0 }, reference: { sent: 0, delivered: 0, duplicates: 0 } },
    comparison: [],
  };
  if (scenario.pending) {
    outcome.status = 'skipped';
    outcome.notes.push(scenario.pending);
    console.log(`\n== ${scenario.title}: SKIPPED — ${scenario.pending}`);
    return outcome;
  }
  console.log(`\n== ${scenario.title}: ${outcome.load}`);
  const started = Date.now();
  for (let rep = 0; rep < options.repeat; rep++) {
    // Alternate the order so neither relay always runs on a warmer machine.
    const order = rep % 2 === 0 ? options.relays : [...options.relays].reverse();
    for (const side of order) {
      const name = scenario.sides?.[side].label ?? side;
      try {
        const result = await runOnce(scenario, side, options);
        outcome.runs[side].push(result);
        const lost = result.sent - result.delivered;
        console.log(
          `  ${name.padEnd(9)} run ${rep + 1}/${options.repeat}: ${describeRun(result)}${lost > 0 ? `  <<< ${lost} LOST >>>` : ''}`,
        );
      } catch (error) {
        outcome.status = 'failed';
        const text = error instanceof Error ? error.message : String(error);
        outcome.notes.push(`${name} run ${rep + 1} failed: ${text}`);
        console.log(`  ${name.padEnd(9)} run ${rep + 1}/${options.repeat}: FAILED: ${text}`);
      }
    }
  }
  console.log(`  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  outcome.totals = { ours: deliveryTotals(outcome.runs.ours), reference: deliveryTotals(outcome.runs.reference) };
  outcome.comparison = scenario.metrics.map((spec) => compareMetric(spec, outcome.runs.ours, outcome.runs.reference));
  return outcome;
}

function lossLines(outcomes: readonly ScenarioOutcome[]): string[] {
  const lines: string[] = [];
  for (const outcome of outcomes) {
    if (outcome.status === 'failed') lines.push(`${outcome.title}: FAILED (${outcome.notes[0]?.split('\n')[0] ?? ''})`);
    for (const relay of ['ours', 'reference'] as const) {
      const totals = outcome.totals[relay];
      if (!isLossFree(totals)) {
        lines.push(
          `${outcome.title} [${relay}]: ${totals.sent - totals.delivered} of ${totals.sent} LOST, ${totals.duplicates} duplicated`,
        );
      }
    }
  }
  return lines;
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv);
  const started = Date.now();
  const loadAtStart = loadAverageNow();
  const selected = scenarios.filter((scenario) =>
    options.only.length > 0 ? options.only.includes(scenario.name) : !(options.quick && scenario.fullOnly),
  );
  console.log(
    `websock-relay benchmark (${options.quick ? 'quick' : 'full'}), relays: ${options.relays.join(' vs ')}, ${options.repeat} run(s) each`,
  );
  const outcomes: ScenarioOutcome[] = [];
  for (const scenario of selected) outcomes.push(await runScenario(scenario, options));

  const problems = lossLines(outcomes);
  const results: BenchResults = {
    mode: options.quick ? 'quick' : 'full',
    date: new Date(started).toISOString(),
    commit: gitCommit(repoRoot),
    node: process.version,
    machine: machine(),
    repeat: options.repeat,
    relays: options.relays,
    durationSeconds: (Date.now() - started) / 1000,
    loadAverage: { start: loadAtStart, end: loadAverageNow() },
    passed: problems.length === 0,
    ...(Object.keys(options.set).length > 0 || options.nodeFlags.length > 0
      ? { ourRelayChanges: { settings: options.set, nodeFlags: options.nodeFlags } }
      : {}),
    scenarios: outcomes,
  };
  const markdown = renderMarkdown(results);
  mkdirSync(options.out, { recursive: true });
  const base = options.quick ? 'quick' : 'latest';
  writeFileSync(join(options.out, `${base}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(options.out, `${base}.md`), markdown);
  if (!options.quick)
    writeFileSync(join(options.out, `full-${results.date.slice(0, 16).replace(/:/g, '-')}.json`), `${JSON.stringify(results, null, 2)}\n`);

  console.log(`\n${markdown}`);
  console.log(`Results written to ${join(options.out, `${base}.json`)} and ${base}.md`);
  if (problems.length > 0) {
    const bar = '!'.repeat(72);
    console.error(
      `\n${bar}\nBENCHMARK FAILED: messages lost or scenarios failed\n${problems.map((line) => `  - ${line}`).join('\n')}\n${bar}`,
    );
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
