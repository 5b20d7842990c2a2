import { randomBytes } from 'node:crypto';

/** Random per process, so that two nodes (or two runs of one) never make the same epoch. */
const PROCESS_TAG = randomBytes(6).toString('base64url');
let counter = 0;

/** A new epoch: the name of one numbering run of a page's session log. */
export function newEpoch(): string {
  return `${PROCESS_TAG}${(counter++).toString(36)}`;
}
