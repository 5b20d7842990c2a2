/**
 * The Novo SGA event server's vocabulary (socket.io event names, payload
 * shapes, error codes), shared by the server app and the panel and
 * attendant pages. Event names are the product's, spaces included; see
 * docs/novosga.md for who sends what.
 */

/** Events a client emits. */
export const NovosgaClientEvent = {
  RegisterPanel: 'register panel',
  RegisterTriage: 'register triage',
  RegisterUser: 'register user',
  NewTicket: 'new ticket',
  ChangeTicket: 'change ticket',
  CallTicket: 'call ticket',
  ChangeUser: 'change user',
  ClientUpdate: 'client update',
} as const;
export type NovosgaClientEvent = (typeof NovosgaClientEvent)[keyof typeof NovosgaClientEvent];

/** Events the server emits. */
export const NovosgaServerEvent = {
  RegisterOk: 'register ok',
  UpdateQueue: 'update queue',
  CallTicket: 'call ticket',
  ChangeUser: 'change user',
  /** Ours (the original stayed silent): a refused registration or event, with a code from NovosgaErrorCode. */
  RequestError: 'request error',
} as const;
export type NovosgaServerEvent = (typeof NovosgaServerEvent)[keyof typeof NovosgaServerEvent];

/** What a registered client is. */
export type NovosgaRole = 'panel' | 'triage' | 'user';

/** `call ticket` as panels receive it: the original's three fields, plus the optional labels our pages show. */
export interface CallTicketPayload {
  unity: number;
  service: number;
  /** Novo SGA's ticket hash; its panels fetch the ticket's details with it. */
  hash: string;
  /** A label to show ("A012"): sent by our attendant page, never by Novo SGA. */
  ticket?: string;
  /** Where to go ("Desk 3"): likewise ours. */
  desk?: string;
}

/** Why a registration or event was refused; stable, listed in docs/novosga.md. */
export const NovosgaErrorCode = {
  /** The payload is not an object, or a field is missing or of the wrong type. */
  BadPayload: 'BAD_PAYLOAD',
  /** `register user` with a wrong or missing secret; the socket is disconnected after this. */
  BadSecret: 'BAD_SECRET',
  /** The event needs a registered client (`register …` first). */
  NotRegistered: 'NOT_REGISTERED',
  /** The client's role may not send this event (e.g. a panel calling a ticket). */
  NotAllowed: 'NOT_ALLOWED',
  /** An event this server does not know. */
  UnknownEvent: 'UNKNOWN_EVENT',
  /** The relay failed handling the event (a bug, logged as an error); the client is disconnected. */
  Internal: 'INTERNAL',
  /** The client sends faster than the relay's maxMessageRate; the event was dropped. */
  RateLimited: 'RATE_LIMITED',
} as const;
export type NovosgaErrorCode = (typeof NovosgaErrorCode)[keyof typeof NovosgaErrorCode];

/** The payload of `request error`. */
export interface RequestErrorPayload {
  /** The event that was refused. */
  event: string;
  code: NovosgaErrorCode;
  /** One line for a person. */
  reason: string;
}
