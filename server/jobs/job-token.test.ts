import { describe, expect, it } from 'vitest';
import { JobTokens } from './job-token.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('JobTokens.verify', () => {
  it('accepts the token it minted, once spelled, and refuses another spelling of the same MAC bytes', () => {
    const tokens = new JobTokens('job-token-unit-secret');
    const { token } = tokens.mint('page-uuid', 'import', 60);
    expect(tokens.verify(token)).toMatchObject({ uuid: 'page-uuid', job: 'import' });
    const [payload, mac] = token.split('.') as [string, string];
    // The last of 43 base64url characters carries 4 bits of the MAC and 2 unused ones.
    const bytes = Buffer.from(mac, 'base64url');
    const twins = [...ALPHABET]
      .map((c) => `${mac.slice(0, -1)}${c}`)
      .filter((spelling) => spelling !== mac && Buffer.from(spelling, 'base64url').equals(bytes));
    expect(twins.length).toBe(3);
    for (const twin of twins) expect(tokens.verify(`${payload}.${twin}`)).toBe('tampered');
  });
});
