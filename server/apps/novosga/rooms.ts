/**
 * Who hears what, as socket.io rooms: an event goes to one room (or, across
 * nodes, the adapter's channel for it), never to a scan of every client as
 * the original did. A registered socket is in exactly the rooms its
 * registration names.
 */
import type { NovosgaRole } from '../../../include/novosga-events.js';

/** What a socket registered as; kept in `socket.data`. */
export type Registration =
  { role: 'panel'; unity: number; services: number[] } | { role: 'triage'; unity: number } | { role: 'user'; unity: number; user: number };

/** Prefix of every room of ours, so they never meet a socket id. */
const PREFIX = 'novosga:';

/** The users (desks, triage pages, monitors) of a unity: `update queue`. */
export function usersRoom(unity: number): string {
  return `${PREFIX}users:${unity}`;
}

/** The panels of a unity that show a service: `call ticket`. */
export function panelsRoom(unity: number, service: number): string {
  return `${PREFIX}panels:${unity}:${service}`;
}

/** One user of a unity (possibly logged in at several desks): `change user`. */
export function userRoom(unity: number, user: number): string {
  return `${PREFIX}user:${unity}:${user}`;
}

/** The triage screens of a unity (nothing is sent to them; kept so their presence is visible). */
export function triageRoom(unity: number): string {
  return `${PREFIX}triage:${unity}`;
}

/** The rooms a registration puts its socket in. */
export function roomsOf(registration: Registration): string[] {
  switch (registration.role) {
    case 'panel':
      return registration.services.map((service) => panelsRoom(registration.unity, service));
    case 'triage':
      return [triageRoom(registration.unity)];
    case 'user':
      return [usersRoom(registration.unity), userRoom(registration.unity, registration.user)];
  }
}

/** True for the rooms this module names (a socket's own id room is not one). */
export function isOurRoom(room: string): boolean {
  return room.startsWith(PREFIX);
}

export type { NovosgaRole };
