/**
 * What the demo's job script (clients/demo/demo-job.ts) receives from the
 * relay's demo endpoint (server/demo/demo-jobs.ts), as JSON in argv[2]: the
 * contract between the two, which run as separate processes.
 */
export interface JobScriptArgs {
  /** Where the job connects as a backend, e.g. ws://127.0.0.1:8080/php. */
  address: string;
  uuid: string;
  job: string;
  steps: number;
  stepMs: number;
  /** PEM file of the relay's own certificate, trusted for a wss:// relay. */
  caFile?: string;
  /** The page's job token, sent as `Authorization: Bearer` at the handshake. */
  token?: string;
}
