/**
 * The reference: the thinnest relay that can be written on `ws`. It speaks
 * just enough of protocol v1 (ready, next, feedback by uuid or Ident, echo,
 * broadcast to pages, quit), plus `POST /feedback` and `/feedback/batch`, to carry the benchmark
 * load, with no limits, logging, checks, signing, auth or retention. It is
 * the yardstick, not a product.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { CLIENT_TYPE_BACKEND, ClientOpcode, HEADER_CLIENT_TYPE, HEADER_IDENT, ServerOpcode } from '../include/protocol.js';

export interface ReferenceRelay {
  port: number;
  close(): Promise<void>;
}

const NEXT = JSON.stringify({ opcode: ServerOpcode.Next, fyi: '' });
const JSON_TYPE = { 'content-type': 'application/json' };

export async function startReferenceRelay(port = 0, host = '127.0.0.1'): Promise<ReferenceRelay> {
  const http = createServer(onHttpRequest);
  // maxPayload 0: no size limit, so the 64 MiB message passes.
  const server = new WebSocketServer({ server: http, maxPayload: 0 });
  const byUuid = new Map<string, WebSocket>();
  const byIdent = new Map<string, WebSocket>();
  const pages = new Set<WebSocket>();

  function recipientOf(packet: { uuid?: unknown; ident?: unknown }): WebSocket | undefined {
    return typeof packet.ident === 'string' && packet.ident !== '' ? byIdent.get(packet.ident) : byUuid.get(String(packet.uuid));
  }

  server.on('connection', function onConnection(socket: WebSocket, request: IncomingMessage) {
    const uuid = randomUUID();
    const ident = request.headers[HEADER_IDENT];
    const isBackend = request.headers[HEADER_CLIENT_TYPE] === CLIENT_TYPE_BACKEND;
    byUuid.set(uuid, socket);
    if (typeof ident === 'string' && ident !== '') byIdent.set(ident, socket);
    if (!isBackend) pages.add(socket);
    socket.send(JSON.stringify({ opcode: ServerOpcode.Ready, uuid }));

    socket.on('message', function onMessage(data: RawData, isBinary: boolean) {
      let packet: { opcode?: unknown; uuid?: unknown; ident?: unknown };
      try {
        packet = JSON.parse(data.toString()) as typeof packet;
      } catch {
        return;
      }
      // Forward the bytes received: the packet goes whole, never re-serialised.
      switch (packet.opcode) {
        case ClientOpcode.Feedback:
          recipientOf(packet)?.send(data, { binary: isBinary });
          break;
        case ClientOpcode.Echo:
          socket.send(data, { binary: isBinary });
          break;
        case ClientOpcode.Broadcast:
          for (const page of pages) if (page !== socket) page.send(data, { binary: isBinary });
          break;
        case ClientOpcode.Quit:
          socket.close();
          return;
      }
      socket.send(NEXT);
    });

    socket.on('close', function onClose() {
      byUuid.delete(uuid);
      if (typeof ident === 'string' && byIdent.get(ident) === socket) byIdent.delete(ident);
      pages.delete(socket);
    });
  });

  /** Forward one published message as a feedback packet; its outcome. */
  function publish(body: Record<string, unknown>): 'delivered' | 'unknown' {
    const target = recipientOf(body);
    if (!target) return 'unknown';
    target.send(JSON.stringify({ opcode: ClientOpcode.Feedback, ...body }));
    return 'delivered';
  }

  /**
   * POST /feedback with `{"uuid"|"ident", "message", ...}`, forwarded as a
   * feedback packet; POST /feedback/batch with `{"messages": [...]}` or an
   * array, each forwarded so, answered with an outcome per message.
   */
  function onHttpRequest(request: IncomingMessage, response: ServerResponse): void {
    const batch = request.url === '/feedback/batch';
    if (request.method !== 'POST' || (request.url !== '/feedback' && !batch)) {
      response.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', function onBody() {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString());
      } catch {
        response.writeHead(400).end();
        return;
      }
      if (batch) {
        const items = (Array.isArray(body) ? body : (body as { messages?: unknown }).messages) as Record<string, unknown>[];
        const results = items.map((item) => ({ outcome: publish(item) }));
        response.writeHead(200, JSON_TYPE).end(JSON.stringify({ results }));
        return;
      }
      if (publish(body as Record<string, unknown>) === 'unknown') {
        response.writeHead(404, JSON_TYPE).end('{"outcome":"unknown"}');
        return;
      }
      response.writeHead(200, JSON_TYPE).end('{"outcome":"delivered"}');
    });
  }

  await new Promise<void>((resolve, reject) => {
    http.once('listening', resolve);
    http.once('error', reject);
    http.listen(port, host);
  });
  const address = http.address();
  const actualPort = typeof address === 'object' && address !== null ? address.port : port;
  return {
    port: actualPort,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close();
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
