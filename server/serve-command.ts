/**
 * `websock serve`: turn websock.ini and the command line into a running,
 * logged relay, and stop it cleanly on SIGINT/SIGTERM.
 *
 * Exit codes: 0 after a clean stop, 1 when the port cannot be opened or the
 * relay fails, 2 for a bad configuration, 1 on a second signal during stop.
 */
import { ConfigError } from './config/config-error.js';
import { defaultIniFile } from './config/default-ini-file.js';
import { describeListenError } from './config/listen-error.js';
import { loadConfig } from './config/load-config.js';
import type { RelayConfig } from './config/relay-config.js';
import { installDemo } from './demo/index.js';
import { createLogger } from './logger/line-logger.js';
import type { Logger } from './logger/logger.js';
import { Relay } from './relay.js';
import { loadApps, type LoadedApp } from './apps/app-loader.js';
import { installApps } from './apps/install-app.js';

/** The flags commander hands over (see serve-cli.ts). */
export interface ServeFlags {
  ini?: string;
  adress?: string;
  address?: string;
  logfile?: string;
  /** `--console` alone is true; `--console off` passes the word. */
  console?: boolean | string;
  logLevel?: string;
  broker?: string;
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_CONFIG = 2;

/** Beyond shutdownGrace, how long stop() may take before the process just exits. */
const STOP_MARGIN_MS = 5_000;

/** Print one line for the user on stderr, prefixed like every CLI error. */
function fail(message: string, code: number): never {
  process.stderr.write(`websock: ${message}\n`);
  process.exit(code);
}

/** Start the relay; resolves once it listens (the process then lives until a signal). */
export async function serve(flags: ServeFlags): Promise<void> {
  const warnings: string[] = [];
  const iniFile = flags.ini ?? defaultIniFile();
  let config: RelayConfig;
  let apps: LoadedApp[];
  try {
    config = loadConfig({
      iniFile,
      overrides: {
        address: flags.address ?? flags.adress,
        logfile: flags.logfile,
        console: flags.console,
        logLevel: flags.logLevel,
        broker: flags.broker,
      },
      onWarning: (warning) => warnings.push(warning),
    });
    apps = await loadApps(iniFile);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message, EXIT_BAD_CONFIG);
    throw error;
  }

  const logger = createLogger(config);
  for (const warning of warnings) {
    logger.warn(warning);
    // Without the console on, the person starting the relay would not see it in the log file.
    if (!config.console) process.stderr.write(`websock: warning: ${warning}\n`);
  }
  const relay = new Relay(config, { logger });
  if (config.demo) installDemo(relay);
  // Loaded only when enabled: socket.io adds about 7 MiB to a relay that does not serve it.
  const novosga = config.novosgaEnabled ? await import('./apps/novosga/index.js') : null;
  if (novosga !== null) {
    try {
      await novosga.installNovosga(relay);
    } catch (error) {
      const line = (error as Error).message;
      logger.error(line);
      await logger.close();
      fail(line, EXIT_FAILURE);
    }
  }
  try {
    await installApps(relay, apps);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message, EXIT_BAD_CONFIG);
    throw error;
  }
  const lifecycle = new Lifecycle(relay, logger, config.shutdownGraceMs + STOP_MARGIN_MS);
  lifecycle.install();

  try {
    await relay.start();
  } catch (error) {
    const line = describeListenError(config.address, error);
    // Said once, on stderr; the log file gets it too, but not the console
    // (with --console the same line would be printed twice).
    await logger.close();
    if (config.logfile !== null) {
      const fileOnly = createLogger({ ...config, console: false });
      fileOnly.error(line);
      await fileOnly.close();
    }
    fail(line, EXIT_FAILURE);
  }
  // Nobody reading stdout (a closed pipe) must not crash the relay: the lines are also in the log.
  process.stdout.on('error', stdoutOnError);
  // The actual port (the configured one may be 0): scripts and tests read it from here.
  process.stdout.write(`websock: relay listening on ${relay.url('/')} (browsers: /web, backend scripts: /php)\n`);
  if (config.demo) process.stdout.write(`Demo page: ${relay.httpUrl('/')}\n`);
  if (novosga !== null) {
    const pages = novosga.PAGES_PREFIX;
    process.stdout.write(
      `Novo SGA: socket.io at ${relay.httpUrl(config.novosgaPath)}, panel ${relay.httpUrl(`${pages}panel.html`)}, attendant ${relay.httpUrl(`${pages}attendant.html`)}\n`,
    );
  }
}

function stdoutOnError(): void {
  // Deliberately ignored; see serve().
}

/** Owns the signal and crash handlers of a running relay. */
class Lifecycle {
  #stopping = false;
  readonly #relay: Relay;
  readonly #logger: Logger;
  readonly #stopLimitMs: number;

  constructor(relay: Relay, logger: Logger, stopLimitMs: number) {
    this.#relay = relay;
    this.#logger = logger;
    this.#stopLimitMs = stopLimitMs;
  }

  install(): void {
    process.on('SIGINT', this.#onSignal);
    process.on('SIGTERM', this.#onSignal);
    process.on('uncaughtException', this.#onCrash);
  }

  readonly #onSignal = (signal: NodeJS.Signals): void => {
    if (this.#stopping) {
      this.#logger.warn('second signal: exiting without waiting', { signal });
      process.exit(EXIT_FAILURE);
    }
    this.#stopping = true;
    this.#logger.info('shutting down: closing clients', { signal });
    // A stop that hangs must not keep a service manager waiting for ever.
    const limit = setTimeout(this.#onStopTimeout, this.#stopLimitMs);
    limit.unref();
    this.#relay.stop().then(
      () => this.#exit(EXIT_OK),
      (error: unknown) => {
        this.#logger.error('stop failed', { reason: error instanceof Error ? error.message : String(error) });
        void this.#exit(EXIT_FAILURE);
      },
    );
  };

  readonly #onStopTimeout = (): void => {
    this.#logger.error('stop did not finish in time: exiting', { ms: this.#stopLimitMs });
    process.exit(EXIT_FAILURE);
  };

  /** A bug somewhere: record it where the operator looks (the log), then let the service manager restart us. */
  readonly #onCrash = (error: Error): void => {
    this.#logger.error('uncaught exception: exiting', { reason: error.message, stack: error.stack ?? null });
    process.stderr.write(`websock: internal error: ${error.message}\n`);
    process.exit(EXIT_FAILURE);
  };

  async #exit(code: number): Promise<void> {
    this.#logger.info('exiting', { code });
    await this.#logger.close();
    process.exit(code);
  }
}
