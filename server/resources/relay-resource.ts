import { ClientOpcode, CloseCode, Outcome } from '../../include/protocol.js';
import { withoutTopLevelField } from '../protocol/json-scan.js';
import type { InboundMessage, Resource, ResourceContext } from './resource.js';
import type { Connection } from '../transport/connection.js';

/**
 * The relay application served on `/`, `/web` and `/php`: feedback by uuid or
 * ident, echo, broadcast, quit and uuid, as the original server does.
 */
export class RelayResource implements Resource {
  onMessage(conn: Connection, { packet, raw }: InboundMessage, ctx: ResourceContext): void {
    switch (packet.opcode) {
      case ClientOpcode.Feedback: {
        const result = ctx.deliverFeedback(conn, packet, forwarded(conn, packet, raw));
        if (result === null) return; // refused by the publish policy; the sender was told
        // A v1 publisher had its `next` already and can be told nothing more.
        if (conn.protocol === 2 || ctx.logger.level === 'debug') {
          const id = packet.id;
          void result.then(({ outcome }) => {
            if (outcome === Outcome.Unknown) {
              ctx.logger.debug('feedback for an unknown recipient', { client: conn.id, uuid: str(packet.uuid), ident: str(packet.ident) });
            }
            if (id !== undefined) {
              ctx.outcome(conn, id, outcome);
            } else if (outcome === Outcome.Unknown) {
              // Not asked, but never silent: a v2 publisher hears of a message that went nowhere.
              ctx.error(conn, 'UNKNOWN_RECIPIENT');
            } else if (outcome === Outcome.Dropped) {
              ctx.error(conn, 'RECIPIENT_SLOW');
            } else if (outcome === Outcome.Failed) {
              ctx.error(conn, 'ENGINE_FAILED');
            }
          });
        }
        return;
      }
      case ClientOpcode.Echo:
        ctx.send(conn, raw);
        return;
      case ClientOpcode.Broadcast: {
        const id = packet.id;
        const result = ctx.broadcast(conn, forwarded(conn, packet, raw), id);
        if (result === null) return; // refused by the publish policy; the sender was told
        if (id !== undefined) void result.then(({ outcome, count }) => ctx.outcome(conn, id, outcome, count ?? 0));
        return;
      }
      case ClientOpcode.Quit:
        ctx.close(conn, CloseCode.Normal, 'quit');
        return;
      case ClientOpcode.Uuid: {
        const refused = typeof packet.message === 'string' ? ctx.takeUuid(conn, packet.message) : 'BAD_UUID';
        if (refused !== null) ctx.error(conn, refused, packet.id);
        else if (packet.id !== undefined) ctx.outcome(conn, packet.id, Outcome.Delivered);
        return;
      }
      default:
        ctx.error(conn, 'UNKNOWN_OPCODE', packet.id, packet.opcode);
    }
  }
}

/**
 * What recipients get of a message: under protocol v2 the `id` is the
 * sender's request id, answered by the relay's outcome; it means nothing to
 * a page (which would see every publisher's counter) and is removed. v1
 * senders' packets go on as they came: there `id` is just one of their fields.
 */
function forwarded(conn: Connection, packet: { [field: string]: unknown }, raw: Buffer | string): Buffer | string {
  if (conn.protocol !== 2 || packet.id === undefined) return raw;
  return withoutTopLevelField(typeof raw === 'string' ? Buffer.from(raw) : raw, 'id');
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
