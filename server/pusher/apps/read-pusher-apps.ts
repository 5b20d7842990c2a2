/**
 * The Pusher apps of websock.ini: one app from the top-level keys
 * `pusherAppId`, `pusherKey`, `pusherSecret` (each falling back to Laravel's
 * REVERB_APP_ID / REVERB_APP_KEY / REVERB_APP_SECRET environment variables),
 * and one more per `[pusher:NAME]` section. `[pusher:default]` without
 * credentials adds settings (origins, limits, webhooks) to the top-level app.
 * Every problem is a ConfigError whose message is one line naming the app and key.
 */
import { ConfigError, ConfigErrorCode } from '../../config/config-error.js';
import * as parse from '../../config/value-parsers.js';
import { InvalidValue, type RawValue } from '../../config/value-parsers.js';
import {
  pusherApp,
  WEBHOOK_EVENTS,
  type PusherApp,
  type PusherLimits,
  type PusherWebhookTarget,
  type WebhookEventName,
} from './pusher-app.js';

export const PUSHER_SECTION_PREFIX = 'pusher:';
/** The name of the app the top-level keys configure. */
export const DEFAULT_APP_NAME = 'default';

/** Is this ini section one of ours (`[pusher:NAME]`)? */
export function isPusherSection(name: string): boolean {
  return name.toLowerCase().startsWith(PUSHER_SECTION_PREFIX);
}

/** The top-level credentials as read from websock.ini (null: not set there). */
export interface TopLevelCredentials {
  pusherAppId: string | null;
  pusherKey: string | null;
  pusherSecret: string | null;
}

export interface ReadPusherAppsInput {
  /** Named in messages: the ini file, or `defaults`. */
  source: string;
  top: TopLevelCredentials;
  /** `[pusher:NAME]` sections by NAME as written, with their raw keys. */
  sections: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
  /** Where REVERB_APP_* are read; process.env by default. */
  env?: Readonly<Record<string, string | undefined>>;
}

const ID_RE = /^[A-Za-z0-9_.-]{1,100}$/;
const NAME_RE = /^[A-Za-z0-9_.-]{1,64}$/;
const ENV_NAMES = { pusherAppId: 'REVERB_APP_ID', pusherKey: 'REVERB_APP_KEY', pusherSecret: 'REVERB_APP_SECRET' } as const;

type Setter = (settings: SectionSettings, raw: RawValue) => void;

interface SectionSettings {
  id?: string;
  key?: string;
  secret?: string;
  allowedOrigins?: string[];
  clientEvents?: boolean;
  limits: Partial<PusherLimits>;
  webhookUrls?: string[];
  webhookEvents?: WebhookEventName[];
}

function limit(field: keyof PusherLimits, read: (raw: RawValue) => number): Setter {
  return (settings, raw) => {
    settings.limits[field] = read(raw);
  };
}

const count = (min: number, note?: string) => (raw: RawValue) =>
  parse.wholeNumber(raw, { min, max: 1_000_000_000, ...(note ? { note } : {}) });
const bytes = (min: number) => (raw: RawValue) => parse.byteSize(raw, { min });

/** The keys of a `[pusher:NAME]` section (matched case-insensitively), documented in docs/pusher.md. */
const SECTION_KEYS: Readonly<Record<string, Setter>> = {
  appid: (s, raw) => (s.id = identifier(raw)),
  key: (s, raw) => (s.key = identifier(raw)),
  secret: (s, raw) => (s.secret = secretText(raw)),
  allowedorigins: (s, raw) => (s.allowedOrigins = parse.originList(raw)),
  clientevents: (s, raw) => (s.clientEvents = parse.bool(raw)),
  webhookurl: (s, raw) => (s.webhookUrls = parse.list(raw).map(webhookUrl)),
  webhookevents: (s, raw) => (s.webhookEvents = webhookEvents(raw)),
  maxeventsize: limit('maxEventBytes', bytes(1)),
  maxchannelsperevent: limit('maxChannelsPerEvent', count(1)),
  maxeventsperbatch: limit('maxEventsPerBatch', count(1)),
  maxnamelength: limit('maxNameLength', count(1)),
  maxpresencemembers: limit('maxPresenceMembers', count(1)),
  maxpresenceinfosize: limit('maxPresenceInfoBytes', bytes(1)),
  clienteventrate: limit('clientEventRate', count(0, 'per second per connection; 0 = no limit')),
  maxconnections: limit('maxConnections', count(0, '0 = no limit')),
};

