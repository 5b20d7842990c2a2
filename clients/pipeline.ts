import type { ErrorCode } from '../include/protocol.js';
import { Outcome, ServerOpcode } from '../include/protocol.js';
import { ClientError, ClientErrorCode } from './client-error.js';
import { framesFor } from './chunking.js';
import type { FrameWriter, Outbound, OutboundRequest, OutboundSettings, RequestQueue, SendResult } from './outbound.js';
import type { ReceivedPacket } from './packets.js';

// Relay error codes that mean "the message is too big" (the client's TOO_LARGE).
const SIZE_CODES = new Set<string>(['TOO_LARGE', 'TOO_MANY_CHUNKS']);
const UNKNOWN_RECIPIENT: ErrorCode = 'UNKNOWN_RECIPIENT';
const OUTCOMES = new Set<string>(Object.values(Outcome));

/** The error a v2 `{"opcode":"error"}` packet stands for. */
export function relayError(packet: ReceivedPacket): ClientError {
  const code = typeof packet.code === 'string' ? packet.code : 'UNKNOWN';
  const text = typeof packet.error === 'string' ? packet.error : 'no reason given';
  return new ClientError(
    SIZE_CODES.has(code) ? ClientErrorCode.TooLarge : ClientErrorCode.RelayError,
    `the relay refused the message: ${code}: ${text}`,
    {
      relayCode: code as ErrorCode,
      reason: text,
    },
  );
}

/**
 * Protocol v2: write every request at once (no `next`), numbering those that
 * want an outcome with an `id`; each settles when the relay's
 * `outcome` or `error` packet with its id arrives.
 */
export class Pipeline implements Outbound {
  readonly #writer: FrameWriter;
  readonly #queue: RequestQueue;
  readonly #settings: OutboundSettings;
  /** Awaiting an answer, oldest first (Map keeps insertion order). */
  readonly #pending = new Map<string, { request: OutboundRequest; deadline: number }>();
  #nextId = 1;
  #timer: NodeJS.Timeout | null = null;

  constructor(writer: FrameWriter, queue: RequestQueue, settings: OutboundSettings) {
    this.#writer = writer;
    this.#queue = queue;
    this.#settings = settings;
  }

  get idle(): boolean {
    return this.#pending.size === 0;
  }

  pump(): void {
    // A window, so a burst waits in our queue instead of piling up in socket buffers on both ends.
    while (this.#pending.size < this.#settings.maxInFlight) {
      const request = this.#queue.take();
      if (!request) return;
      this.#write(request);
    }
  }

  handle(packet: ReceivedPacket): boolean {
    if (packet.opcode === ServerOpcode.Next) return true; // not expected on v2; harmless
    if (packet.opcode !== ServerOpcode.Outcome && packet.opcode !== ServerOpcode.Error) return false;
    if (packet.id === undefined || packet.id === null) return false;
    const key = String(packet.id);
    const entry = this.#pending.get(key);
    if (!entry) return false;
    this.#pending.delete(key);
    if (this.#pending.size === 0) this.#disarm();
    this.#settle(entry.request, packet);
    this.pump();
    return true;
  }

  #settle(request: OutboundRequest, packet: ReceivedPacket): void {
    if (packet.opcode === ServerOpcode.Error && packet.code === UNKNOWN_RECIPIENT) {
      // Not a failure of the request: its answer is "nobody by that name" (PROTOCOL.md's outcome `unknown`).
      request.resolve(Outcome.Unknown);
    } else if (packet.opcode === ServerOpcode.Error) {
      request.reject(relayError(packet));
    } else if (typeof packet.outcome === 'string' && OUTCOMES.has(packet.outcome)) {
      request.resolve(packet.outcome as SendResult);
    } else {
      request.reject(
        new ClientError(ClientErrorCode.RelayError, `the relay sent an outcome this client does not know: ${String(packet.outcome)}`),
      );
    }
  }

  fail(error: ClientError): void {
    const entries = [...this.#pending.values()];
    this.#pending.clear();
    this.#disarm();
    for (const entry of entries) entry.request.reject(error);
  }

  #write(request: OutboundRequest): void {
    if (!request.expectsOutcome) {
      this.#sendFrames(request.text, (error) => {
        if (error)
          request.reject(
            new ClientError(ClientErrorCode.ConnectionLost, `could not write the message: ${error.message}`, { cause: error }),
          );
        else request.resolve('sent');
      });
      return;
    }
    const id = this.#nextId++;
    // The packet is a JSON object: splice the id in rather than encode a large message twice.
    const text = `{"id":${id},${request.text.slice(1)}`;
    this.#pending.set(String(id), { request, deadline: Date.now() + this.#settings.ackTimeoutMs });
    if (!this.#timer) this.#arm(this.#settings.ackTimeoutMs);
    this.#sendFrames(text);
  }

  #sendFrames(text: string, done?: (error?: Error) => void): void {
    const frames = framesFor(text, this.#settings.chunkBytes);
    frames.forEach((frame, i) => this.#writer.send(frame, i === frames.length - 1 ? done : undefined));
  }

  #arm(delayMs: number): void {
    this.#timer = setTimeout(this.#onTimer, Math.max(1, delayMs));
  }

  #disarm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  readonly #onTimer = (): void => {
    this.#timer = null;
    const oldest = this.#pending.values().next();
    if (oldest.done) return;
    const late = oldest.value.deadline - Date.now();
    if (late > 0) {
      this.#arm(late);
      return;
    }
    const error = new ClientError(
      ClientErrorCode.Timeout,
      `the relay did not answer within ${this.#settings.ackTimeoutMs} ms (no outcome)`,
    );
    this.fail(error);
    this.#settings.onTimeout(error);
  };
}
