/**
 * Can the baseline's relay run what a scenario asks of it? Each check looks
 * at one request the scenario makes through its run context (start the
 * relay, spawn pages, backends or HTTP publishers) and returns why the
 * baseline cannot serve it, or null. The runner turns a reason into a
 * skipped scenario with that note: the baseline would otherwise ignore an
 * option it does not know and the table would compare unlike things.
 */
import type { BackendsConfig, HttpPublishersConfig, PagesConfig } from '../load/load-config.js';
import type { BaselineAbilities } from './abilities.js';

/** What a scenario (with the runner's `--set` on top) asks of the relay it starts. */
export interface RelayStartRequest {
  maxMessageBytes?: number;
  publishSecret?: string;
  settings?: Record<string, number | string | boolean>;
  preSendHook?: boolean;
}

/** Thrown by the run context when the baseline cannot do what the scenario asks: the runner skips the scenario. */
export class BaselineMismatch extends Error {
  override readonly name = 'BaselineMismatch';
}

/**
 * The bearer secret the baseline's relay publishes behind when started with
 * `requested`. A bench relay that takes no `publishSecret` was always
 * started with its own BENCH_PUBLISH_SECRET (bench/servers/our-relay.ts
 * before the secret became optional).
 */
export function baselineSecret(abilities: BaselineAbilities, requested: string | undefined): string | null {
  if (abilities.processConfigFields.includes('publishSecret')) return requested ?? null;
  return abilities.benchPublishSecret;
}

export function relayStartMismatch(abilities: BaselineAbilities, request: RelayStartRequest): string | null {
  const takes = (field: string): boolean => abilities.processConfigFields.includes(field);
  if (request.maxMessageBytes !== undefined && !takes('maxMessageBytes')) return 'its bench relay takes no maxMessageBytes';
  if (request.publishSecret !== undefined && baselineSecret(abilities, request.publishSecret) !== request.publishSecret)
    return 'its bench relay cannot be given this publishSecret';
  if (request.preSendHook === true && !takes('preSendHook')) return 'its bench relay cannot register a preSend hook (no hooks yet)';
  const keys = Object.keys(request.settings ?? {});
  if (keys.length > 0) {
    if (!takes('settings')) return `its bench relay takes no settings (asked for ${keys.join(', ')})`;
    const unknown = keys.filter((key) => !abilities.configKeys.includes(key));
    if (unknown.length > 0) return `its relay has no config key ${unknown.map((key) => `"${key}"`).join(', ')}`;
  }
  return null;
}

export function pagesMismatch(abilities: BaselineAbilities, config: Pick<PagesConfig, 'pusherChannel'>): string | null {
  if (config.pusherChannel !== undefined && !abilities.servesPusherApp) return 'its bench relay serves no Pusher app';
  return null;
}

export function backendsMismatch(abilities: BaselineAbilities, config: Pick<BackendsConfig, 'plan'>): string | null {
  if (config.plan.kind === 'client-events' && !abilities.servesPusherApp) return 'its bench relay serves no Pusher app';
  return null;
}

/** `relaySecret`: what baselineSecret() said for the relay of this run. */
export function httpPublishersMismatch(
  abilities: BaselineAbilities,
  config: Pick<HttpPublishersConfig, 'secret' | 'pusher'>,
  relaySecret: string | null,
): string | null {
  if (config.pusher !== undefined && !abilities.servesPusherApp) return 'its bench relay serves no Pusher app';
  if (config.pusher === undefined && relaySecret !== null && config.secret !== relaySecret)
    return config.secret === null
      ? 'its bench relay always requires the bench bearer secret, and this scenario publishes without one'
      : 'its bench relay requires another bearer secret than this scenario sends';
  return null;
}
