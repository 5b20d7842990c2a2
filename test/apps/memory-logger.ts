import type { LogFields, Logger } from '../../server/logger/logger.js';

/** A logger that keeps its lines, so tests can check what the relay reported. */
export class MemoryLogger implements Logger {
  readonly level = 'debug' as const;
  readonly lines: { level: string; message: string; fields: LogFields }[] = [];

  debug(message: string, fields: LogFields = {}): void {
    this.lines.push({ level: 'debug', message, fields });
  }
  info(message: string, fields: LogFields = {}): void {
    this.lines.push({ level: 'info', message, fields });
  }
  warn(message: string, fields: LogFields = {}): void {
    this.lines.push({ level: 'warn', message, fields });
  }
  error(message: string, fields: LogFields = {}): void {
    this.lines.push({ level: 'error', message, fields });
  }
  async close(): Promise<void> {}

  /** Lines whose message is `message`. */
  find(message: string): { level: string; message: string; fields: LogFields }[] {
    return this.lines.filter((line) => line.message === message);
  }
}
