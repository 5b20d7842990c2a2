/**
 * Pure readers of the payloads Novo SGA's clients send. Every field is
 * hostile until read here. Ids are positive integers; like the original's
 * `(int)` casts, a numeric string ("3") is taken as the number, but unlike
 * it, anything else is refused with a reason instead of becoming 0.
 */
import type { CallTicketPayload } from '../../../include/novosga-events.js';

export type Read<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Most services one panel may show (a unit has tens). */
export const MAX_SERVICES = 1000;
const MAX_HASH = 128;
const MAX_LABEL = 64;
const MAX_SECRET = 1024;
/** Ids are database keys: positive and within a 32-bit signed integer. */
const MAX_ID = 2 ** 31 - 1;

export interface PanelRegistration {
  unity: number;
  services: number[];
}

export interface UserRegistration {
  secret: string;
  unity: number;
  user: number;
}

export interface UnityOnly {
  unity: number;
}

export interface ChangeUser {
  unity: number;
  user: number;
}

function ok<T>(value: T): Read<T> {
  return { ok: true, value };
}

function fail<T>(reason: string): Read<T> {
  return { ok: false, reason };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A positive integer id, or why not. */
export function readId(value: unknown, name: string): Read<number> {
  let n: number | undefined;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^\d{1,10}$/.test(value.trim())) n = Number(value.trim());
  if (n === undefined || !Number.isInteger(n) || n < 1 || n > MAX_ID) {
    return fail(`${name} must be a positive integer id, got ${describe(value)}`);
  }
  return ok(n);
}

function readText(value: unknown, name: string, max: number): Read<string> {
  if (typeof value !== 'string' || value.length === 0) return fail(`${name} must be a non-empty string, got ${describe(value)}`);
  if (value.length > max) return fail(`${name} is longer than ${max} characters`);
  return ok(value);
}

function payloadObject(payload: unknown): Read<Record<string, unknown>> {
  return isObject(payload) ? ok(payload) : fail(`the payload must be an object, got ${describe(payload)}`);
}

/** `{unity}` (new ticket, change ticket, register triage, client update of users and triage). */
export function readUnity(payload: unknown): Read<UnityOnly> {
  const object = payloadObject(payload);
  if (!object.ok) return object;
  const unity = readId(object.value.unity, 'unity');
  return unity.ok ? ok({ unity: unity.value }) : unity;
}

/** `{unity, services[]}`; services may be absent (a panel showing none), never anything but a list of ids. */
export function readPanel(payload: unknown): Read<PanelRegistration> {
  const object = payloadObject(payload);
  if (!object.ok) return object;
  const unity = readId(object.value.unity, 'unity');
  if (!unity.ok) return unity;
  const raw = object.value.services;
  if (raw === undefined || raw === null) return ok({ unity: unity.value, services: [] });
  if (!Array.isArray(raw)) return fail(`services must be a list of service ids, got ${describe(raw)}`);
  if (raw.length > MAX_SERVICES) return fail(`services lists ${raw.length} ids; at most ${MAX_SERVICES}`);
  const services = new Set<number>();
  for (let i = 0; i < raw.length; i++) {
    const id = readId(raw[i], `services[${i}]`);
    if (!id.ok) return id;
    services.add(id.value);
  }
  return ok({ unity: unity.value, services: [...services] });
}

/** `{secret, user, unity}`; the secret is checked by the caller. */
export function readUser(payload: unknown): Read<UserRegistration> {
  const object = payloadObject(payload);
  if (!object.ok) return object;
  const secret = object.value.secret;
  if (typeof secret !== 'string' || secret.length > MAX_SECRET) return fail('secret must be a string');
  const user = readId(object.value.user, 'user');
  if (!user.ok) return user;
  const unity = readId(object.value.unity, 'unity');
  if (!unity.ok) return unity;
  return ok({ secret, user: user.value, unity: unity.value });
}

/** `{unity, user}` of `change user`. */
export function readChangeUser(payload: unknown): Read<ChangeUser> {
  const object = payloadObject(payload);
  if (!object.ok) return object;
  const unity = readId(object.value.unity, 'unity');
  if (!unity.ok) return unity;
  const user = readId(object.value.user, 'user');
  return user.ok ? ok({ unity: unity.value, user: user.value }) : user;
}

/** `{unity, service, hash}`, with our pages' optional `ticket` and `desk` labels. */
export function readCall(payload: unknown): Read<CallTicketPayload> {
  const object = payloadObject(payload);
  if (!object.ok) return object;
  const unity = readId(object.value.unity, 'unity');
  if (!unity.ok) return unity;
  const service = readId(object.value.service, 'service');
  if (!service.ok) return service;
  const hash = readText(object.value.hash, 'hash', MAX_HASH);
  if (!hash.ok) return hash;
  const call: CallTicketPayload = { unity: unity.value, service: service.value, hash: hash.value };
  for (const label of ['ticket', 'desk'] as const) {
    const value = object.value[label];
    if (value === undefined || value === null) continue;
    const text = readText(value, label, MAX_LABEL);
    if (!text.ok) return text;
    call[label] = text.value;
  }
  return ok(call);
}

/** A short, safe rendering of a hostile value for a reason line. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…` : value);
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : typeof value;
}
