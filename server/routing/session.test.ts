import { describe, expect, it } from 'vitest';
import { Session } from './session.js';

function progressBytes(session: Session): number {
  let total = 0;
  for (const { text } of session.latestProgress.values()) total += Buffer.byteLength(text);
  return total;
}

describe('Session latest progress', () => {
  it('keeps the latest message of each job within the retention byte limit', () => {
    const session = new Session('k', 'k.sig', null, { count: 1000, bytes: 1_000, ageMs: 60_000 });
    for (let job = 0; job < 5; job++) session.record('x'.repeat(300), String(job), 0);
    expect(progressBytes(session)).toBeLessThanOrEqual(1_000);
    expect([...session.latestProgress.keys()]).toEqual(['2', '3', '4']);
    session.record('y'.repeat(5_000), 'huge', 0);
    expect(session.latestProgress.has('huge')).toBe(false);
    expect(progressBytes(session)).toBeLessThanOrEqual(1_000);
  });

  it('keeps at most 100 jobs, the newest', () => {
    const session = new Session('k', 'k.sig', null, { count: 1000, bytes: 1_000_000, ageMs: 60_000 });
    for (let job = 0; job < 150; job++) session.record('p', String(job), 0);
    session.record('again', '149', 0);
    expect(session.latestProgress.size).toBe(100);
    expect(session.latestProgress.has('50')).toBe(true);
    expect(session.latestProgress.get('149')?.text).toBe('again');
  });
});
