/**
 * An audit hook: postSend appends one JSON line per message the relay
 * wrote to a client — when, to whom (connection id, uuid, Ident, path) and
 * what (its size, and its text up to `excerpt` bytes).
 *
 *   [apps]
 *   audit = /path/to/websock-relay/dist/server/apps/audit-log.js
 *
 *   [app:audit]
 *   file = /var/log/websock-relay/audit.log
 *   excerpt = 4K
 *
 * The file is opened at start-up (a file that cannot be opened stops it)
 * and closed after shutdown. Lines are written in the background; if the
 * disk falls behind by more than `maxBacklog`, lines are dropped and the
 * count of dropped lines is written once it catches up, so a slow disk can
 * never grow the relay's memory.
 */
import { closeSync, createWriteStream, openSync, type WriteStream } from 'node:fs';
import { defineApp } from './app.js';

const settings = {
  file: { type: 'path', required: true, doc: 'the file lines are appended to' },
  excerpt: { type: 'size', default: 4096, doc: 'bytes of each message kept in the line; 0 = none' },
  maxBacklog: { type: 'size', default: 8 * 1024 * 1024, min: 1024, doc: 'bytes of lines waiting for the disk before lines are dropped' },
} as const;

let out: WriteStream | null = null;
let excerptBytes = 4096;
let maxBacklog = 8 * 1024 * 1024;
let dropped = 0;

export default defineApp({
  settings,
  setup({ settings: values }) {
    let fd: number;
    try {
      fd = openSync(values.file, 'a');
    } catch (error) {
      throw new Error(`cannot open the audit file ${values.file} (${(error as NodeJS.ErrnoException).code ?? 'EIO'})`, { cause: error });
    }
    out = createWriteStream(values.file, { fd, flags: 'a' });
    out.on('error', () => {
      // A disk error after start-up: stop auditing rather than take the relay down.
      out = null;
      closeQuietly(fd);
    });
    excerptBytes = values.excerpt;
    maxBacklog = values.maxBacklog;
  },
  hooks: {
    postSend(to, message) {
      if (out === null) return;
      if (out.writableLength > maxBacklog) {
        dropped++;
        return;
      }
      const line: Record<string, unknown> = {
        time: new Date().toISOString(),
        client: to.id,
        uuid: to.uuid,
        ident: to.ident,
        path: to.resource,
        bytes: Buffer.byteLength(message),
      };
      if (excerptBytes > 0) line.message = message.length > excerptBytes ? `${message.slice(0, excerptBytes)}…` : message;
      if (dropped > 0) {
        out.write(`${JSON.stringify({ time: line.time, dropped })}\n`);
        dropped = 0;
      }
      out.write(`${JSON.stringify(line)}\n`);
    },
    async postShutdown() {
      const stream = out;
      out = null;
      if (stream === null) return;
      await new Promise<void>((resolve) => stream.end(resolve));
    },
  },
});

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed by the stream.
  }
}
