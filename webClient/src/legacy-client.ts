import { ClientOpcode } from '../../include/protocol.js';
import { WebsockClient, type InboundPacket } from './websock-client.js';
import type { SendResult } from './outbound-queue.js';

type Callback<T> = (value: T) => unknown;

/** The object the original's `socketWebClient()` returns, method for method. */
export interface LegacySocketClient {
  init(): void;
  sendMsg(packet: object): void;
  /** Like sendMsg, but resolves when the relay acknowledged the message. */
  sendAsync(packet: object): Promise<SendResult>;
  uuid(): string | null;
  quit(): void;
  isOpen(): boolean;
  setCallbackReady(callback: Callback<InboundPacket>): void;
  setCallbackReadMessage(callback: Callback<InboundPacket>): void;
  setCallbackStatus(callback: Callback<string>): void;
  setCallbackClose(callback: Callback<void>): void;
  broadcast(message: unknown): void;
  feedback(message: unknown, toUUID: string): void;
  echo(message: unknown): void;
}

/**
 * The original phpWebSocketServer browser API, so a page written for it works
 * by swapping the script. `server` is `ws://host:port` (or wss://), `app` the
 * resource, e.g. `/web`. The older form `(server, port, app)` with `server`
 * as `host` or `ssl://host` is accepted too.
 *
 * Like the newest original it waits for `next` between messages, chunks long
 * ones, drops what is sent while closed, and reconnects with backoff. It
 * speaks protocol v1, so a page sees exactly the packets it saw before. The
 * uuid is the one the relay assigns (older originals generated their own).
 * @example
 * const sock = socketWebClient('ws://localhost:8080', '/web');
 * sock.setCallbackReadMessage((packet) => console.log(packet.message));
 * sock.init();
 */
export function socketWebClient(server: string, portOrApp: string | number, app?: string): LegacySocketClient {
  const url = legacyUrl(server, portOrApp, app);
  let client: WebsockClient | null = null;
  let callbackReady: Callback<InboundPacket> = noop;
  let callbackReadMessage: Callback<InboundPacket> = noop;
  let callbackStatus: Callback<string> = noop;
  let callbackClose: Callback<void> = noop;

  function init(): void {
    // Like the original, init() again replaces the connection.
    const previous = client;
    client = null;
    previous?.close();
    const current = new WebsockClient(url, { protocol: 'v1', session: false, chunkSize: 6 * 1024, connect: false });
    client = current;
    current.on('ready', function legacyOnReady(event) {
      callbackStatus('Connected');
      callbackReady(event.packet);
    });
    current.on('message', function legacyOnMessage(packet) {
      callbackReadMessage(packet);
    });
    current.on('error', function legacyOnError(error) {
      if (error.code === 'REFUSED') callbackStatus('Server closed connection');
    });
    current.on('close', function legacyOnClose(event) {
      if (client !== current) return;
      if (!event.wasReady) callbackStatus('Cannot connect to specified server');
      callbackClose();
      if (event.reconnectInMs !== null) callbackStatus(`Reconnecting in ${Math.round(event.reconnectInMs / 100) / 10}s...`);
    });
    callbackStatus('Trying to connect ...');
    current.connect();
  }

  function isOpen(): boolean {
    return client?.state === 'open';
  }

  function sendAsync(packet: object): Promise<SendResult> {
    if (!client || !isOpen()) return Promise.reject(new Error('Socket not open'));
    return client.send(packet as { opcode: string });
  }

  function sendMsg(packet: object): void {
    // The original silently drops messages sent while the socket is not open.
    if (isOpen()) sendAsync(packet).catch(noop);
  }

  return {
    init,
    sendMsg,
    sendAsync,
    uuid: () => client?.uuid ?? null,
    quit() {
      client?.close();
    },
    isOpen,
    setCallbackReady(callback) {
      callbackReady = callback;
    },
    setCallbackReadMessage(callback) {
      callbackReadMessage = callback;
    },
    setCallbackStatus(callback) {
      callbackStatus = callback;
    },
    setCallbackClose(callback) {
      callbackClose = callback;
    },
    broadcast(message) {
      sendMsg({ opcode: ClientOpcode.Broadcast, message });
    },
    feedback(message, toUUID) {
      sendMsg({ opcode: ClientOpcode.Feedback, message, uuid: toUUID, from: client?.uuid ?? null });
    },
    echo(message) {
      sendMsg({ opcode: ClientOpcode.Echo, message });
    },
  };
}

/** The URL the original would connect to, for both of its signatures. */
export function legacyUrl(server: string, portOrApp: string | number, app?: string): string {
  if (app === undefined && typeof portOrApp === 'string' && !/^\d+$/.test(portOrApp)) return server + portOrApp;
  const match = /^([a-z]+):\/\/(.*)$/i.exec(server);
  const secure = match !== null && /^(ssl|wss|https)$/i.test(match[1] as string);
  const host = match ? (match[2] as string) : server;
  return `${secure ? 'wss' : 'ws'}://${host}:${portOrApp}${app ?? ''}`;
}

function noop(): void {}
