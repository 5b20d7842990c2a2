import type { Progress } from '../../include/protocol.js';
import { ClientError, ClientErrorCode } from '../client-error.js';

/**
 * Parse `--progress`: `N/TOTAL` (done of total) or `N` (a percentage).
 * @example parseProgressArg('3/10') // { done: 3, total: 10 }
 */
export function parseProgressArg(text: string): Pick<Progress, 'done' | 'total' | 'percent'> {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(\d+(?:\.\d+)?))?\s*%?\s*$/.exec(text);
  if (!match) throw new ClientError(ClientErrorCode.BadArgument, `--progress must be N/TOTAL or a percentage N, got "${text}"`);
  const first = Number(match[1]);
  if (match[2] !== undefined) return { done: first, total: Number(match[2]) };
  if (first > 100)
    throw new ClientError(ClientErrorCode.BadArgument, `--progress ${text}: a percentage is at most 100 (use N/TOTAL for counts)`);
  return { percent: first };
}
