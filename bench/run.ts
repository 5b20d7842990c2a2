/**
 * `npm run bench [-- --quick]`: runs every scenario against our relay and
 * the reference relay (or, with `--baseline REF`, our relay built at REF),
 * side by side, writes the results (JSON and a markdown table) and prints
 * the table. Exits non-zero, loudly, when any message was lost or
 * duplicated or a scenario failed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareBaseline, type BaselineBuild } from './baseline/baseline-build.js';
import {
  BaselineMismatch,
  backendsMismatch,
  baselineSecret,
  httpPublishersMismatch,
  pagesMismatch,
  relayStartMismatch,
} from './baseline/compatibility.js';
import { baselineTarget } from './baseline/targets.js';
import { ChildHandle } from './lib/child-handle.js';
import { compareMetric, deliveryTotals, isLossFree } from './lib/compare.js';
import { renderMarkdown } from './lib/markdown.js';
import { repoRoot, scripts } from './lib/paths.js';
import { RedisServer } from './lib/redis-server.js';
import { RelayProcess, type RelayKind } from './lib/relay-process.js';
import { gitCommit, loadAverageNow, machine, type BenchResults, type ScenarioOutcome } from './lib/results.js';
import { parseRunOptions, type RunOptions as Options } from './lib/run-options.js';
import { scenarios, type Scenario } from './scenarios/index.js';
import type { RunContext, RunResult, Side } from './scenarios/scenario.js';

/** How a column reads: the scenario's sides, else ours / reference; with a baseline its Reference column says the commit. */
function columnLabel(scenario: Scenario, side: Side, baseline: BaselineBuild | null): string {
  const own = scenario.sides?.[side].label;
  if (side === 'ours' || baseline === null) return own ?? side;
  return own !== undefined ? `${own}, ours @${baseline.short}` : `ours @${baseline.short}`;
}

/**
 * Runs one scenario once for one column (ours or the reference, or its
 * `sides`), then ends every process it started. The baseline's column runs
 * our relay as built at that commit; a request it cannot serve throws
 * BaselineMismatch before anything is spawned for it.
 */
async function runOnce(scenario: Scenario, side: Side, options: Options, baseline: BaselineBuild | null): Promise<RunResult> {
  const sideSpec = scenario.sides?.[side];
  const onBaseline = side === 'reference' ? baseline : null;
  const relayKind: RelayKind = onBaseline ? 'ours' : (sideSpec?.relay ?? side);
  const label = columnLabel(scenario, side, baseline);
  const maxRunMs = options.quick ? 180_000 : 600_000;
  const loads: ChildHandle[] = [];
  const relays: RelayProcess[] = [];
  const redisServers: RedisServer[] = [];
  /** The bearer secret the baseline relay of this run publishes behind (its HTTP publishers must send it). */
  let baselineRelaySecret: string | null = null;
  const refuseOnBaseline = (check: (build: BaselineBuild) => string | null): void => {
    const why = onBaseline ? check(onBaseline) : null;
    if (why !== null) throw new BaselineMismatch(why);
  };
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
      const ourSettings = { ...settings, ...options.set };
      const preSendHook = sideSpec?.preSendHook === true;
      refuseOnBaseline((build) => relayStartMismatch(build.abilities, { ...rest, settings: ourSettings, preSendHook }));
      if (onBaseline) baselineRelaySecret = baselineSecret(onBaseline.abilities, rest.publishSecret);
      const relay = await RelayProcess.start(relayKind, {
        ...rest,
        maxRunMs,
        ...(relayKind === 'ours' ? { settings: ourSettings, nodeFlags: options.nodeFlags } : {}),
        ...(preSendHook ? { preSendHook: true } : {}),
        ...(options.profile ? { cpuProfileDir: join(options.profile, `${scenario.name}-${side}`) } : {}),
        ...(onBaseline
          ? {
              script: onBaseline.relayScript,
              label: `${label} relay`,
              answersResetPeak: onBaseline.abilities.requests.includes('reset-peak'),
            }
          : {}),
      });
      relays.push(relay);
      return relay;
    },
    async startRedis() {
      const redis = await RedisServer.start();
      redisServers.push(redis);
      return redis;
    },
    spawnPages(config) {
      refuseOnBaseline((build) => pagesMismatch(build.abilities, config));
      return spawnLoad(scripts.pages, config, 'pages');
    },
    spawnBackends(config) {
      refuseOnBaseline((build) => backendsMismatch(build.abilities, config));
      return spawnLoad(scripts.backends, config, 'backends');
    },
    spawnHttpPublishers(config) {
      refuseOnBaseline((build) => httpPublishersMismatch(build.abilities, config, baselineRelaySecret));
      return spawnLoad(scripts.httpPublishers, config, 'HTTP publishers');
    },
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

