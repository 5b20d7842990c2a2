/**
 * The chat server of the PHP WebSocket server's README, as an app: every
 * message a client sends goes to every other client of the chat, unchanged;
 * a client that sends nothing for `maxIdle` seconds is dropped.
 *
 * In websock.ini (after `npm run build`):
 *
 *   [apps]
 *   /chat = /path/to/websock-relay/dist/server/apps/chat.js
 *
 *   [app:/chat]
 *   maxIdle = 300
 *
 * Clients connect to ws://HOST:PORT/chat and send JSON packets with an
 * opcode, e.g. {"opcode":"say","message":"hello"}.
 */
import { defineApp } from './app.js';

export default defineApp({
  /** Ten minutes unless [app:/chat] says otherwise. */
  maxIdle: 600,
  onMessage(conn, { raw }, ctx) {
    ctx.sendToAllBut(conn, raw);
  },
});
