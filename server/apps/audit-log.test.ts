import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../config/config-error.js';
import { Cleanup, PageClient, startRelay } from '../../test/helpers/relay-fixture.js';
import audit from './audit-log.js';
import { useApp } from './install-app.js';

const dir = mkdtempSync(join(tmpdir(), 'websock-audit-'));
const cleanup = new Cleanup();
afterEach(() => cleanup.run());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function lines(file: string): { [field: string]: unknown }[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { [field: string]: unknown });
}

describe('the audit hook', () => {
  it('appends one line per message written, to whom and what, and closes the file after shutdown', async () => {
    const file = join(dir, 'audit.log');
    const relay = await startRelay();
    let stopped = false;
    cleanup.add(relay, async (r) => {
      if (!stopped) await r.stop();
    });
    await useApp(relay, audit, { name: 'audit', settings: { file, excerpt: 5 } });
    const page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const script = cleanup.add(await PageClient.connect(relay.url('/php'), { headers: { 'Client-Type': 'php', Ident: 'job' } }), (p) =>
      p.close(),
    );
    script.send({ opcode: 'feedback', uuid: page.uuid, message: 'progress 1' });
    expect(await page.nextPacket()).toMatchObject({ message: 'progress 1' });
    expect(await script.nextPacket()).toMatchObject({ opcode: 'next' });
    const other = cleanup.add(await PageClient.connect(relay.url('/php'), { headers: { 'Client-Type': 'php' } }), (p) => p.close());
    other.send({ opcode: 'feedback', ident: 'job', message: 'cancel' });
    expect(await script.nextPacket()).toMatchObject({ message: 'cancel' });
    await relay.stop();
    stopped = true;
    const written = lines(file);
    expect(written).toHaveLength(2);
    expect(written[0]).toMatchObject({ path: '/web', uuid: page.uuid, ident: null, message: '{"opc…' });
    expect(written[1]).toMatchObject({ path: '/php', ident: 'job', uuid: script.uuid });
    expect(written[0]!.bytes).toBe(Buffer.byteLength(JSON.stringify({ opcode: 'feedback', uuid: page.uuid, message: 'progress 1' })));
    expect(typeof written[0]!.time).toBe('string');
  });

  it('stops start-up when the file cannot be opened', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const error = await useApp(relay, audit, { name: 'audit', settings: { file: join(dir, 'no-such-dir', 'audit.log') } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^app audit: setup failed: cannot open the audit file .*no-such-dir.*\(ENOENT\)$/);
  });
});
