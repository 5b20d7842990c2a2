/**
 * Process entry: our relay, configured as a user would run it (defaults),
 * on an ephemeral loopback port, with the HTTP API (the Relay installs it;
 * behind a bearer secret when the scenario sets one, else open to loopback
 * by the default allowedIP), without the demo and without logging.
 */
import { parseAddress } from '../../include/address.js';
import { defaultConfig } from '../../server/config/relay-config.js';
import { silentLogger } from '../../server/logger/logger.js';
import { pusherApp } from '../../server/pusher/apps/pusher-app.js';
import { Relay } from '../../server/relay.js';
import { BENCH_PUSHER_APP, serveBench } from './serve-bench.js';

await serveBench(async function startOurRelay(options) {
  const config = {
    ...defaultConfig(),
    address: parseAddress('ws://127.0.0.1:0'),
    demo: false,
    publishSecret: options.publishSecret ?? null,
    pusherApps: [
      pusherApp({
        id: BENCH_PUSHER_APP.appId,
        key: BENCH_PUSHER_APP.key,
        secret: BENCH_PUSHER_APP.secret,
        // The client-event scenario measures relaying, not Pusher's 10-a-second limit.
        limits: { clientEventRate: 1_000_000 },
      }),
    ],
  };
  if (options.maxMessageBytes !== undefined) config.maxMessageBytes = options.maxMessageBytes;
  for (const [key, value] of Object.entries(options.settings ?? {})) {
    if (!(key in config)) throw new Error(`--set: our relay has no config key "${key}"`);
    (config as Record<string, unknown>)[key] = value;
  }
  const relay = new Relay(config, { logger: silentLogger });
  // One trivial preSend hook (docs/apps.md), to price the hooks path: the hooks-cost scenarios, or BENCH_PRESEND=1 for every run.
  if (options.preSendHook === true || process.env.BENCH_PRESEND === '1')
    relay.hooks.add({ preSend: () => undefined }, { name: 'bench-presend', scope: null });
  await relay.start();
  return { port: relay.port, stop: () => relay.stop() };
});
