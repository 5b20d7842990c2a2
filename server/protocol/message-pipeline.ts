import { ADDRESS_FIELDS, isPacket } from '../../include/protocol.js';
import type { Delivery } from '../delivery/delivery.js';
import { addressFieldProblem } from './address-fields.js';
import type { InFlightBudget } from '../limits/in-flight-budget.js';
import type { Logger } from '../logger/logger.js';
import type { RelayStats } from '../metrics/relay-stats.js';
import type { Resource, ResourceContext } from '../resources/resource.js';
import type { Connection } from '../transport/connection.js';
import { encodeTextFrame } from './frame-encoder.js';
import { scanJsonObject } from './json-scan.js';

export { errorText } from './error-text.js';

/** Messages above this size are scanned for their routing fields instead of parsed whole. */
const LARGE_MESSAGE_BYTES = 1024 * 1024;
const ROUTING_FIELDS: ReadonlySet<string> = new Set(['opcode', 'uuid', 'ident', 'id', 'message', 'progress', 'lastSeq', 'seq']);
/** Read whole at any size, so that routing never depends on the size of the message. */
const WHOLE_FIELDS: ReadonlySet<string> = new Set([...ADDRESS_FIELDS, 'lastSeq']);

/** The v1 acknowledgement, sent before a data message is handled (as the original does). */
export const NEXT_PACKET = '{"opcode":"next","fyi":""}';
/** Encoded once: every v1 message is answered with these same bytes. */
const NEXT_FRAME = encodeTextFrame(NEXT_PACKET);

export interface PipelineDeps {
  ctx: ResourceContext;
  /** Writes the `next` acknowledgements. */
  delivery: Delivery;
  stats: RelayStats;
  logger: Logger;
  /** The relay-wide bound on unfinished messages; the chunks a joiner holds count in it. */
  inFlight?: InFlightBudget;
  /** Core opcodes handled before the resource (v2 resume); true when consumed. */
  intercept?: (conn: Connection, packet: { opcode: string; [field: string]: unknown }) => boolean;
}

/**
 * Bytes in, resource calls out: joins v1 chunks, parses JSON once,
 * acknowledges v1 messages with `next`, and turns bad input into the
 * documented error. Never throws on client input.
 */
export function handleFrame(conn: Connection, data: Buffer, resource: Resource, deps: PipelineDeps, isBinary = false): void {
  // Once the relay decided to close, nothing more is handled (nor counted, nor
  // logged): frames a client packed behind a fatal one are dropped unread.
  if (conn.closing) return;
  deps.stats.messagesIn++;
  deps.stats.bytesIn += data.length;
  if (isBinary) {
    // Never forwarded: pages decode every frame as text, and one binary
    // broadcast would fail every page's connection.
    deps.ctx.error(conn, 'BINARY_FRAME');
    return;
  }
  // Chunk markers are short: only decode to text what could be one, or what a joiner collects.
  const maybeMarker = data.length <= 9;
  if (maybeMarker || conn.joiner.active) {
    const step = conn.joiner.push(data.toString('utf8'));
    const budget = deps.inFlight;
    if (budget !== undefined && conn.inFlight !== null && !budget.joining(conn.inFlight, conn.joiner.bytes)) {
      // Over the relay-wide budget: this message is given up, nobody else's.
      conn.joiner.reset();
      budget.joining(conn.inFlight, 0);
      deps.stats.inFlightRefusals.budget++;
      deps.ctx.error(conn, 'IN_FLIGHT_FULL');
      return;
    }
    switch (step.kind) {
      case 'pending':
        ack(conn, deps);
        return;
      case 'too-many-chunks':
        deps.ctx.error(conn, 'TOO_MANY_CHUNKS');
        return;
      case 'too-large':
        deps.ctx.error(conn, 'TOO_LARGE');
        return;
      case 'joined':
        handleMessage(conn, step.text, resource, deps);
        return;
      case 'message':
        break;
    }
  }
  handleMessage(conn, data, resource, deps);
}

function handleMessage(conn: Connection, raw: Buffer | string, resource: Resource, deps: PipelineDeps): void {
  const parsed = parsePacket(raw);
  if (parsed === null) {
    // ctx.error logs the close (once); the size only helps debugging.
    deps.logger.debug('invalid JSON', { client: conn.id, bytes: raw.length });
    deps.ctx.error(conn, 'BAD_JSON');
    return;
  }
  ack(conn, deps);
  const { packet, partial } = parsed;
  if (!isPacket(packet)) {
    deps.logger.debug('message without an opcode ignored', { client: conn.id });
    deps.ctx.error(conn, 'NOT_AN_OBJECT', idOf(packet));
    return;
  }
  const problem = addressFieldProblem(packet);
  if (problem !== null) {
    // Not echoed back when the id itself is what is too long.
    deps.ctx.error(conn, 'BAD_PACKET', problem.field === 'id' ? undefined : packet.id, problem.text);
    return;
  }
  if (deps.logger.level === 'debug') {
    deps.logger.debug('message', { client: conn.id, opcode: packet.opcode, payload: truncate(raw) });
  }
  if (deps.intercept?.(conn, packet)) return;
  try {
    resource.onMessage(conn, { packet, raw, partial }, deps.ctx);
  } catch (error) {
    // A resource bug must not take the relay down; the client is told.
    deps.logger.error('resource failed on a message', { client: conn.id, reason: (error as Error).message });
    resource.onError?.(conn, error as Error, deps.ctx);
  }
}

/**
 * Parse once. A large message is only scanned: validated, with its small
 * routing fields picked out, so its text is never copied into strings.
 * Null when it is not JSON. `largeBytes` moves the threshold (tests compare both paths).
 */
export function parsePacket(raw: Buffer | string, largeBytes = LARGE_MESSAGE_BYTES): { packet: unknown; partial: boolean } | null {
  if (typeof raw !== 'string' && raw.length > largeBytes) {
    const scan = scanJsonObject(raw, ROUTING_FIELDS, 4096, WHOLE_FIELDS);
    if (!scan.ok) return null;
    // A publisher's own seq must be replaced exactly (see withSequence): take the slow path.
    if (!scan.seen.has('seq')) return { packet: scan.fields, partial: true };
  }
  try {
    return { packet: JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8')), partial: false };
  } catch {
    return null;
  }
}

function ack(conn: Connection, deps: PipelineDeps): void {
  if (conn.protocol === 1) deps.delivery.reply(conn, NEXT_FRAME);
}

function idOf(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? (value as { id?: unknown }).id : undefined;
}

function truncate(raw: Buffer | string): string {
  const text = typeof raw === 'string' ? raw : raw.subarray(0, 500).toString('utf8');
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
