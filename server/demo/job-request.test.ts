import { describe, expect, it } from 'vitest';
import { DEFAULT_STEPS, MAX_STEPS, parseJobRequest } from './job-request.js';

const id = () => 'job-fixed';

describe('parseJobRequest', () => {
  it('accepts a uuid and fills in defaults', () => {
    expect(parseJobRequest({ uuid: 'a1b2.c3d4' }, id)).toEqual({ uuid: 'a1b2.c3d4', job: 'job-fixed', steps: DEFAULT_STEPS });
    expect(parseJobRequest({ uuid: 'u', steps: 3, job: 'mine_1' }, id)).toEqual({ uuid: 'u', job: 'mine_1', steps: 3 });
  });

  it('says what is wrong', () => {
    expect(parseJobRequest(null)).toMatch(/JSON object/);
    expect(parseJobRequest([1])).toMatch(/JSON object/);
    expect(parseJobRequest({})).toMatch(/"uuid"/);
    expect(parseJobRequest({ uuid: 'has space' })).toMatch(/"uuid"/);
    expect(parseJobRequest({ uuid: 'x'.repeat(201) })).toMatch(/"uuid"/);
    expect(parseJobRequest({ uuid: 'u', steps: 0 })).toMatch(/"steps"/);
    expect(parseJobRequest({ uuid: 'u', steps: MAX_STEPS + 1 })).toMatch(/"steps"/);
    expect(parseJobRequest({ uuid: 'u', steps: 2.5 })).toMatch(/"steps"/);
    expect(parseJobRequest({ uuid: 'u', steps: '5' })).toMatch(/"steps"/);
    expect(parseJobRequest({ uuid: 'u', job: '../x' })).toMatch(/"job"/);
  });
});
