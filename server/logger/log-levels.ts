/** Level order and filtering, shared by every Logger implementation. */
import type { LogLevel } from '../config/relay-config.js';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Does a logger set to `threshold` write a line at `level`? */
export function isLevelEnabled(threshold: LogLevel, level: LogLevel): boolean {
  return RANK[level] >= RANK[threshold];
}
