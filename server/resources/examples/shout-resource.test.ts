import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, PageClient, startRelay } from '../../../test/helpers/relay-fixture.js';
import { ShoutResource } from './shout-resource.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('a resource of your own', () => {
  it('is registered in one line and gets open, message and close', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    relay.registerResource('/shout', new ShoutResource());
    const a = cleanup.add(await PageClient.connect(relay.url('/shout')), (p) => p.close());
    const b = cleanup.add(await PageClient.connect(relay.url('/shout')), (p) => p.close());
    a.send({ opcode: 'say', message: 'hello' });
    expect((await a.nextPacket()).opcode).toBe('next');
    expect(await a.nextPacket()).toEqual({ opcode: 'shout', from: a.uuid, message: 'HELLO' });
    expect(await b.nextPacket()).toEqual({ opcode: 'shout', from: a.uuid, message: 'HELLO' });
  });
});
