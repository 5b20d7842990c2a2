/**
 * php2php sender: connects as "sender" and sends messages to the script
 * listening as "receiver" (or --to NAME): the words given, or three
 * greetings. On a v2 relay it learns whether each one was delivered.
 *
 *   node dist/php2php/sender.js [--address tcp://127.0.0.1:8080/php] [--to receiver] [message...]
 */
import { parseArgs } from 'node:util';
import { RelayClient, isClientError } from '../clients/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    address: { type: 'string', default: process.env.WEBSOCK_ADDRESS || 'tcp://127.0.0.1:8080/php' },
    to: { type: 'string', default: 'receiver' },
  },
});
const to = values.to!;
const messages =
  positionals.length > 0 ? [positionals.join(' ')] : ['Hello 1 from sender', 'Hello 22 from sender', { hello: 333, from: 'sender' }];

try {
  const client = await RelayClient.connect(values.address!, { ident: 'sender' });
  // Fired together, sent in order: stop-and-wait on v1, pipelined on v2.
  const outcomes = await Promise.all(messages.map((message) => client.send(to, message)));
  outcomes.forEach((outcome, i) => console.log(`sender: ${JSON.stringify(messages[i])} → ${outcome}`));
  await client.close();
  // 'unknown' (v2 only): nobody is listening as `to`.
  process.exitCode = outcomes.includes('unknown') ? 4 : 0;
} catch (error) {
  console.error(`sender: ${(error as Error).message}`);
  process.exitCode = isClientError(error, 'CONNECT_FAILED') ? 2 : 1;
}
