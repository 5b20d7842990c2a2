import { describe, expect, it } from 'vitest';
import { parseRunOptions, parseSettings } from './run-options.js';

const parse = (...args: string[]) => parseRunOptions(['node', 'run.js', ...args]);

describe('parseRunOptions', () => {
  it('has no baseline unless asked, and takes any ref for it', () => {
    expect(parse().baseline).toBeNull();
    const options = parse('--baseline', 'HEAD~3', '--only', 'fan-out,v1-stop-and-wait', '--repeat', '3');
    expect(options).toMatchObject({ baseline: 'HEAD~3', only: ['fan-out', 'v1-stop-and-wait'], repeat: 3, relays: ['ours', 'reference'] });
  });

  it('refuses a baseline with one relay, an empty ref, an unknown scenario and a bad repeat', () => {
    expect(() => parse('--baseline', '544b117', '--relays', 'ours')).toThrow(/--baseline compares two columns/);
    expect(() => parse('--baseline', ' ')).toThrow(/needs a git ref/);
    expect(() => parse('--only', 'stop-and-wait')).toThrow(/no scenario "stop-and-wait"/);
    expect(() => parse('--repeat', '0')).toThrow(/positive integer/);
  });

  it('takes a patch for the baseline only with a baseline, as an absolute path', () => {
    expect(parse('--baseline', 'HEAD').baselinePatch).toBeNull();
    const options = parse('--baseline', 'HEAD', '--baseline-patch', 'bench/baseline/without-hooks.patch');
    expect(options.baselinePatch).toMatch(/^\/.*bench\/baseline\/without-hooks\.patch$/);
    expect(() => parse('--baseline-patch', 'x.patch')).toThrow(/needs --baseline/);
  });
});

describe('parseSettings', () => {
  it('reads numbers, booleans and text', () => {
    expect(parseSettings('retentionCount=0,http2=true,logLevel=debug')).toEqual({ retentionCount: 0, http2: true, logLevel: 'debug' });
    expect(() => parseSettings('http2')).toThrow(/not key=value/);
  });
});
