/**
 * What a built baseline's bench relay understands, read from its compiled
 * files (never by running it): the relay-process config it takes, its
 * RelayConfig keys, the IPC requests it answers, its fixed bench secret and
 * whether it serves the bench's Pusher app.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { answeredRequests, declaredFields, declaredStringConstant, declaresConstant } from './declarations.js';

export interface BaselineAbilities {
  /** Fields of its relay-process config (`ServerProcessConfig`): what the runner may ask of it. */
  processConfigFields: string[];
  /** Keys of its `RelayConfig`: what `settings` may set, where it takes `settings` at all. */
  configKeys: string[];
  /** IPC requests its bench server answers (`stats`, `gc`, `reset-peak`, `stop` …). */
  requests: string[];
  /** Its `BENCH_PUBLISH_SECRET`, null when it has none. */
  benchPublishSecret: string | null;
  /** It serves the bench Pusher app (`BENCH_PUSHER_APP`), so Pusher pages and publishers have somewhere to go. */
  servesPusherApp: boolean;
}

/** The compiled files the abilities are read from, relative to the baseline's root. */
export const ABILITY_SOURCES = {
  serveBenchTypes: 'dist/bench/servers/serve-bench.d.ts',
  serveBenchCode: 'dist/bench/servers/serve-bench.js',
  relayConfigTypes: 'dist/server/config/relay-config.d.ts',
} as const;

function readBuilt(root: string, path: string): string {
  const file = join(root, path);
  if (!existsSync(file)) throw new Error(`the baseline build has no ${path} (is it a commit with the bench and a declaration build?)`);
  return readFileSync(file, 'utf8');
}

export function readAbilities(root: string): BaselineAbilities {
  const serveTypes = readBuilt(root, ABILITY_SOURCES.serveBenchTypes);
  const processConfigFields = declaredFields(serveTypes, 'ServerProcessConfig');
  if (processConfigFields === null) throw new Error(`the baseline's ${ABILITY_SOURCES.serveBenchTypes} declares no ServerProcessConfig`);
  return {
    processConfigFields,
    configKeys: declaredFields(readBuilt(root, ABILITY_SOURCES.relayConfigTypes), 'RelayConfig') ?? [],
    requests: answeredRequests(readBuilt(root, ABILITY_SOURCES.serveBenchCode)),
    benchPublishSecret: declaredStringConstant(serveTypes, 'BENCH_PUBLISH_SECRET'),
    servesPusherApp: declaresConstant(serveTypes, 'BENCH_PUSHER_APP'),
  };
}
