import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { CLIENT_TYPE_BACKEND, ClientOpcode, ServerOpcode, isPacket, type Progress } from '../../include/protocol.js';

/**
 * Interim v1 backend for the demo job until the Node client library lands:
 * connects as `Client-Type: php`, waits for `ready`, then sends one message
 * at a time, each after the relay's `next`.
 */
export class MinimalBackend {
  #ws: WebSocket;
  #waiting: { resolve(): void; reject(error: Error): void } | null = null;
  #closedError: Error | null = null;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (data: Buffer) => {
      let packet: unknown;
      try {
        packet = JSON.parse(data.toString('utf8'));
      } catch {
        return;
      }
      if (isPacket(packet) && packet.opcode === ServerOpcode.Next) this.#settle(null);
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.#closedError = new Error(`the relay closed the connection (${code} ${reason.toString()})`);
      this.#settle(this.#closedError);
    });
  }

  static connect(address: string, caFile?: string): Promise<MinimalBackend> {
    const ws = new WebSocket(address, {
      headers: { 'Client-Type': CLIENT_TYPE_BACKEND },
      ...(caFile ? { ca: readFileSync(caFile), checkServerIdentity: () => undefined } : {}),
    });
    return new Promise((resolve, reject) => {
      ws.once('error', reject);
      ws.once('close', (code: number) => reject(new Error(`closed before ready (${code})`)));
      ws.on('message', function awaitReady(data: Buffer) {
        try {
          const packet: unknown = JSON.parse(data.toString('utf8'));
          if (isPacket(packet) && packet.opcode === ServerOpcode.Ready) {
            ws.off('message', awaitReady);
            ws.removeAllListeners('close');
            ws.removeAllListeners('error');
            ws.on('error', () => {});
            resolve(new MinimalBackend(ws));
          }
        } catch {
          // Not JSON: not ready yet.
        }
      });
    });
  }

  progress(uuid: string, progress: Progress): Promise<void> {
    return this.send({ opcode: ClientOpcode.Feedback, uuid, progress });
  }

  feedback(uuid: string, message: string): Promise<void> {
    return this.send({ opcode: ClientOpcode.Feedback, uuid, message });
  }

  send(packet: object): Promise<void> {
    if (this.#closedError) return Promise.reject(this.#closedError);
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
      this.#ws.send(JSON.stringify(packet));
    });
  }

  async close(): Promise<void> {
    if (this.#ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      this.#ws.once('close', () => resolve());
      this.#ws.close(1000);
    });
  }

  #settle(error: Error | null): void {
    const waiting = this.#waiting;
    this.#waiting = null;
    if (!waiting) return;
    if (error) waiting.reject(error);
    else waiting.resolve();
  }
}
