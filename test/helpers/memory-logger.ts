import type { LogLevel } from '../../server/config/relay-config.js';
import type { LogFields, Logger } from '../../server/logger/logger.js';

/** A logger that keeps every line, so tests can count what the relay logged. */
export class MemoryLogger implements Logger {
  readonly lines: { level: LogLevel; message: string; fields: LogFields }[] = [];
  constructor(readonly level: LogLevel = 'info') {}
  debug(message: string, fields: LogFields = {}): void {
    if (this.level === 'debug') this.lines.push({ level: 'debug', message, fields });
  }
  info(message: string, fields: LogFields = {}): void {
    if (this.level !== 'warn' && this.level !== 'error') this.lines.push({ level: 'info', message, fields });
  }
  warn(message: string, fields: LogFields = {}): void {
    if (this.level !== 'error') this.lines.push({ level: 'warn', message, fields });
  }
  error(message: string, fields: LogFields = {}): void {
    this.lines.push({ level: 'error', message, fields });
  }
  async close(): Promise<void> {}
  /** Lines whose message contains `text`. */
  matching(text: string): { level: LogLevel; message: string; fields: LogFields }[] {
    return this.lines.filter((line) => line.message.includes(text));
  }
}