async function runScenario(scenario: Scenario, options: Options, baseline: BaselineBuild | null): Promise<ScenarioOutcome> {
  const outcome: ScenarioOutcome = {
    name: scenario.name,
    title: scenario.title,
    load: scenario.describe(options.quick, options.tiny),
    ...(scenario.sides || baseline
      ? { sides: { ours: columnLabel(scenario, 'ours', baseline), reference: columnLabel(scenario, 'reference', baseline) } }
      : {}),
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
  runs: for (let rep = 0; rep < options.repeat; rep++) {
    // Alternate the order so neither relay always runs on a warmer machine.
    const order = rep % 2 === 0 ? options.relays : [...options.relays].reverse();
    for (const side of order) {
      const name = columnLabel(scenario, side, baseline);
      try {
        const result = await runOnce(scenario, side, options, baseline);
        outcome.runs[side].push(result);
        const lost = result.sent - result.delivered;
        console.log(
          `  ${name.padEnd(9)} run ${rep + 1}/${options.repeat}: ${describeRun(result)}${lost > 0 ? `  <<< ${lost} LOST >>>` : ''}`,
        );
      } catch (error) {
        if (error instanceof BaselineMismatch) {
          // Not a failure: the older relay lacks what this scenario needs, so there is nothing like to compare.
          outcome.status = 'skipped';
          outcome.notes = [`not comparable with ${name}: ${error.message}`];
          outcome.runs = { ours: [], reference: [] };
          console.log(`  SKIPPED — ${outcome.notes[0]}`);
          break runs;
        }
        outcome.status = 'failed';
        const text = error instanceof Error ? error.message : String(error);
        outcome.notes.push(`${name} run ${rep + 1} failed: ${text}`);
        console.log(`  ${name.padEnd(9)} run ${rep + 1}/${options.repeat}: FAILED: ${text}`);
      }
    }
  }
  console.log(`  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  outcome.totals = { ours: deliveryTotals(outcome.runs.ours), reference: deliveryTotals(outcome.runs.reference) };
  if (outcome.status === 'skipped') return outcome;
  const metrics = baseline ? scenario.metrics.map(baselineTarget) : scenario.metrics;
  outcome.comparison = metrics.map((spec) => compareMetric(spec, outcome.runs.ours, outcome.runs.reference));
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
  const options = parseRunOptions(process.argv);
  // Before the clock starts: a first build of the baseline takes a while and is not part of the run.
  const baseline =
    options.baseline !== null
      ? await prepareBaseline(repoRoot, options.baseline, (line) => console.log(line), options.baselinePatch)
      : null;
  const started = Date.now();
  const loadAtStart = loadAverageNow();
  const selected = scenarios.filter((scenario) =>
    options.only.length > 0 ? options.only.includes(scenario.name) : !(options.quick && scenario.fullOnly),
  );
  const relays = baseline ? ['ours', `ours @${baseline.short}`] : options.relays;
  console.log(
    `websock-relay benchmark (${options.quick ? 'quick' : 'full'}), relays: ${relays.join(' vs ')}, ${options.repeat} run(s) each`,
  );
  const outcomes: ScenarioOutcome[] = [];
  for (const scenario of selected) outcomes.push(await runScenario(scenario, options, baseline));

  const problems = lossLines(outcomes);
  const results: BenchResults = {
    mode: options.quick ? 'quick' : 'full',
    date: new Date(started).toISOString(),
    commit: gitCommit(repoRoot),
    node: process.version,
    machine: machine(),
    repeat: options.repeat,
    relays,
    ...(baseline ? { baseline: { ref: baseline.ref, commit: baseline.commit, short: baseline.short, abilities: baseline.abilities } } : {}),
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
  // A baseline comparison is not the full run against the reference: it keeps its own files.
  const base = baseline ? `baseline-${baseline.short}${options.quick ? '-quick' : ''}` : options.quick ? 'quick' : 'latest';
  writeFileSync(join(options.out, `${base}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(options.out, `${base}.md`), markdown);
  if (!options.quick && !baseline)
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
