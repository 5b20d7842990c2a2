import type { Connection } from '../../transport/connection.js';
import type { Resource } from '../resource.js';

/**
 * An example application: clients on `/shout` get every text they send back
 * in capitals, and every other client of `/shout` hears it too. Register it
 * with `relay.registerResource('/shout', new ShoutResource())`.
 */
export class ShoutResource implements Resource {
  readonly #members = new Set<Connection>();

  onOpen: Resource['onOpen'] = (conn) => {
    this.#members.add(conn);
  };

  onMessage: Resource['onMessage'] = (conn, { packet }, ctx) => {
    const text = String(packet.message ?? '').toUpperCase();
    for (const member of this.#members) ctx.send(member, { opcode: 'shout', from: conn.uuid, message: text });
  };

  onClose: Resource['onClose'] = (conn) => {
    this.#members.delete(conn);
  };
}
