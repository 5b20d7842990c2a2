/** CPU and memory of the current process, as a relay process reports them to the runner. */
import { readFileSync } from 'node:fs';

export interface ProcessStats {
  /** CPU time since the process started, µs. */
  cpuUserUs: number;
  cpuSystemUs: number;
  /** Resident set now and its peak since start (VmHWM), bytes. */
  rssBytes: number;
  peakRssBytes: number;
  heapUsedBytes: number;
}

/** Read a `Name:   123 kB` field of /proc/self/status, in bytes; null off Linux. */
function procStatusBytes(field: string): number | null {
  try {
    const text = readFileSync('/proc/self/status', 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export function processStats(): ProcessStats {
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  return {
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    rssBytes: memory.rss,
    peakRssBytes: procStatusBytes('VmHWM') ?? memory.rss,
    heapUsedBytes: memory.heapUsed,
  };
}

export function isProcessStats(value: unknown): value is ProcessStats {
  const stats = value as Partial<ProcessStats> | null;
  return typeof stats === 'object' && stats !== null && typeof stats.cpuUserUs === 'number' && typeof stats.peakRssBytes === 'number';
}
