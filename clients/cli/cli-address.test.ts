import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isClientError } from '../client-error.js';
import { resolveCliAddress } from './cli-address.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'websock-cli-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const resolveIn = (extra: { address?: string; ini?: string; env?: Record<string, string> } = {}) =>
  resolveCliAddress({ cwd: dir, env: extra.env ?? {}, address: extra.address, ini: extra.ini });

describe('resolveCliAddress', () => {
  it('defaults to tcp://127.0.0.1:8080/php when there is no websock.ini', () => {
    expect(resolveIn()).toEqual({ address: 'tcp://127.0.0.1:8080/php', source: 'default', caFile: undefined });
  });

  it('reads adress (sic) from ./websock.ini and adds /php', () => {
    writeFileSync(join(dir, 'websock.ini'), 'adress = ws://127.0.0.1:8096\nlogfile = x.log\n');
    expect(resolveIn().address).toBe('ws://127.0.0.1:8096/php');
  });

  it('reads the [websocketserver] section of the original shared config', () => {
    writeFileSync(join(dir, 'websock.ini'), '[websocketserver]\nadress = "tcp://127.0.0.1:9000"\n');
    expect(resolveIn().address).toBe('tcp://127.0.0.1:9000/php');
  });

  it('connects to loopback when the ini listens on every interface, and trusts its certFile', () => {
    writeFileSync(join(dir, 'websock.ini'), 'adress = ssl://0.0.0.0:8443\ncertFile = certs/cert.pem\n');
    expect(resolveIn()).toEqual({
      address: 'ssl://127.0.0.1:8443/php',
      source: join(dir, 'websock.ini'),
      caFile: join(dir, 'certs', 'cert.pem'),
    });
  });

  it('prefers --address, then $WEBSOCK_ADDRESS, over the ini', () => {
    writeFileSync(join(dir, 'websock.ini'), 'adress = ws://127.0.0.1:1\n');
    expect(resolveIn({ address: 'tcp://h:2', env: { WEBSOCK_ADDRESS: 'tcp://h:3' } }).address).toBe('tcp://h:2/php');
    expect(resolveIn({ env: { WEBSOCK_ADDRESS: 'tcp://h:3' } }).address).toBe('tcp://h:3/php');
  });

  it('keeps a resource that was written, even /', () => {
    expect(resolveIn({ address: 'wss://h:4/web' }).address).toBe('wss://h:4/web');
    expect(resolveIn({ address: 'tcp://h:4/' }).address).toBe('tcp://h:4/');
  });

  it('reads another ini with --ini, and says when it is missing', () => {
    writeFileSync(join(dir, 'other.ini'), 'adress = tcp://127.0.0.1:7\n');
    expect(resolveIn({ ini: 'other.ini' }).address).toBe('tcp://127.0.0.1:7/php');
    let caught: unknown;
    try {
      resolveIn({ ini: 'missing.ini' });
    } catch (error) {
      caught = error;
    }
    expect(isClientError(caught, 'BAD_ARGUMENT')).toBe(true);
  });

  it('rejects a bad address naming where it came from', () => {
    expect(() => resolveIn({ address: 'http://x' })).toThrow(/--address: .*unknown scheme/);
    writeFileSync(join(dir, 'websock.ini'), 'adress = nonsense\n');
    expect(() => resolveIn()).toThrow(/websock\.ini: /);
  });
});
