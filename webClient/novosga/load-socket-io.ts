/**
 * Both pages load socket.io's client from the relay, at the path the event
 * server is mounted on (GET /novosga/settings.json says which).
 */
import type { io as ioFunction } from 'socket.io-client';

export interface PageSettings {
  /** socket.io path, e.g. /socket.io. */
  path: string;
}

/** Fetch the settings, then add socket.io's script; resolves with its `io` and the settings. */
export async function loadSocketIo(): Promise<{ io: typeof ioFunction; settings: PageSettings }> {
  const response = await fetch('settings.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`settings.json: HTTP ${response.status}`);
  const settings = (await response.json()) as PageSettings;
  if (!window.io) {
    await new Promise<void>((resolve, reject) => {
      const script = document.createElement('script');
      script.src = `${settings.path}/socket.io.min.js`;
      script.onload = () => resolve();
      script.onerror = () => reject(new Error(`cannot load ${script.src}`));
      document.head.append(script);
    });
  }
  if (!window.io) throw new Error('socket.io did not load');
  return { io: window.io, settings };
}

/** Show the connection state in the pill element `#state`. */
export function showState(state: 'connecting' | 'open' | 'registered' | 'closed', text: string): void {
  const pill = document.querySelector<HTMLElement>('#state');
  if (!pill) return;
  pill.dataset.state = state;
  pill.textContent = text;
}

/** Comma-separated positive integers ("1, 2,3") as numbers; others are dropped. */
export function idList(text: string): number[] {
  return text
    .split(',')
    .map((part) => Number(part.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
}
