/**
 * An append-only log file that rotates by size: when the next line would
 * pass `maxBytes`, websock.log becomes websock.log.1, .1 becomes .2, and so
 * on up to `keep` files; older ones are deleted.
 *
 * Writes are synchronous: a line is on disk (in the page cache) before the
 * call returns, so nothing is lost when the process dies, and rotation needs
 * no coordination with pending writes. Log volume at info is a few lines per
 * connection, which keeps this cheap.
 */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface RotatingFileOptions {
  path: string;
  /** Rotate before a write would pass this size; 0 never rotates. */
  maxBytes: number;
  /** Rotated files to keep (path.1 ... path.keep); 0 keeps none. */
  keep: number;
}

export class RotatingFile {
  readonly path: string;
  readonly #maxBytes: number;
  readonly #keep: number;
  #fd: number | null = null;
  #size = 0;

  /** Opens (creating the folder if needed); throws the fs error if it cannot. */
  constructor(options: RotatingFileOptions) {
    this.path = options.path;
    this.#maxBytes = options.maxBytes;
    this.#keep = options.keep;
    this.#open();
  }

  /** Append a line (with its newline); throws the fs error on failure. */
  write(line: string): void {
    if (this.#fd === null) this.#open();
    const bytes = Buffer.byteLength(line);
    if (this.#maxBytes > 0 && this.#size > 0 && this.#size + bytes > this.#maxBytes) this.#rotate();
    writeSync(this.#fd!, line);
    this.#size += bytes;
  }

  /** Close the file; later writes reopen it. Never throws. */
  close(): void {
    if (this.#fd === null) return;
    try {
      closeSync(this.#fd);
    } catch {
      // Closing a descriptor that already failed: nothing more to do.
    }
    this.#fd = null;
  }

  #open(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    this.#fd = openSync(this.path, 'a');
    this.#size = fstatSync(this.#fd).size;
  }

  #rotate(): void {
    this.close();
    for (let i = this.#keep - 1; i >= 1; i--) renameIfExists(`${this.path}.${i}`, `${this.path}.${i + 1}`);
    // The file may have been deleted (an operator freeing space): start a new one. A folder that is gone stays an error.
    if (this.#keep >= 1 && existsSync(this.path)) renameSync(this.path, `${this.path}.1`);
    else rmSync(this.path, { force: true });
    if (!existsSync(dirname(this.path))) throw Object.assign(new Error(`the log folder ${dirname(this.path)} is gone`), { code: 'ENOENT' });
    this.#open();
  }
}

function renameIfExists(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
