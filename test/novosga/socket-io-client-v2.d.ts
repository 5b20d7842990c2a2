// The few parts of socket.io-client 2.x (npm alias socket.io-client-v2, no types of its own) the tests use.
declare module 'socket.io-client-v2' {
  interface V2Socket {
    id: string;
    connected: boolean;
    io: { engine: { transport: { name: string } }; reconnection(on: boolean): void };
    on(event: string, listener: (...args: unknown[]) => void): V2Socket;
    once(event: string, listener: (...args: unknown[]) => void): V2Socket;
    emit(event: string, ...args: unknown[]): V2Socket;
    close(): V2Socket;
  }
  function io(url: string, options?: Record<string, unknown>): V2Socket;
  export default io;
}
