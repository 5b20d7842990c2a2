import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/config-error.js';
import type { SettingSpecs } from './app.js';
import { readAppSettings } from './app-settings.js';

const where = { source: 'websock.ini', app: 'demo', baseDir: '/etc/websock' };
const specs: SettingSpecs = {
  secret: { type: 'text', required: true },
  file: { type: 'path', default: 'audit.log' },
  enabled: { type: 'bool', default: true },
  count: { type: 'number', default: 3, min: 1 },
  wait: { type: 'seconds', default: 1.5 },
  limit: { type: 'size', default: '1K' },
  paths: { type: 'list', default: ['/web', '/chat'] },
};

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).not.toContain('\n');
    return (error as Error).message;
  }
  throw new Error('did not throw');
}

describe('readAppSettings', () => {
  it('parses every type, applies defaults, resolves paths from the ini folder and matches keys in any case', () => {
    const result = readAppSettings(where, specs, { SECRET: 'x', maxidle: '2.5', count: '7', limit: '2M' }, { mounted: true });
    expect(result).toEqual({
      maxIdleMs: 2500,
      values: {
        secret: 'x',
        file: '/etc/websock/audit.log',
        enabled: true,
        count: 7,
        wait: 1500,
        limit: 2 * 1024 * 1024,
        paths: ['/web', '/chat'],
      },
    });
  });

  it('takes the app’s own maxIdle as the default', () => {
    expect(readAppSettings(where, {}, {}, { mounted: true, maxIdle: 600 }).maxIdleMs).toBe(600_000);
  });

  it('names the app and the key in one line', () => {
    expect(messageOf(() => readAppSettings(where, specs, { secret: 'x', count: '0' }, { mounted: true }))).toBe(
      'websock.ini: [app:demo] count = "0": expected a whole number >= 1',
    );
    expect(messageOf(() => readAppSettings(where, specs, { secret: 'x', colour: 'red' }, { mounted: true }))).toBe(
      'websock.ini: [app:demo] unknown key "colour" (this app reads: maxIdle, secret, file, enabled, count, wait, limit, paths)',
    );
    expect(messageOf(() => readAppSettings(where, specs, {}, { mounted: true }))).toBe(
      'websock.ini: [app:demo] secret is required and not set',
    );
    expect(messageOf(() => readAppSettings(where, {}, { maxIdle: '5' }, { mounted: false }))).toMatch(
      /^websock\.ini: \[app:demo\] maxIdle = "5": maxIdle applies to the clients of a mounted app/,
    );
    expect(messageOf(() => readAppSettings(where, { bad: { type: 'colour' } } as unknown as SettingSpecs, {}, { mounted: true }))).toMatch(
      /^app demo: its setting "bad" has no valid type/,
    );
  });
});
