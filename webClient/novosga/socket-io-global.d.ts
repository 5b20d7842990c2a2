// The global `io` of socket.io's client script, which the relay serves at <path>/socket.io.js.
import type { io as ioFunction } from 'socket.io-client';

declare global {
  interface Window {
    io?: typeof ioFunction;
  }
}
