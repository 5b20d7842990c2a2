import { describe, expect, it } from 'vitest';
import { healthOf, type HealthSource } from './health-endpoint.js';

function source(shuttingDown?: boolean): HealthSource {
  return {
    hub: { size: 3, browserCount: 2 },
    sessions: { size: 1 },
    ...(shuttingDown === undefined ? {} : { shuttingDown }),
  } as unknown as HealthSource;
}

describe('healthOf', () => {
  it('is ok with whole seconds of uptime and the counts', () => {
    expect(healthOf(source(), 1_000, 62_999)).toEqual({ status: 'ok', uptimeSeconds: 61, connections: 3, browsers: 2, sessions: 1 });
    expect(healthOf(source(false), 1_000, 1_000).status).toBe('ok');
  });

  it('says when the relay is shutting down', () => {
    expect(healthOf(source(true), 0, 0).status).toBe('shutting down');
  });

  it('never reports a negative uptime when the clock steps back', () => {
    expect(healthOf(source(), 10_000, 5_000).uptimeSeconds).toBe(0);
  });
});
