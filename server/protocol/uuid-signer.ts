import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { v4 as uuidv4 } from 'uuid';

const SIGNATURE_HEX_LENGTH = 32;
/** Most verified ids remembered at once (then the memory starts over). */
const MAX_REMEMBERED = 1024;

/**
 * Issues connection ids of the form `<uuid>.<hmac>` and checks them. The
 * signature lets a page claim an id again (the `uuid` opcode, resume) without
 * anyone being able to forge another page's id.
 */
export class UuidSigner {
  readonly #secret: Buffer;
  /**
   * Signed ids that verified, with their bare uuid. A backend names the
   * same few pages message after message, and an HMAC per message (an
   * object with a native handle, and the slowest step of a forwarded
   * feedback) cost more than the rest of the relaying. Only valid ids are
   * kept: a forged one pays its HMAC each time, and a hit tells nothing to
   * someone who does not already hold the signed id.
   */
  readonly #verified = new Map<string, string>();

  /** @param secret HMAC key; a random one is made when null (ids then die with the process). */
  constructor(secret: string | null) {
    this.#secret = secret === null || secret === '' ? randomBytes(32) : Buffer.from(secret, 'utf8');
  }

  /** A new signed id. */
  issue(): string {
    return this.sign(uuidv4());
  }

  sign(bare: string): string {
    return `${bare}.${this.#mac(bare)}`;
  }

  /** The bare uuid when `signed` carries a valid signature, else null. */
  verify(signed: string): string | null {
    const known = this.#verified.get(signed);
    if (known !== undefined) return known;
    const bare = this.#check(signed);
    if (bare !== null) {
      if (this.#verified.size >= MAX_REMEMBERED) this.#verified.clear();
      this.#verified.set(signed, bare);
    }
    return bare;
  }

  #check(signed: string): string | null {
    const dot = signed.lastIndexOf('.');
    if (dot <= 0) return null;
    const bare = signed.slice(0, dot);
    const given = Buffer.from(signed.slice(dot + 1), 'utf8');
    const expected = Buffer.from(this.#mac(bare), 'utf8');
    if (given.length !== expected.length) return null;
    return timingSafeEqual(given, expected) ? bare : null;
  }

  /**
   * The secret that lets a page resume its session: derived from the relay's
   * secret and the routing key, under its own label so it is never the uuid's
   * signature. Only `ready`/`resumed` to that page carry it; the signed uuid,
   * which the page hands out as its reply address, does not let anyone resume.
   */
  resumeToken(key: string): string {
    return createHmac('sha256', this.#secret).update(`resume\u0000${key}`).digest('base64url');
  }

  /** Does `token` resume the session of routing key `key`? */
  verifyResumeToken(key: string, token: unknown): boolean {
    if (typeof token !== 'string') return false;
    const given = Buffer.from(token, 'utf8');
    const expected = Buffer.from(this.resumeToken(key), 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  #mac(bare: string): string {
    return createHmac('sha256', this.#secret).update(bare).digest('hex').slice(0, SIGNATURE_HEX_LENGTH);
  }
}

/** The routing key of a uuid as publishers write it: signed or bare, both route. */
export function routingKey(uuid: string): string {
  const dot = uuid.indexOf('.');
  return dot === -1 ? uuid : uuid.slice(0, dot);
}
