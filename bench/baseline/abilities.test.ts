import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureBuilt, root } from '../../test/helpers/build-once.js';
import { readAbilities } from './abilities.js';

describe('readAbilities', () => {
  it("reads this checkout's own build as it would a baseline's (so the readers keep up with tsc's output)", async () => {
    await ensureBuilt();
    const abilities = readAbilities(root);
    expect(abilities.processConfigFields).toEqual(
      expect.arrayContaining(['maxRunMs', 'maxMessageBytes', 'publishSecret', 'settings', 'preSendHook']),
    );
    expect(abilities.configKeys).toEqual(expect.arrayContaining(['http2', 'publishSecret', 'retentionCount']));
    expect(abilities.requests).toEqual(expect.arrayContaining(['stats', 'gc', 'reset-peak', 'stop']));
    expect(abilities.benchPublishSecret).toBe('bench-publish-secret');
    expect(abilities.servesPusherApp).toBe(true);
  }, 130_000);

  it('says which file is missing when the tree was not built', () => {
    expect(() => readAbilities(join(root, 'no-such-build'))).toThrow(/has no dist\/bench\/servers\/serve-bench\.d\.ts/);
  });
});
