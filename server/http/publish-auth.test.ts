import { describe, expect, it } from 'vitest';
import { bearerToken, constantTimeMatcher, publishAuth } from './publish-auth.js';

describe('bearerToken', () => {
  it('reads the token of a Bearer header, any case', () => {
    expect(bearerToken('Bearer abc.def')).toBe('abc.def');
    expect(bearerToken('bearer  abc ')).toBe('abc');
  });

  it('is null for anything else', () => {
    for (const header of [undefined, '', 'Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'Bearer a b', 'abc']) {
      expect(bearerToken(header)).toBeNull();
    }
  });

  it('reads each header for itself when they alternate (the last one is remembered)', () => {
    for (let i = 0; i < 3; i++) {
      expect(bearerToken('Bearer one')).toBe('one');
      expect(bearerToken('Bearer one')).toBe('one');
      expect(bearerToken('Basic one')).toBeNull();
      expect(bearerToken('Bearer two')).toBe('two');
    }
  });
});

describe('publishAuth', () => {
  it('with a secret: 401 with a challenge when missing, 403 when wrong, allowed when right', () => {
    const auth = publishAuth({ publishSecret: 's3cret', allowedIP: ['127.0.0.1'] });
    const missing = auth(undefined, '127.0.0.1');
    expect(missing?.status).toBe(401);
    expect(missing?.code).toBe('UNAUTHORIZED');
    expect(missing?.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(auth('Basic czNjcmV0', '127.0.0.1')?.status).toBe(401);
    const wrong = auth('Bearer s3cre', '127.0.0.1');
    expect(wrong?.status).toBe(403);
    expect(wrong?.code).toBe('FORBIDDEN');
    expect(auth('Bearer s3cret', '203.0.113.5')).toBeNull();
  });

  it('without a secret: only allowedIP may publish', () => {
    const auth = publishAuth({ publishSecret: null, allowedIP: ['10.0.0.0/8'] });
    expect(auth(undefined, '10.1.2.3')).toBeNull();
    expect(auth(undefined, '::ffff:10.1.2.3')).toBeNull();
    const refused = auth('Bearer anything', '192.0.2.1');
    expect(refused?.status).toBe(403);
    expect(refused?.message).toMatch(/not allowed from 192\.0\.2\.1/);
  });

  it('treats an empty secret as none', () => {
    const auth = publishAuth({ publishSecret: '', allowedIP: [] });
    expect(auth('Bearer ', '127.0.0.1')?.status).toBe(403);
  });

  it('rejects a bad allowedIP entry when built', () => {
    expect(() => publishAuth({ publishSecret: null, allowedIP: ['not-an-ip'] })).toThrow(/not an IP/);
  });
});

describe('constantTimeMatcher', () => {
  it('accepts the secret only: not a prefix, an extension, a padded or a multibyte look-alike', () => {
    const matches = constantTimeMatcher('s3cret-é');
    expect(matches('s3cret-é')).toBe(true);
    expect(matches('s3cret-é')).toBe(true); // again: nothing is carried from one call to the next
    for (const token of ['', 's3cret-', 's3cret-éx', 's3cret-e', 's3cret-é\0', 'S3cret-é', 'é'.repeat(5)]) {
      expect(matches(token), JSON.stringify(token)).toBe(false);
    }
  });
});