/** The documented spelling of each section key, for messages. */
export const PUSHER_SECTION_KEYS: readonly string[] = [
  'appId',
  'key',
  'secret',
  'allowedOrigins',
  'clientEvents',
  'webhookUrl',
  'webhookEvents',
  'maxEventSize',
  'maxChannelsPerEvent',
  'maxEventsPerBatch',
  'maxNameLength',
  'maxPresenceMembers',
  'maxPresenceInfoSize',
  'clientEventRate',
  'maxConnections',
];

/**
 * Read every Pusher app. No credentials anywhere means no apps (the Pusher
 * endpoints are then not served).
 * @throws ConfigError with a one-line message.
 */
export function readPusherApps(input: ReadPusherAppsInput): PusherApp[] {
  const env = input.env ?? process.env;
  const apps: PusherApp[] = [];
  let defaultSettings: SectionSettings | null = null;
  const named: { name: string; settings: SectionSettings }[] = [];

  for (const [name, raw] of input.sections) {
    const where = `${input.source}: [${PUSHER_SECTION_PREFIX}${name}]`;
    if (!NAME_RE.test(name)) {
      throw new ConfigError(ConfigErrorCode.InvalidValue, `${where}: the app name must be letters, digits and _ . - (at most 64)`);
    }
    const settings = readSection(where, raw);
    if (
      name.toLowerCase() === DEFAULT_APP_NAME &&
      settings.id === undefined &&
      settings.key === undefined &&
      settings.secret === undefined
    ) {
      defaultSettings = settings;
    } else {
      named.push({ name, settings });
    }
  }

  const top = topLevelApp(input, env, defaultSettings);
  if (top) apps.push(top);
  else if (defaultSettings) {
    throw new ConfigError(
      ConfigErrorCode.InvalidValue,
      `${input.source}: [${PUSHER_SECTION_PREFIX}${DEFAULT_APP_NAME}] has settings but no app: set pusherAppId, pusherKey and pusherSecret (or REVERB_APP_ID/KEY/SECRET)`,
    );
  }
  for (const { name, settings } of named) {
    const where = `${input.source}: [${PUSHER_SECTION_PREFIX}${name}]`;
    const missing = (['appId', 'key', 'secret'] as const).filter((k) => settings[k === 'appId' ? 'id' : k] === undefined);
    if (missing.length > 0)
      throw new ConfigError(ConfigErrorCode.InvalidValue, `${where}: ${missing.join(', ')} not set; an app needs appId, key and secret`);
    apps.push(build(name, settings.id!, settings.key!, settings.secret!, settings));
  }

  checkUnique(input.source, apps);
  return apps;
}

function topLevelApp(
  input: ReadPusherAppsInput,
  env: Readonly<Record<string, string | undefined>>,
  settings: SectionSettings | null,
): PusherApp | null {
  const values: Record<keyof TopLevelCredentials, { value: string; from: string } | null> = {
    pusherAppId: null,
    pusherKey: null,
    pusherSecret: null,
  };
  for (const field of Object.keys(ENV_NAMES) as (keyof TopLevelCredentials)[]) {
    const written = input.top[field];
    if (written !== null) {
      values[field] = { value: written, from: `${input.source}: ${field}` };
      continue;
    }
    const fromEnv = env[ENV_NAMES[field]]?.trim();
    if (fromEnv) values[field] = { value: fromEnv, from: `environment: ${ENV_NAMES[field]}` };
  }
  const set = Object.values(values).filter((v) => v !== null);
  if (set.length === 0) return null;
  const missing = (Object.keys(values) as (keyof TopLevelCredentials)[]).filter((field) => values[field] === null);
  if (missing.length > 0) {
    const names = missing.map((field) => `${field} (or ${ENV_NAMES[field]})`).join(', ');
    throw new ConfigError(
      ConfigErrorCode.InvalidValue,
      `${set[0]!.from} is set but ${names} is not; a Pusher app needs an id, a key and a secret`,
      missing[0],
    );
  }
  for (const field of ['pusherAppId', 'pusherKey'] as const) {
    const { value, from } = values[field]!;
    if (!ID_RE.test(value)) {
      throw new ConfigError(ConfigErrorCode.InvalidValue, `${from} = "${value}": expected letters, digits and _ . - (at most 100)`, field);
    }
  }
  return build(
    DEFAULT_APP_NAME,
    values.pusherAppId!.value,
    values.pusherKey!.value,
    values.pusherSecret!.value,
    settings ?? { limits: {} },
  );
}

