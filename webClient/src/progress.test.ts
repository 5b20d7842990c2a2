import { describe, expect, it } from 'vitest';
import { isProgress, progressPercent, progressText } from './progress.js';

describe('progressPercent', () => {
  it('prefers percent, then done/total', () => {
    expect(progressPercent({ percent: 40, done: 1, total: 2 })).toBe(40);
    expect(progressPercent({ done: 3, total: 12 })).toBe(25);
  });

  it('is 100 once done and clamps to 0..100', () => {
    expect(progressPercent({ state: 'done' })).toBe(100);
    expect(progressPercent({ percent: 140 })).toBe(100);
    expect(progressPercent({ done: -1, total: 5 })).toBe(0);
  });

  it('is undefined when nothing implies it', () => {
    expect(progressPercent({ status: 'warming up' })).toBeUndefined();
    expect(progressPercent({ done: 3, total: 0 })).toBeUndefined();
    expect(progressPercent({ percent: Number.NaN })).toBeUndefined();
  });
});

describe('progressText', () => {
  it('uses status, then done/total, then percent, then state', () => {
    expect(progressText({ status: 'copying', done: 1, total: 2 })).toBe('copying');
    expect(progressText({ done: 1, total: 2 })).toBe('1/2');
    expect(progressText({ percent: 33.4 })).toBe('33 %');
    expect(progressText({ state: 'failed' })).toBe('failed');
  });

  it('shows the message of a report without status (the CLI puts the final words there)', () => {
    expect(progressText({ job: 'import', done: 3, total: 3, state: 'done' }, 'import finished')).toBe('import finished');
    expect(progressText({ status: 'copying' }, 'ignored')).toBe('copying');
    expect(progressText({ done: 1, total: 2 }, { not: 'text' })).toBe('1/2');
    expect(progressText({ done: 1, total: 2 }, '')).toBe('1/2');
  });
});

describe('isProgress', () => {
  it('accepts objects only', () => {
    expect(isProgress({})).toBe(true);
    expect(isProgress(null)).toBe(false);
    expect(isProgress([1])).toBe(false);
    expect(isProgress('50%')).toBe(false);
  });
});
