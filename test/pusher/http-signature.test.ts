/**
 * The Pusher request signature against the worked examples of Pusher's
 * documentation ("REST API authentication" and "authorizing channels"),
 * and each refusal with the code Pusher answers.
 */
import { describe, expect, it } from 'vitest';
import { PusherHttpError } from '../../server/pusher/http/pusher-http-error.js';
import { hmacHex, md5Hex, signedParams, stringToSign, verifySignature } from '../../server/pusher/http/request-signature.js';

// From Pusher's docs: app 3, key and secret of its worked example.
const APP = { key: '278d425bdf160c739803', secret: '7ad3773142a6692b25b8' };
const BODY = '{"name":"foo","channels":["project-3"],"data":"{\\"some\\":\\"data\\"}"}';
const TIMESTAMP = 1353088179;
const SIGNATURE = 'da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c';

function refusal(run: () => void): PusherHttpError {
  try {
    run();
  } catch (error) {
    if (error instanceof PusherHttpError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('Pusher request signature: the documented vectors', () => {
  it('body_md5, string to sign and signature of the worked REST example', () => {
    expect(md5Hex(BODY)).toBe('ec365a775a4cd0599faeb73354201b6f');
    const params = { auth_key: APP.key, auth_timestamp: String(TIMESTAMP), auth_version: '1.0', body_md5: md5Hex(BODY) };
    expect(stringToSign('POST', '/apps/3/events', params)).toBe(
      'POST\n/apps/3/events\nauth_key=278d425bdf160c739803&auth_timestamp=1353088179&auth_version=1.0&body_md5=ec365a775a4cd0599faeb73354201b6f',
    );
    expect(signedParams(APP, 'POST', '/apps/3/events', BODY, TIMESTAMP).auth_signature).toBe(SIGNATURE);
  });

  it('the channel authorisation examples (same HMAC): private and presence', () => {
    expect(hmacHex(APP.secret, '1234.1234:private-foobar')).toBe('58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4');
    const channelData = '{"user_id":10,"user_info":{"name":"Mr. Pusher"}}';
    expect(hmacHex(APP.secret, `1234.1234:presence-foobar:${channelData}`)).toBe(
      'afaed3695da2ffd16931f457e338e6c9f2921fa133ce7dac49f529792be6304c',
    );
  });

  it('sorts parameters by lower-cased key, whatever their order or case', () => {
    expect(
      stringToSign('get', '/apps/3/channels', { info: 'user_count', Filter_By_Prefix: 'presence-', auth_key: 'k', auth_signature: 'x' }),
    ).toBe('GET\n/apps/3/channels\nauth_key=k&filter_by_prefix=presence-&info=user_count');
  });

  it('accepts the documented request at its own time', () => {
    const params = {
      auth_key: APP.key,
      auth_timestamp: String(TIMESTAMP),
      auth_version: '1.0',
      body_md5: md5Hex(BODY),
      auth_signature: SIGNATURE,
    };
    expect(() =>
      verifySignature(APP, { method: 'POST', path: '/apps/3/events', params, body: Buffer.from(BODY) }, TIMESTAMP + 599),
    ).not.toThrow();
  });
});

describe('Pusher request signature: refusals', () => {
  const good = signedParams(APP, 'POST', '/apps/3/events', BODY, TIMESTAMP);
  const request = (params: Record<string, string>, body = BODY) => ({
    method: 'POST',
    path: '/apps/3/events',
    params,
    body: Buffer.from(body),
  });

  it('a wrong signature, secret or path: 401 PUSHER_AUTH_FAILED', () => {
    for (const bad of [
      request({ ...good, auth_signature: '0'.repeat(64) }),
      request({ ...good, auth_signature: 'short' }),
      { ...request(good), path: '/apps/4/events' },
      { ...request(good), method: 'GET' },
      request({ ...good, extra: 'unsigned' }),
    ]) {
      const error = refusal(() => verifySignature(APP, bad, TIMESTAMP));
      expect([error.status, error.code, error.message]).toEqual([
        401,
        'PUSHER_AUTH_FAILED',
        expect.stringMatching(/auth_signature is wrong/),
      ]);
    }
    expect(refusal(() => verifySignature({ ...APP, secret: 'other' }, request(good), TIMESTAMP)).code).toBe('PUSHER_AUTH_FAILED');
  });

  it('an old or future timestamp: 401 PUSHER_TIMESTAMP_EXPIRED', () => {
    for (const now of [TIMESTAMP + 601, TIMESTAMP - 601]) {
      const error = refusal(() => verifySignature(APP, request(good), now));
      expect([error.status, error.code]).toEqual([401, 'PUSHER_TIMESTAMP_EXPIRED']);
    }
  });

  it('a body that is not the one signed, or no body_md5: 401 PUSHER_AUTH_FAILED', () => {
    const changed = refusal(() => verifySignature(APP, request(good, BODY.replace('foo', 'bar')), TIMESTAMP));
    expect([changed.status, changed.code, changed.message]).toEqual([401, 'PUSHER_AUTH_FAILED', 'body_md5 is not the MD5 of the body']);
    const { body_md5: _omitted, ...withoutMd5 } = good;
    expect(refusal(() => verifySignature(APP, request(withoutMd5), TIMESTAMP)).message).toMatch(/body_md5 is missing/);
  });

  it('another key, a missing key, version or timestamp: 401 PUSHER_AUTH_FAILED', () => {
    for (const [params, message] of [
      [{ ...good, auth_key: 'someone-else' }, /auth_key is not the key/],
      [{ ...good, auth_key: '' }, /auth_key is missing/],
      [{ ...good, auth_version: '2.0' }, /auth_version must be 1.0/],
      [{ ...good, auth_timestamp: 'soon' }, /auth_timestamp must be a Unix time/],
    ] as const) {
      const error = refusal(() => verifySignature(APP, request(params), TIMESTAMP));
      expect([error.status, error.code, error.message]).toEqual([401, 'PUSHER_AUTH_FAILED', expect.stringMatching(message)]);
    }
  });
});
