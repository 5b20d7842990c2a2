/**
 * The relay's Logger: timestamped one-line events to the console and/or a
 * rotating file, filtered by level. Logging never takes the relay down: if
 * the file cannot be opened or written (disk full, permissions changed,
 * folder removed) the logger says so once on stderr and keeps going there.
 */
import type { LogLevel, RelayConfig } from '../config/relay-config.js';
import { formatLogLine } from './log-format.js';
import { isLevelEnabled } from './log-levels.js';
import type { LogFields, Logger } from './logger.js';
import { RotatingFile } from './rotating-file.js';

/** The part of a stream the logger uses (process.stdout, a test buffer). */
export interface LineSink {
  write(text: string): unknown;
  on?(event: 'error', listener: (error: Error) => void): unknown;
  off?(event: 'error', listener: (error: Error) => void): unknown;
}

export interface LineLoggerOptions {
  level: LogLevel;
  /** Write lines to `stdout`. */
  console: boolean;
  /** Also write lines to this file; null for none. */
  logfile: string | null;
  logMaxBytes: number;
  logKeep: number;
  /** Defaults: process.stdout and process.stderr. */
  stdout?: LineSink;
  stderr?: LineSink;
  /** Time source, for tests. */
  now?: () => Date;
}

export class LineLogger implements Logger {
  readonly level: LogLevel;
  readonly #stdout: LineSink;
  readonly #stderr: LineSink;
  readonly #now: () => Date;
  #console: boolean;
  #file: RotatingFile | null = null;
  /** Set once the file failed: its lines go to stderr (unless the console has them). */
  #fileFailed = false;
  #closed = false;
  readonly #onConsoleError = (error: Error): void => this.#consoleOnError(error);

  constructor(options: LineLoggerOptions) {
    this.level = options.level;
    this.#stdout = options.stdout ?? process.stdout;
    this.#stderr = options.stderr ?? process.stderr;
    this.#now = options.now ?? (() => new Date());
    this.#console = options.console;
    // A closed pipe (`websock serve | head`) emits EPIPE asynchronously; unheard, it would crash the relay.
    if (this.#console) this.#stdout.on?.('error', this.#onConsoleError);
    if (options.logfile !== null) {
      try {
        this.#file = new RotatingFile({ path: options.logfile, maxBytes: options.logMaxBytes, keep: options.logKeep });
      } catch (error) {
        this.#fileOnError(options.logfile, error);
      }
    }
  }

  debug(message: string, fields?: LogFields): void {
    this.#log('debug', message, fields);
  }

  info(message: string, fields?: LogFields): void {
    this.#log('info', message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.#log('warn', message, fields);
  }

  error(message: string, fields?: LogFields): void {
    this.#log('error', message, fields);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#file?.close();
    this.#file = null;
    this.#stdout.off?.('error', this.#onConsoleError);
  }

  #log(level: LogLevel, message: string, fields?: LogFields): void {
    if (this.#closed || !isLevelEnabled(this.level, level)) return;
    const line = formatLogLine(this.#now(), level, message, fields) + '\n';
    if (this.#console) this.#stdout.write(line);
    if (this.#file !== null) {
      try {
        this.#file.write(line);
      } catch (error) {
        this.#fileOnError(this.#file.path, error);
      }
    }
    if (this.#fileFailed && !this.#console) this.#stderr.write(line);
  }

  #fileOnError(path: string, error: unknown): void {
    this.#file?.close();
    this.#file = null;
    this.#fileFailed = true;
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    const whereNow = this.#console ? 'the console only' : 'stderr';
    this.#stderr.write(
      formatLogLine(this.#now(), 'error', `log file cannot be written; logging to ${whereNow} from now on`, { file: path, reason: code }) +
        '\n',
    );
  }

  #consoleOnError(_error: Error): void {
    // Nobody reads the console any more; the file (if any) still gets every line.
    this.#console = false;
  }
}

/** The logger a relay started from this configuration writes to. */
export function createLogger(
  config: Pick<RelayConfig, 'logLevel' | 'console' | 'logfile' | 'logMaxBytes' | 'logKeep'>,
  streams: Pick<LineLoggerOptions, 'stdout' | 'stderr' | 'now'> = {},
): LineLogger {
  return new LineLogger({
    level: config.logLevel,
    console: config.console,
    logfile: config.logfile,
    logMaxBytes: config.logMaxBytes,
    logKeep: config.logKeep,
    ...streams,
  });
}
