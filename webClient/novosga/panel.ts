/**
 * A call panel for a TV: registers as a panel of one unity and its services
 * (on every reconnect, as Novo SGA's panel app does), shows the latest
 * called ticket large and the last few below it.
 */
import { NovosgaClientEvent, NovosgaServerEvent, type CallTicketPayload } from '../../include/novosga-events.js';
import { idList, loadSocketIo, showState } from './load-socket-io.js';

/** Calls kept below the current one. */
const HISTORY = 5;

const params = new URLSearchParams(location.search);
const unity = Number(params.get('unity'));
const services = idList(params.get('services') ?? '');

if (!Number.isInteger(unity) || unity < 1) {
  const form = document.querySelector<HTMLFormElement>('#setup')!;
  form.hidden = false;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const query = new URLSearchParams({ unity: String(data.get('unity') ?? ''), services: String(data.get('services') ?? '') });
    location.search = query.toString();
  });
} else {
  void start();
}

async function start(): Promise<void> {
  document.querySelector<HTMLElement>('#board')!.hidden = false;
  document.querySelector('#where')!.textContent = `unity ${unity} · services ${services.join(', ') || 'none'}`;
  let io: Awaited<ReturnType<typeof loadSocketIo>>['io'];
  let path: string;
  try {
    const loaded = await loadSocketIo();
    io = loaded.io;
    path = loaded.settings.path;
  } catch (error) {
    showState('closed', (error as Error).message);
    return;
  }
  const socket = io({ path, transports: ['websocket'] });
  socket.on('connect', () => {
    showState('open', 'connected');
    socket.emit(NovosgaClientEvent.RegisterPanel, { unity, services });
  });
  socket.on(NovosgaServerEvent.RegisterOk, () => showState('registered', 'live'));
  socket.on('disconnect', () => showState('connecting', 'reconnecting…'));
  socket.on(NovosgaServerEvent.RequestError, (error: { reason?: string }) => showState('closed', error.reason ?? 'refused'));
  socket.on(NovosgaServerEvent.CallTicket, (call: CallTicketPayload) => show(call));
}

function show(call: CallTicketPayload): void {
  const ticket = document.querySelector<HTMLElement>('#ticket')!;
  const desk = document.querySelector<HTMLElement>('#desk')!;
  const previous = ticket.dataset.call;
  if (previous) {
    const list = document.querySelector('#history')!;
    const item = document.createElement('li');
    item.textContent = previous;
    list.prepend(item);
    while (list.children.length > HISTORY) list.lastElementChild!.remove();
  }
  // Novo SGA sends only the hash (its panels look the ticket up with it); our attendant page adds a label.
  const label = call.ticket ?? call.hash.slice(0, 8);
  const where = call.desk ?? `service ${call.service}`;
  ticket.textContent = label;
  desk.textContent = where;
  ticket.dataset.call = `${label} · ${where}`;
  const current = document.querySelector<HTMLElement>('.current')!;
  current.classList.remove('flash');
  void current.offsetWidth; // restart the animation
  current.classList.add('flash');
  chime();
}

/** A short two-tone chime; a TV browser may refuse sound until someone interacts, which is fine. */
function chime(): void {
  try {
    const audio = new AudioContext();
    for (const [i, frequency] of [660, 880].entries()) {
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.value = frequency;
      gain.gain.setValueAtTime(0.2, audio.currentTime + i * 0.25);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + i * 0.25 + 0.4);
      tone.connect(gain).connect(audio.destination);
      tone.start(audio.currentTime + i * 0.25);
      tone.stop(audio.currentTime + i * 0.25 + 0.4);
    }
    setTimeout(() => void audio.close(), 1_000);
  } catch {
    // No audio: the flash is enough.
  }
}
