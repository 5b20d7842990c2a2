export { JobTracker, MAX_JOBS_PER_PAGE, MAX_PENDING_SIGNALS, MAX_SIGNAL_WAITERS, MAX_TRACKED_JOBS } from './job-tracker.js';
export type { JobPublisher, JobRecord } from './job-record.js';
export { jobReportOf } from './job-report.js';
export { handlePageSignal } from './page-signal.js';
export { checkJobsAfterResume } from './resume-check.js';
export { installJobsHttp } from './jobs-http.js';
export { JobTokens, refusalText, scopeProblem, type JobScope } from './job-token.js';
export { handlePageToken } from './page-token.js';
