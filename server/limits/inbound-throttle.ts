import { TokenBucket } from './token-bucket.js';

/** The part of a WebSocket the throttle drives. */
export interface Pausable {
  pause(): void;
  resume(): void;
}

/**
 * Keeps one connection within `ratePerSecond` messages (bursts of as many).
 * Over the rate it stops reading the socket instead of dropping anything:
 * TCP then slows the sender down, and its messages arrive late, not lost.
 */
export class InboundThrottle {
  readonly #bucket: TokenBucket;
  readonly #socket: Pausable;
  #timer: NodeJS.Timeout | null = null;
  readonly #onPause: () => void;

  constructor(socket: Pausable, ratePerSecond: number, onPause: () => void = () => {}, now = Date.now()) {
    this.#socket = socket;
    this.#onPause = onPause;
    this.#bucket = new TokenBucket(ratePerSecond, ratePerSecond, now);
  }

  /** Count a message that was just read. */
  onMessage(now = Date.now()): void {
    if (this.#timer !== null) return;
    const wait = this.#bucket.take(now);
    if (wait === 0) return;
    this.#onPause();
    this.#socket.pause();
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#socket.resume();
    }, wait);
  }

  dispose(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
