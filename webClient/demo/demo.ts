/**
 * The demo page: a WebsockClient, a job whose progress a separate backend
 * process reports, the original's echo and "talk to other tabs" panels.
 * Everything here is what a real page would do with the client.
 */
import { bindProgress, ClientOpcode, WebsockClient, type ConnectionState, type InboundPacket } from '../src/index.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

const client = new WebsockClient('/web');
let currentJob: string | null = null;
let reportsReceived = 0;
const echoSentAt = new Map<string, number>();

const STATE_TEXT: Record<ConnectionState, string> = {
  connecting: 'connecting…',
  open: 'connected',
  reconnecting: 'reconnecting…',
  closed: 'disconnected',
};

client.on('state', function showState(state) {
  const pill = $('state');
  pill.dataset.state = state;
  pill.textContent = state === 'open' ? `${STATE_TEXT.open} · v${client.protocol}` : STATE_TEXT[state];
  $<HTMLButtonElement>('start').disabled = state !== 'open' || currentJob !== null;
});

client.on('ready', function showUuid({ uuid, resumed, recovered }) {
  $('uuid').textContent = uuid;
  $('uuid').title = uuid;
  $('shell').textContent = shellExample(uuid);
  if (resumed)
    addLine('log', recovered ? 'Session resumed: nothing was lost.' : 'Session resumed after a gap: showing the latest progress.');
});

client.on('close', function showClose({ reason }) {
  if (reason) addLine('log', `Connection closed: ${reason}`);
});

client.on('message', function routeMessage(packet: InboundPacket) {
  switch (packet.opcode) {
    case ClientOpcode.Feedback:
      if (typeof packet.message === 'string' && packet.message !== '') addLine('log', packet.message);
      return;
    case ClientOpcode.Echo:
      showEcho(packet);
      return;
    case ClientOpcode.Broadcast:
      addLine('talk-log', String(packet.message ?? ''), typeof packet.from === 'string' ? shortId(packet.from) : 'tab');
      return;
  }
});

bindProgress(client, {
  bar: '#bar',
  status: '#status',
  onUpdate({ percent, progress }) {
    if (currentJob !== null && progress.job !== currentJob) return;
    reportsReceived += 1;
    $('percent').textContent = percent === undefined ? '' : `${Math.round(percent)} %`;
  },
  cancel: '#cancel',
  onEnd({ progress }) {
    if (currentJob !== null && progress.job !== currentJob) return;
    const result = $('result');
    result.hidden = false;
    result.dataset.state = progress.state ?? 'done';
    const cancelled = progress.state === 'failed' && progress.status === 'cancelled';
    result.textContent = cancelled ? '✗ Cancelled' : `${progress.state === 'failed' ? '✗ Failed' : '✓ Done'}: ${progress.status ?? ''}`;
    $('status').textContent = `${reportsReceived} progress reports received live`;
    endJob();
  },
  onLost({ job, reason }) {
    if (currentJob !== null && job !== currentJob) return;
    const result = $('result');
    result.hidden = false;
    result.dataset.state = 'lost';
    result.textContent =
      reason === 'relay-restarted' ? '✗ Lost: the relay restarted while the job ran' : '✗ Lost: the job stopped reporting';
    endJob();
  },
});

/** The job ended (done, failed, cancelled or lost): a new one may start. */
function endJob(): void {
  currentJob = null;
  $<HTMLButtonElement>('start').disabled = client.state !== 'open';
  $<HTMLButtonElement>('cancel').disabled = true;
}

$('start').addEventListener('click', async function startJob() {
  const uuid = client.uuid;
  if (!uuid) return;
  const job = `job-${Math.random().toString(36).slice(2, 10)}`;
  currentJob = job;
  resetJobView();
  $<HTMLButtonElement>('start').disabled = true;
  $('status').textContent = 'Starting the backend job…';
  try {
    // A v2 relay gives a token for this page's job alone: the job reports with it, not with our uuid.
    const credential = client.protocol === 2 ? { token: (await client.token(job, 600)).token } : { uuid, job };
    const response = await fetch('demo/job', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(credential),
    });
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { error?: string };
      throw new Error(body.error ?? `HTTP ${response.status}`);
    }
  } catch (error) {
    currentJob = null;
    $('status').textContent = `Could not start the job: ${(error as Error).message}`;
    $<HTMLButtonElement>('start').disabled = client.state !== 'open';
  }
});

$('echo-form').addEventListener('submit', function sendEcho(event) {
  event.preventDefault();
  const text = $<HTMLInputElement>('echo-input').value;
  const token = Math.random().toString(36).slice(2);
  echoSentAt.set(token, performance.now());
  client.send({ opcode: ClientOpcode.Echo, message: text, token }).catch(function echoFailed(error: Error) {
    $('echo-out').textContent = `Not echoed: ${error.message}`;
  });
});

$('talk-form').addEventListener('submit', function sendBroadcast(event) {
  event.preventDefault();
  const input = $<HTMLInputElement>('talk-input');
  if (input.value.trim() === '') return;
  const text = input.value;
  addLine('talk-log', text, 'you');
  client.send({ opcode: ClientOpcode.Broadcast, message: text, from: client.uuid }).catch(function broadcastFailed(error: Error) {
    addLine('talk-log', `Not sent (${error.message}): ${text}`, 'you');
  });
});

function showEcho(packet: InboundPacket): void {
  const sent = typeof packet.token === 'string' ? echoSentAt.get(packet.token) : undefined;
  if (typeof packet.token === 'string') echoSentAt.delete(packet.token);
  const out = $('echo-out');
  out.textContent = `Echoed back: ${String(packet.message ?? '')}`;
  if (sent !== undefined) {
    const small = document.createElement('small');
    small.textContent = ` (round trip ${(performance.now() - sent).toFixed(1)} ms)`;
    out.append(small);
  }
}

function resetJobView(): void {
  const bar = $<HTMLProgressElement>('bar');
  bar.value = 0;
  bar.dataset.state = 'running';
  $('percent').textContent = '0 %';
  $('result').hidden = true;
  reportsReceived = 0;
  $('log').replaceChildren();
}

/** Appends a line (newest last, scrolled into view) to one of the logs. */
function addLine(listId: string, text: string, from?: string): void {
  const list = $(listId);
  list.querySelector('.empty')?.remove();
  const item = document.createElement('li');
  const time = document.createElement('time');
  time.textContent = new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  item.append(time);
  if (from) {
    const who = document.createElement('span');
    who.className = 'from';
    who.textContent = from;
    item.append(who);
  }
  const body = document.createElement('span');
  body.textContent = text;
  item.append(body);
  list.append(item);
  while (list.children.length > 200) list.firstElementChild?.remove();
  list.scrollTop = list.scrollHeight;
}

function shortId(uuid: string): string {
  return uuid.slice(0, 8);
}

function shellExample(uuid: string): string {
  const scheme = location.protocol === 'https:' ? 'ssl' : 'tcp';
  const body = JSON.stringify({ uuid, message: 'hello from curl' });
  return [
    "# with the command-line client, in the relay's project folder",
    '# (elsewhere: `websock send …` after npm link or npm install -g)',
    `npx websock send --address ${scheme}://${location.host}/php \\`,
    `  --uuid ${uuid} "hello from a shell"`,
    '',
    '# or with plain HTTP (from an allowed IP, or with the publish secret)',
    `curl -d '${body}' \\`,
    `  ${location.origin}/feedback`,
  ].join('\n');
}

// For tests and the curious: the page's client in the console.
(window as unknown as { demoClient: WebsockClient }).demoClient = client;
