import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { loadConfig } from './load-config.js';

describe('broker keys', () => {
  it('takes a redis:// or rediss:// URL and a prefix, and refuses a broker without a secret in one line', () => {
    expect(() => loadConfig({ overrides: { broker: 'redis://127.0.0.1:6379' } })).toThrow(ConfigError);
    expect(() => loadConfig({ overrides: { broker: 'redis://127.0.0.1:6379' } })).toThrow(/needs a configured secret/);
    expect(() => loadConfig({ overrides: { broker: 'http://127.0.0.1:6379' } })).toThrow(/scheme http:/);
    expect(() => loadConfig({ overrides: { broker: 'redis://127.0.0.1:6379/x' } })).toThrow(/database "x"/);
    expect(loadConfig({}).broker).toBeNull();
    expect(loadConfig({}).brokerPrefix).toBe('websock:');
  });
});
