/**
 * A TCP forwarder standing in for a load balancer: every new connection is
 * piped to the port `target` names at that moment, so a test can move
 * clients from one relay to another as a deploy would.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export class TcpForwarder {
  target: number;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  private constructor(target: number) {
    this.target = target;
    this.#server = createServer((inbound) => {
      const outbound = connect(this.target, '127.0.0.1');
      for (const socket of [inbound, outbound]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => {
          inbound.destroy();
          outbound.destroy();
        });
      }
      inbound.pipe(outbound).pipe(inbound);
    });
  }

  static async start(target: number): Promise<TcpForwarder> {
    const forwarder = new TcpForwarder(target);
    await new Promise<void>((resolve) => forwarder.#server.listen(0, '127.0.0.1', resolve));
    return forwarder;
  }

  get port(): number {
    return (this.#server.address() as { port: number }).port;
  }

  /** Drop every piped connection now (new ones go to `target`: point it at a closed port to keep them out). */
  dropAll(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
