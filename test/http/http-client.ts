import { connect, type Socket } from 'node:net';

/** An HTTP answer with its body parsed as JSON when it is JSON. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: { [field: string]: unknown };
}

/** POST a JSON value (or raw text) with fetch and read the whole answer. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  return read(response);
}

export async function get(url: string): Promise<Answer> {
  return read(await fetch(url, { signal: AbortSignal.timeout(5_000) }));
}

async function read(response: Response): Promise<Answer> {
  const text = await response.text();
  let json: Answer['json'] = {};
  if ((response.headers.get('content-type') ?? '').includes('json')) json = JSON.parse(text) as Answer['json'];
  return { status: response.status, headers: response.headers, text, json };
}

/**
 * A raw TCP connection to the relay for requests fetch will not send
 * (lying Content-Length, bodies cut short, aborts mid-body).
 */
export class RawHttp {
  readonly socket: Socket;
  #received = '';
  #ended = false;
  #waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#received += chunk.toString('latin1');
      this.#wake();
    });
    socket.on('close', () => {
      this.#ended = true;
      this.#wake();
    });
    // A reset after the server refused a body is expected; the test reads what arrived before it.
    socket.on('error', () => {});
  }

  static open(port: number): Promise<RawHttp> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => resolve(new RawHttp(socket)));
      socket.once('error', reject);
    });
  }

  write(text: string | Buffer): void {
    this.socket.write(text);
  }

  /** Everything the server sent so far. */
  get received(): string {
    return this.#received;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Wait for a complete response head and its Content-Length body. */
  async response(timeoutMs = 5_000): Promise<{ status: number; head: string; body: string }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = parseResponse(this.#received);
      if (parsed) return parsed;
      if (this.#ended) throw new Error(`connection closed before a whole response; got ${JSON.stringify(this.#received)}`);
      await this.#wait(deadline);
    }
  }

  /** Wait until the server closed the connection. */
  async closed(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#ended) await this.#wait(deadline);
  }

  destroy(): void {
    this.socket.destroy();
  }

  #wait(deadline: number): Promise<void> {
    const left = deadline - Date.now();
    if (left <= 0) return Promise.reject(new Error(`timed out; got ${JSON.stringify(this.#received)}`));
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, left);
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

function parseResponse(text: string): { status: number; head: string; body: string } | null {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = text.slice(0, end);
  const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
  const body = text.slice(end + 4);
  if (Buffer.byteLength(body, 'latin1') < length) return null;
  return { status: Number(head.split(' ')[1]), head, body: body.slice(0, length) };
}

/** Poll a condition until it holds (bounded; for state the server changes asynchronously). */
export async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
