/**
 * A small attendant desk: registers as a user with the secret, calls
 * tickets (with a label and a desk our panel shows) and announces new
 * ones; lists what the server sends back.
 */
import type { Socket } from 'socket.io-client';
import { NovosgaClientEvent, NovosgaServerEvent } from '../../include/novosga-events.js';
import { loadSocketIo, showState } from './load-socket-io.js';

const $ = <T extends HTMLElement>(selector: string): T => document.querySelector<T>(selector)!;
let socket: Socket | null = null;

function log(text: string): void {
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  $('#log').prepend(item);
}

function field(id: string): string {
  return $<HTMLInputElement>(`#${id}`).value.trim();
}

function enable(on: boolean): void {
  $<HTMLButtonElement>('#call-button').disabled = !on;
  $<HTMLButtonElement>('#new-ticket').disabled = !on;
}

$<HTMLFormElement>('#login').addEventListener('submit', (event) => {
  event.preventDefault();
  void connect();
});

async function connect(): Promise<void> {
  socket?.close();
  showState('connecting', 'connecting…');
  const { io, settings } = await loadSocketIo().catch((error: Error) => {
    showState('closed', error.message);
    throw error;
  });
  // Read now: re-registering on a reconnect uses what was entered for this connection.
  const registration = { secret: field('secret'), unity: Number(field('unity')), user: Number(field('user')) };
  const next = io({ path: settings.path, transports: ['websocket'] });
  socket = next;
  next.on('connect', () => next.emit(NovosgaClientEvent.RegisterUser, registration));
  next.on(NovosgaServerEvent.RegisterOk, () => {
    showState('registered', `user ${registration.user} · unity ${registration.unity}`);
    enable(true);
    log('registered');
  });
  next.on('disconnect', (reason) => {
    showState('closed', `disconnected (${reason})`);
    enable(false);
  });
  next.on(NovosgaServerEvent.RequestError, (error: { event: string; reason: string }) => log(`refused ${error.event}: ${error.reason}`));
  next.on(NovosgaServerEvent.UpdateQueue, () => log('update queue'));
  next.on(NovosgaServerEvent.ChangeUser, () => log('change user'));
}

$<HTMLFormElement>('#call').addEventListener('submit', (event) => {
  event.preventDefault();
  if (!socket) return;
  const ticket = field('ticket');
  const call = {
    unity: Number(field('unity')),
    service: Number(field('service')),
    // Novo SGA sends its ticket's hash; here any unique text does.
    hash: `${ticket || 'ticket'}-${Date.now().toString(36)}`,
    ...(ticket ? { ticket } : {}),
    ...(field('desk') ? { desk: field('desk') } : {}),
  };
  socket.emit(NovosgaClientEvent.CallTicket, call);
  log(`called ${ticket || call.hash}`);
  $<HTMLInputElement>('#ticket').value = nextLabel(ticket);
});

$('#new-ticket').addEventListener('click', () => {
  socket?.emit(NovosgaClientEvent.NewTicket, { unity: Number(field('unity')) });
  log('new ticket');
});

/** A001 → A002: the trailing number counts up, keeping its width. */
function nextLabel(label: string): string {
  const match = /^(.*?)(\d+)$/.exec(label);
  if (!match) return label;
  const number = String(Number(match[2]) + 1).padStart(match[2]!.length, '0');
  return `${match[1]}${number}`;
}
