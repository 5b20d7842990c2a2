/**
 * Stress figure, not a test verdict: how much of a pipelined burst a real
 * php-cli receiver (written the way the original PHP client reads: one
 * fread(8192), first frame only) gets at the current machine load.
 *
 * The relay spaces frames to v1 backends by backendFrameGap (the suite
 * checks that spacing with a raw reader, test/php/legacy-php-client.test.ts);
 * whether php-cli keeps up with it depends on how busy the machine is. A
 * read that falls behind gets two frames and keeps the first, so a loaded
 * machine shows fewer than all.
 *
 *   node dist/bench/php-burst.js [--count 200] [--gap 5] [--runs 3]
 *
 * Prints one line per run and exits 0 whatever it measured (1 only when
 * php-cli or the relay cannot be run).
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { RelayClient } from '../clients/index.js';
import { parseAddress } from '../include/address.js';
import { defaultConfig } from '../server/config/relay-config.js';
import { silentLogger } from '../server/logger/logger.js';
import { Relay } from '../server/relay.js';
import { repoRoot } from './lib/paths.js';

const { values } = parseArgs({
  options: { count: { type: 'string', default: '200' }, gap: { type: 'string', default: '5' }, runs: { type: 'string', default: '3' } },
});
const count = Number(values.count);
const gapMs = Number(values.gap);
const runs = Number(values.runs);
const script = `${repoRoot}test/php/legacy-php-client.php`;

/** Start the PHP receiver; resolves with a function that waits for its final count. */
function phpReceiver(port: number, ident: string): Promise<() => Promise<number>> {
  const child = spawn('php', [script, String(port), 'receive', String(count), ident]);
  let output = '';
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', () => {
      clearTimeout(timer);
      const got = /received=(\d+)/.exec(output);
      if (got) resolve(Number(got[1]));
      else reject(new Error(`php said: ${output}`));
    });
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      output += text;
      if (output.includes('listening')) resolve(() => exited);
      if (output.includes('not connected')) reject(new Error('php could not connect'));
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
  });
}

const relay = new Relay(
  { ...defaultConfig(), address: parseAddress('ws://127.0.0.1:0'), demo: false, backendFrameGapMs: gapMs },
  { logger: silentLogger },
);
await relay.start();
try {
  for (let run = 1; run <= runs; run++) {
    const ident = `php-burst-${run}`;
    const received = await phpReceiver(relay.port, ident);
    const publisher = await RelayClient.connect(`ws://127.0.0.1:${relay.port}/php`);
    const started = performance.now();
    await Promise.all(Array.from({ length: count }, (_, i) => publisher.send(ident, `m${i}`)));
    await publisher.close();
    const got = await received();
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `run ${run}: php-cli received ${got} of ${count} (backendFrameGap ${gapMs} ms, ${seconds.toFixed(1)} s, load average ${loadavg()[0]!.toFixed(2)})`,
    );
  }
} catch (error) {
  console.error(`php-burst: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await relay.stop();
}