function readSection(where: string, raw: Readonly<Record<string, unknown>>): SectionSettings {
  const settings: SectionSettings = { limits: {} };
  for (const [name, value] of Object.entries(raw)) {
    const setter = SECTION_KEYS[name.trim().toLowerCase()];
    if (!setter) {
      throw new ConfigError(
        ConfigErrorCode.UnknownKey,
        `${where}: unknown key "${name}" (the keys are ${PUSHER_SECTION_KEYS.join(', ')})`,
        name,
      );
    }
    if (!(typeof value === 'string' || typeof value === 'boolean' || value === null)) {
      throw new ConfigError(ConfigErrorCode.InvalidValue, `${where} ${name}: expected a single value (write lists as a,b,c)`, name);
    }
    try {
      setter(settings, value);
    } catch (error) {
      if (!(error instanceof InvalidValue)) throw error;
      throw new ConfigError(
        ConfigErrorCode.InvalidValue,
        `${where} ${name} = "${value === null ? '' : String(value)}": ${error.message}`,
        name,
      );
    }
  }
  return settings;
}

function build(name: string, id: string, key: string, secret: string, settings: SectionSettings): PusherApp {
  const events = settings.webhookEvents ?? [...WEBHOOK_EVENTS];
  const webhooks: PusherWebhookTarget[] = (settings.webhookUrls ?? []).map((url) => ({ url, events }));
  return pusherApp({
    name,
    id,
    key,
    secret,
    allowedOrigins: settings.allowedOrigins ?? [],
    clientEvents: settings.clientEvents ?? true,
    limits: settings.limits,
    webhooks,
  });
}

function checkUnique(source: string, apps: readonly PusherApp[]): void {
  const ids = new Map<string, string>();
  const keys = new Map<string, string>();
  for (const app of apps) {
    const sameId = ids.get(app.id);
    if (sameId !== undefined)
      throw new ConfigError(
        ConfigErrorCode.InvalidValue,
        `${source}: Pusher apps "${sameId}" and "${app.name}" have the same app id "${app.id}"`,
      );
    const sameKey = keys.get(app.key);
    if (sameKey !== undefined)
      throw new ConfigError(
        ConfigErrorCode.InvalidValue,
        `${source}: Pusher apps "${sameKey}" and "${app.name}" have the same key "${app.key}"`,
      );
    ids.set(app.id, app.name);
    keys.set(app.key, app.name);
  }
}

function identifier(raw: RawValue): string {
  const value = parse.text(raw);
  if (!ID_RE.test(value)) throw new InvalidValue('expected letters, digits and _ . - (at most 100)');
  return value;
}

function secretText(raw: RawValue): string {
  const value = parse.text(raw);
  if (value === '') throw new InvalidValue('expected a non-empty secret');
  return value;
}

function webhookUrl(item: string): string {
  let url: URL;
  try {
    url = new URL(item);
  } catch {
    throw new InvalidValue(`"${item}" is not a URL (http://… or https://…)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidValue(`"${item}" is not an http:// or https:// URL`);
  return url.href;
}

function webhookEvents(raw: RawValue): WebhookEventName[] {
  const known = new Set<string>(WEBHOOK_EVENTS);
  return parse.list(raw).map((item) => {
    if (!known.has(item)) throw new InvalidValue(`"${item}" is not a webhook event (${WEBHOOK_EVENTS.join(', ')})`);
    return item as WebhookEventName;
  });
}
