import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../config/config-error.js';
import { loadConfig } from '../../config/load-config.js';
import { PUSHER_DEFAULT_LIMITS } from './pusher-app.js';
import { PusherApps } from './pusher-apps.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function iniFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pusher-apps-'));
  dirs.push(dir);
  const file = join(dir, 'websock.ini');
  writeFileSync(file, text);
  return file;
}

function load(text: string, env: Record<string, string> = {}) {
  return loadConfig({ iniFile: iniFile(text), env });
}

function failure(text: string, env: Record<string, string> = {}): ConfigError {
  try {
    load(text, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('Pusher apps from websock.ini', () => {
  it('has none by default', () => {
    expect(load('').pusherApps).toEqual([]);
  });

  it('reads the top-level app with Pusher’s default limits', () => {
    const [app, ...rest] = load('pusherAppId = 42\npusherKey = k1\npusherSecret = s1\n').pusherApps;
    expect(rest).toEqual([]);
    expect(app).toMatchObject({ name: 'default', id: '42', key: 'k1', secret: 's1', allowedOrigins: [], webhooks: [] });
    expect(app!.limits).toEqual(PUSHER_DEFAULT_LIMITS);
    expect(PUSHER_DEFAULT_LIMITS).toMatchObject({
      maxEventBytes: 10240,
      maxChannelsPerEvent: 100,
      maxEventsPerBatch: 10,
      maxNameLength: 200,
      maxPresenceMembers: 100,
    });
  });

  it('falls back to REVERB_APP_* per key, the file winning', () => {
    const env = { REVERB_APP_ID: '7', REVERB_APP_KEY: 'envkey', REVERB_APP_SECRET: 'envsecret' };
    expect(load('', env).pusherApps[0]).toMatchObject({ id: '7', key: 'envkey', secret: 'envsecret' });
    expect(load('pusherKey = filekey\n', env).pusherApps[0]).toMatchObject({ id: '7', key: 'filekey', secret: 'envsecret' });
  });

  it('reads more apps and per-app settings from [pusher:NAME] sections', () => {
    const config = load(
      [
        'pusherAppId = 1',
        'pusherKey = one',
        'pusherSecret = s1',
        '[pusher:default]',
        'maxEventSize = 20K',
        'webhookUrl = http://127.0.0.1:9/hook',
        'webhookEvents = channel_occupied, channel_vacated',
        '[pusher:second]',
        'appId = 2',
        'key = two',
        'secret = s2',
        'allowedOrigins = https://app.example',
        'maxPresenceMembers = 5',
        'clientEvents = false',
      ].join('\n'),
    );
    const apps = new PusherApps(config.pusherApps);
    expect(apps.size).toBe(2);
    expect(apps.byKey('one')).toMatchObject({ id: '1', limits: { maxEventBytes: 20480 } });
    expect(apps.byKey('one')!.webhooks).toEqual([{ url: 'http://127.0.0.1:9/hook', events: ['channel_occupied', 'channel_vacated'] }]);
    expect(apps.byId('2')).toMatchObject({ name: 'second', key: 'two', clientEvents: false, allowedOrigins: ['https://app.example'] });
    expect(apps.byId('2')!.limits.maxPresenceMembers).toBe(5);
    expect(apps.byKey('nope')).toBeUndefined();
  });

  it('refuses bad apps with one line naming the app and key', () => {
    const cases: [string, Record<string, string>, RegExp][] = [
      ['pusherKey = k\n', {}, /pusherKey is set but pusherAppId \(or REVERB_APP_ID\), pusherSecret \(or REVERB_APP_SECRET\) is not/],
      ['', { REVERB_APP_KEY: 'k' }, /environment: REVERB_APP_KEY is set but/],
      ['pusherAppId = a/b\npusherKey = k\npusherSecret = s\n', {}, /pusherAppId = "a\/b": expected letters/],
      ['[pusher:x]\nappId = 1\nkey = k\n', {}, /\[pusher:x\]: secret not set/],
      ['[pusher:x]\nappId = 1\nkey = k\nsecret = s\nmaxEventSize = big\n', {}, /\[pusher:x\] maxEventSize = "big": expected a size/],
      ['[pusher:x]\nappid = 1\nkey = k\nsecret = s\nsecrt = s\n', {}, /\[pusher:x\]: unknown key "secrt"/],
      ['[pusher:x]\nappId = 1\nkey = k\nsecret = s\nwebhookUrl = ftp://h/\n', {}, /not an http:\/\/ or https:\/\/ URL/],
      ['[pusher:x]\nappId = 1\nkey = k\nsecret = s\nwebhookEvents = nope\n', {}, /"nope" is not a webhook event/],
      [
        'pusherAppId = 1\npusherKey = k\npusherSecret = s\n[pusher:x]\nappId = 2\nkey = k\nsecret = t\n',
        {},
        /"default" and "x" have the same key "k"/,
      ],
      ['[pusher:default]\nmaxEventSize = 1K\n', {}, /\[pusher:default\] has settings but no app/],
    ];
    for (const [text, env, message] of cases) {
      const error = failure(text, env);
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain('\n');
    }
  });
});
