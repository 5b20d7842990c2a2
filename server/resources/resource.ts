import type { ErrorCode, Outcome } from '../../include/protocol.js';
import type { CloseCode } from '../../include/protocol.js';
import type { PublishResult } from '../engine/publication.js';
import type { Logger } from '../logger/logger.js';
import type { Connection } from '../transport/connection.js';

/** A data message as a resource sees it: parsed once, raw bytes kept for forwarding. */
export interface InboundMessage {
  /**
   * The packet, parsed once by the relay. For a message over 1 MiB it holds
   * only the top-level fields a relay routes by (opcode, uuid, ident, id and
   * lastSeq at any size; message and progress up to 4 KiB) and `partial` is true:
   * parse `raw` yourself if you need the rest.
   */
  packet: { opcode: string; [field: string]: unknown };
  /** The message exactly as received, forwarded without re-serialising. */
  raw: Buffer | string;
  partial: boolean;
}

/**
 * What the relay lets a resource do. Resources never touch sockets or the
 * registry directly.
 */
export interface ResourceContext {
  readonly logger: Logger;
  /** Send an unsolicited message (object → JSON). */
  send(to: Connection, message: object | string | Buffer): boolean;
  /**
  /**
   * Route a feedback packet to its uuid or ident, on whichever node holds it;
   * resolves with what became of it (never rejects: `failed` when the engine
   * cannot tell). Null when the publish policy refused it
   * (server/routing/publish-policy.ts): the sender has then been told (v2)
   * or the refusal logged (v1).
   */
  deliverFeedback(from: Connection, packet: { [field: string]: unknown }, raw: Buffer | string): Promise<PublishResult> | null;
  /**
   * Send to every browser (on every node) but `from`; resolves with how many
   * got it in `count`, or null when the publish policy refused (as for
   * deliverFeedback; `id` goes into the v2 error).
   */
  broadcast(from: Connection | null, message: string | Buffer, id?: unknown): Promise<PublishResult> | null;
  /** The live connection with this uuid (signed or bare). */
  findByUuid(uuid: string): Connection | undefined;
  findByIdent(ident: string): Connection | undefined;
  /** Take over a uuid this relay signed (the `uuid` opcode); false if invalid or taken (see takeUuid). */
  adoptUuid(conn: Connection, signedUuid: string): boolean;
  /**
   * The same, saying why not: null when taken over, `BAD_UUID` when this
   * relay did not sign it, `UUID_TAKEN` when a live connection or an away
   * page's session holds it. A v2 page that took it is sent a new `ready`
   * (the uuid's epoch and resumeToken).
   */
  takeUuid(conn: Connection, signedUuid: string): 'BAD_UUID' | 'UUID_TAKEN' | null;
  /** v2: answer a request that carried an id with its outcome. */
  outcome(conn: Connection, id: unknown, outcome: Outcome, count?: number): void;
  /** Report an error: v2 clients get an error packet, v1 clients are told only when fatal. */
  error(conn: Connection, code: ErrorCode, id?: unknown, detail?: string): void;
  close(conn: Connection, code: CloseCode, reason?: string): void;
}

/**
 * An application behind a request path (`/`, `/web`, `/php`, or your own).
 * The relay has already sent `ready` before onOpen and, for v1 clients,
 * `next` before onMessage.
 *
 * @example
 * relay.registerResource('/upper', {
 *   onMessage(conn, { packet }, ctx) {
 *     ctx.send(conn, { opcode: 'upper', message: String(packet.message).toUpperCase() });
 *   },
 * });
 */
export interface Resource {
  onOpen?(conn: Connection, ctx: ResourceContext): void;
  onMessage(conn: Connection, message: InboundMessage, ctx: ResourceContext): void;
  onClose?(conn: Connection, code: number, ctx: ResourceContext): void;
  onError?(conn: Connection, error: Error, ctx: ResourceContext): void;
}
