import { describe, expect, it } from 'vitest';
import type { BaselineAbilities } from './abilities.js';
import { backendsMismatch, baselineSecret, httpPublishersMismatch, pagesMismatch, relayStartMismatch } from './compatibility.js';

const SECRET = 'bench-publish-secret';

/** The bench relay before the hooks work (544b117): its secret is fixed, it takes no settings, has no Pusher, cannot reset its peak. */
const beforeHooks: BaselineAbilities = {
  processConfigFields: ['maxRunMs', 'maxMessageBytes'],
  configKeys: ['maxMessageBytes', 'publishSecret', 'retentionCount'],
  requests: ['stats', 'gc', 'stop'],
  benchPublishSecret: SECRET,
  servesPusherApp: false,
};

/** Today's bench relay. */
const current: BaselineAbilities = {
  processConfigFields: ['maxRunMs', 'maxMessageBytes', 'publishSecret', 'settings', 'preSendHook'],
  configKeys: ['maxMessageBytes', 'publishSecret', 'retentionCount', 'http2'],
  requests: ['stats', 'gc', 'reset-peak', 'stop'],
  benchPublishSecret: SECRET,
  servesPusherApp: true,
};

describe('relayStartMismatch', () => {
  it('lets through what the baseline takes', () => {
    expect(relayStartMismatch(beforeHooks, {})).toBeNull();
    expect(relayStartMismatch(beforeHooks, { maxMessageBytes: 80 * 2 ** 20, settings: {}, preSendHook: false })).toBeNull();
    expect(relayStartMismatch(current, { settings: { http2: true }, preSendHook: true, publishSecret: 'other' })).toBeNull();
  });

  it('takes the bench secret where the baseline always used it, and no other', () => {
    expect(relayStartMismatch(beforeHooks, { publishSecret: SECRET })).toBeNull();
    expect(relayStartMismatch(beforeHooks, { publishSecret: 'other' })).toMatch(/publishSecret/);
  });

  it('refuses settings, unknown config keys and a preSend hook where the baseline has none', () => {
    expect(relayStartMismatch(beforeHooks, { settings: { http2: true } })).toBe('its bench relay takes no settings (asked for http2)');
    expect(relayStartMismatch(current, { settings: { http2: true, pusherCluster: 'x' } })).toBe(
      'its relay has no config key "pusherCluster"',
    );
    expect(relayStartMismatch(beforeHooks, { preSendHook: true })).toMatch(/preSend hook/);
    expect(relayStartMismatch({ ...beforeHooks, processConfigFields: ['maxRunMs'] }, { maxMessageBytes: 1 })).toMatch(/maxMessageBytes/);
  });
});

describe('baselineSecret', () => {
  it('is the requested secret where the relay takes one, else its fixed bench secret', () => {
    expect(baselineSecret(current, undefined)).toBeNull();
    expect(baselineSecret(current, 's')).toBe('s');
    expect(baselineSecret(beforeHooks, undefined)).toBe(SECRET);
  });
});

describe('load generators on the baseline', () => {
  it('HTTP publishers must send the secret its relay publishes behind', () => {
    expect(httpPublishersMismatch(beforeHooks, { secret: SECRET }, SECRET)).toBeNull();
    expect(httpPublishersMismatch(beforeHooks, { secret: null }, SECRET)).toMatch(/always requires the bench bearer secret/);
    expect(httpPublishersMismatch(beforeHooks, { secret: 'other' }, SECRET)).toMatch(/another bearer secret/);
    expect(httpPublishersMismatch(current, { secret: null }, null)).toBeNull();
  });

  it('Pusher pages, clients and publishers need a baseline that serves the bench Pusher app', () => {
    const pusher = { appId: '1000', key: 'k', secret: 's', channel: 'c' };
    expect(pagesMismatch(beforeHooks, { pusherChannel: 'c' })).toMatch(/no Pusher app/);
    expect(pagesMismatch(beforeHooks, {})).toBeNull();
    expect(pagesMismatch(current, { pusherChannel: 'c' })).toBeNull();
    expect(httpPublishersMismatch(beforeHooks, { secret: null, pusher }, SECRET)).toMatch(/no Pusher app/);
    expect(httpPublishersMismatch(current, { secret: null, pusher }, null)).toBeNull();
    const clientEvents = { kind: 'client-events', perBackend: 1, messageBytes: 1, channel: 'c', key: 'k', secret: 's' } as const;
    expect(backendsMismatch(beforeHooks, { plan: clientEvents })).toMatch(/no Pusher app/);
    expect(backendsMismatch(beforeHooks, { plan: { kind: 'broadcast', perBackend: 1, messageBytes: 1 } })).toBeNull();
  });
});
