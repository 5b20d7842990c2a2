import type { SessionLog } from '../engine/session-log.js';
import { jobName, jobReportOf } from './job-report.js';
import { MAX_JOBS_PER_PAGE, type JobTracker } from './job-tracker.js';

/**
 * After a page resumed: the jobs its session log shows running (latest
 * progress without a final state), and those the page says it watches
 * (`resume`'s optional `jobs` list, which survives a relay whose log did
 * not), that this node does not track are suspected: lost unless a report
 * for them arrives within the grace. This is how a page learns that a relay
 * restart took its job's publisher away. With several nodes, a job that the
 * cluster's directory shows ended (its `lost` already told), or running on a
 * live node, is left to that record.
 */
export async function checkJobsAfterResume(log: SessionLog, jobs: JobTracker, key: string, uuid: string, claimed: unknown): Promise<void> {
  const running = new Map<string, string | number>();
  for (const entry of await log.latestProgress(key)) {
    let packet: unknown;
    try {
      packet = JSON.parse(entry.text);
    } catch {
      continue;
    }
    if (typeof packet !== 'object' || packet === null) continue;
    const report = jobReportOf(packet as { [field: string]: unknown });
    if (report !== null && report.state !== 'done' && report.state !== 'failed') running.set(String(report.job), report.job);
  }
  if (Array.isArray(claimed)) {
    for (const value of claimed.slice(0, MAX_JOBS_PER_PAGE)) {
      const name = jobName(value);
      if (name !== null && !running.has(name)) running.set(name, value as string | number);
    }
  }
  if (running.size === 0) return;
  const suspects: (string | number)[] = [];
  const owners: string[] = [];
  for (const [name, job] of running) {
    if (jobs.get(key, name) !== undefined) continue;
    // Across nodes: a job that ended, or runs on a live node, is not suspected (that node speaks for it).
    const entry = await jobs.clusterEntry(key, name);
    if (entry !== null && (entry.state !== 'running' || entry.nodeAlive)) continue;
    suspects.push(job);
    owners.push(entry?.node ?? '');
  }
  if (suspects.length > 0) jobs.suspect(key, uuid, suspects, owners);
}
