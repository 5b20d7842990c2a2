import { describe, expect, it } from 'vitest';
import { rewriteLegacyFlags } from './legacy-flags.js';

describe('rewriteLegacyFlags', () => {
  it('turns the original single-dash long flags into double-dash ones', () => {
    expect(
      rewriteLegacyFlags(['serve', '-i', 'websock.ini', '-adress', 'ws://0.0.0.0:8080', '-logfile', '/tmp/x.log', '-console']),
    ).toEqual(['serve', '-i', 'websock.ini', '--adress', 'ws://0.0.0.0:8080', '--logfile', '/tmp/x.log', '--console']);
  });

  it('works when serve is left out, as the original was started', () => {
    expect(rewriteLegacyFlags(['-i', 'a.ini', '-address', 'ws://h:1', '-logLevel', 'debug'])).toEqual([
      '-i',
      'a.ini',
      '--address',
      'ws://h:1',
      '--log-level',
      'debug',
    ]);
  });

  it('splits the -flag=value form into two words', () => {
    expect(rewriteLegacyFlags(['serve', '-adress=ws://h:1', '-i=x.ini'])).toEqual(['serve', '--adress', 'ws://h:1', '-i', 'x.ini']);
  });

  it('leaves double-dash flags, values, unknown flags and everything after -- alone', () => {
    const args = ['serve', '--adress', 'ws://h:1', '-h', '-x', '--', '-console'];
    expect(rewriteLegacyFlags(args)).toEqual(args);
  });

  it('leaves other subcommands alone', () => {
    const args = ['send', '-console', '-adress', 'x'];
    expect(rewriteLegacyFlags(args)).toEqual(args);
    expect(rewriteLegacyFlags([])).toEqual([]);
  });
});
