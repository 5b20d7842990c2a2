/**
 * php2php receiver: registers the Ident "receiver" (or --ident NAME) with
 * the relay and prints every message other scripts send to it, until Ctrl-C.
 * It reconnects by itself when the relay restarts.
 *
 *   node dist/php2php/receiver.js [--address tcp://127.0.0.1:8080/php] [--ident receiver]
 */
import { parseArgs } from 'node:util';
import { RelayClient } from '../clients/index.js';
import type { ReceivedPacket } from '../clients/index.js';

const { values } = parseArgs({
  options: {
    address: { type: 'string', default: process.env.WEBSOCK_ADDRESS || 'tcp://127.0.0.1:8080/php' },
    ident: { type: 'string', default: 'receiver' },
  },
});

const client = await RelayClient.connect(values.address!, { ident: values.ident!, reconnect: true });
console.log(`receiver: listening as "${values.ident}" on ${client.url} (protocol v${client.protocol})`);

client.on('message', function printMessage(packet: ReceivedPacket) {
  // Senders using our client add fromIdent; the PHP client adds fromUUID.
  const from = packet.fromIdent ?? packet.fromUUID ?? 'someone';
  const text = typeof packet.message === 'string' ? packet.message : JSON.stringify(packet.message);
  console.log(`receiver: from ${String(from)}: ${text}`);
});
client.on('disconnect', (error) => console.error(`receiver: ${error.message}; reconnecting`));
client.on('reconnect', () => console.error('receiver: reconnected'));

async function stop(): Promise<void> {
  await client.close();
  console.log('receiver: stopped');
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
