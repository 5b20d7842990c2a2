/**
 * Investigation, not a verdict of the table: HTTP publish CPU per request
 * of our relay against the reference, both running and warm at once, the
 * load alternating between them in phases (ours then the reference, then
 * the other way round). Adjacent phases are a second or so apart, so a
 * round's ratio sees nearly the same machine on both sides, which runs of
 * fresh processes minutes apart do not.
 *
 *   node dist/bench/http-phases.js [--secret] [--rounds 12] [--requests 5000] [--relay-cpu 1]
 *
 * `--relay-cpu N` pins both relays to core N (taskset) and this process,
 * which makes the load and holds the pages, to the others. Prints each
 * round and then the median ratio with its spread; exits 1 when a relay
 * refused a request (the figures would not be the same work).
 */
import { Agent, request } from 'node:http';
import { execFileSync } from 'node:child_process';
import { loadavg, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { RelayProcess, type RelayKind } from './lib/relay-process.js';
import { BENCH_PUBLISH_SECRET } from './servers/serve-bench.js';

const { values } = parseArgs({
  options: {
    secret: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '12' },
    requests: { type: 'string', default: '5000' },
    'relay-cpu': { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const perPhase = Number(values.requests);
const CONNECTIONS = 10;
const PAGES = 50;
const WARMUP = 5_000;
if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(perPhase) || perPhase < CONNECTIONS) {
  throw new Error('--rounds must be a positive integer and --requests at least 10');
}

interface Side {
  kind: RelayKind;
  relay: RelayProcess;
  agent: Agent;
  pages: WebSocket[];
  uuids: string[];
  refused: number;
}

function pin(pid: number | undefined, cpuList: string): void {
  if (pid !== undefined) execFileSync('taskset', ['-a', '-p', '-c', cpuList, String(pid)], { stdio: 'ignore' });
}

async function openSide(kind: RelayKind): Promise<Side> {
  const relay = await RelayProcess.start(kind, {
    maxRunMs: 3_600_000,
    ...(values.secret ? { publishSecret: BENCH_PUBLISH_SECRET } : {}),
  });
  if (values['relay-cpu'] !== undefined) pin(relay.pid, values['relay-cpu']);
  const pages: WebSocket[] = [];
  const uuids: string[] = [];
  for (let i = 0; i < PAGES; i++) {
    const page = new WebSocket(relay.url('/web'));
    uuids.push(
      await new Promise<string>((resolve, reject) => {
        page.once('message', (data) => resolve(String((JSON.parse(String(data)) as { uuid: unknown }).uuid)));
        page.once('error', reject);
      }),
    );
    pages.push(page);
  }
  return { kind, relay, agent: new Agent({ keepAlive: true, maxSockets: CONNECTIONS }), pages, uuids, refused: 0 };
}

function post(side: Side, uuid: string, n: number): Promise<void> {
  const body = JSON.stringify({ uuid, message: `phase message ${n} `.padEnd(60, '.') });
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  if (values.secret) headers.authorization = `Bearer ${BENCH_PUBLISH_SECRET}`;
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: side.relay.port, path: '/feedback', method: 'POST', agent: side.agent, headers },
      (res) => {
        if (res.statusCode !== 200) side.refused++;
        res.resume();
        res.on('end', resolve);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** `count` requests over the side's connections, one at a time each; the relay's CPU per request, µs. */
async function phase(side: Side, count: number): Promise<number> {
  const before = await side.relay.stats();
  const each = Math.floor(count / CONNECTIONS);
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, c) => {
      for (let i = 0; i < each; i++) await post(side, side.uuids[(c * each + i) % PAGES]!, i);
    }),
  );
  const after = await side.relay.stats();
  return (after.cpuUserUs + after.cpuSystemUs - before.cpuUserUs - before.cpuSystemUs) / (each * CONNECTIONS);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const sides: Side[] = [];
try {
  if (values['relay-cpu'] !== undefined) {
    const others = cpus()
      .map((_, i) => String(i))
      .filter((i) => !values['relay-cpu']!.split(',').includes(i));
    if (others.length > 0) pin(process.pid, others.join(','));
  }
  const ours = await openSide('ours');
  const reference = await openSide('reference');
  sides.push(ours, reference);
  const load = loadavg()[0]!.toFixed(1);
  await phase(ours, WARMUP);
  await phase(reference, WARMUP);
  const ratios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? [ours, reference] : [reference, ours];
    const cost = new Map<Side, number>();
    for (const side of order) cost.set(side, await phase(side, perPhase));
    const ratio = cost.get(ours)! / cost.get(reference)!;
    ratios.push(ratio);
    console.log(
      `round ${round + 1}: ours ${cost.get(ours)!.toFixed(1)} µs, reference ${cost.get(reference)!.toFixed(1)} µs, ratio ${ratio.toFixed(3)}`,
    );
  }
  const sorted = [...ratios].sort((a, b) => a - b);
  console.log(
    `${values.secret ? 'bearer secret' : 'allowedIP'}: CPU per request ours/reference ${median(ratios).toFixed(3)} ` +
      `(${sorted[0]!.toFixed(3)}–${sorted.at(-1)!.toFixed(3)}, ${rounds} rounds of ${perPhase} requests a side), ` +
      `load average ${load} → ${loadavg()[0]!.toFixed(1)}`,
  );
  if (ours.refused + reference.refused > 0) {
    console.log(`refused requests: ours ${ours.refused}, reference ${reference.refused}`);
    process.exitCode = 1;
  }
} finally {
  for (const side of sides) {
    side.agent.destroy();
    for (const page of side.pages) page.terminate();
    await side.relay.stop().catch(() => side.relay.kill());
  }
}
