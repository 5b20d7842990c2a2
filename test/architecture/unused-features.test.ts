/**
 * A feature that is not configured costs no memory: a relay on the memory
 * engine, library or `websock serve`, never loads ioredis (about 11 MiB of
 * resident memory) or socket.io (about 7 MiB, the Novo SGA app). Each case
 * runs in a fresh node process, so what another test loaded cannot hide
 * what the relay loads.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, root } from '../helpers/build-once.js';

const run = promisify(execFile);

/** Start a relay in a fresh process with these config keys, and list which of the watched packages it loaded. */
async function packagesLoaded(config: Record<string, unknown>, start: boolean): Promise<string[]> {
  const server = pathToFileURL(join(root, 'dist/server/index.js')).href;
  const serve = pathToFileURL(join(root, 'dist/server/serve-command.js')).href;
  const script = `
    const { Relay, defaultConfig, silentLogger } = await import(${JSON.stringify(server)});
    await import(${JSON.stringify(serve)});
    const relay = new Relay({ ...defaultConfig(), address: { scheme: 'ws', host: '127.0.0.1', port: 0, resource: '/' }, ...${JSON.stringify(config)} }, { logger: silentLogger });
    if (${start}) { await relay.start(); await relay.stop(); }
    const { createRequire } = await import('node:module');
    const cache = Object.keys(createRequire(import.meta.url).cache);
    const watched = ['ioredis', 'socket.io', 'engine.io'].filter((name) => cache.some((path) => path.includes('/node_modules/' + name + '/')));
    process.stdout.write(JSON.stringify(watched));
  `;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root, timeout: 30_000 });
  return JSON.parse(stdout) as string[];
}

describe('features that are not configured are not loaded', () => {
  beforeAll(async () => {
    await ensureBuilt();
  }, 180_000);

  it('a relay on the memory engine, started and stopped, loads neither ioredis nor socket.io', async () => {
    expect(await packagesLoaded({}, true)).toEqual([]);
  });

  it('a relay given a Redis broker loads ioredis when it builds its engine', async () => {
    // Not started: building the engine makes its (lazy) connections, which is where ioredis is needed.
    expect(await packagesLoaded({ broker: 'redis://127.0.0.1:1', secret: 'a-shared-secret-of-enough-length' }, false)).toContain('ioredis');
  });
});
