import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, ConfigErrorCode } from './config-error.js';
import { loadConfig } from './load-config.js';

let dir: string;
let count = 0;

function ini(content: string): string {
  const file = join(dir, `n${count++}.ini`);
  writeFileSync(file, content);
  return file;
}

function failure(content: string): { code: string; message: string } {
  const file = ini(content);
  try {
    loadConfig({ iniFile: file });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const { code, message } = error as ConfigError;
    expect(message).not.toContain('\n');
    return { code, message: message.replace(file, 'x.ini') };
  }
  throw new Error('loadConfig did not throw');
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'websock-novosga-'));
  writeFileSync(join(dir, 'websocket'), 'novosga_websocket_5f1c2a\n');
  writeFileSync(join(dir, 'empty'), '\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('[novosga] section', () => {
  it('is off by default, with /socket.io as its path', () => {
    const config = loadConfig({ iniFile: ini('[novosga]\n') });
    expect(config).toMatchObject({ novosgaEnabled: false, novosgaSecret: null, novosgaPath: '/socket.io' });
  });

  it('reads the secret inline, or from the file Novo SGA keeps it in (trimmed, relative to the ini file)', () => {
    expect(loadConfig({ iniFile: ini('[novosga]\nenabled = on\nsecret = abc\n') }).novosgaSecret).toBe('abc');
    const config = loadConfig({ iniFile: ini('[novosga]\nenabled = true\nsecretFile = websocket\npath = /ws/sga/\n') });
    expect(config).toMatchObject({
      novosgaSecret: 'novosga_websocket_5f1c2a',
      novosgaSecretFile: join(dir, 'websocket'),
      novosgaPath: '/ws/sga',
    });
  });

  it('keeps its keys apart from the top level ones of the same name', () => {
    const config = loadConfig({ iniFile: ini('secret = relay-signing-secret-123\n[novosga]\nenabled = yes\nsecret = sga\n') });
    expect(config.secret).toBe('relay-signing-secret-123');
    expect(config.novosgaSecret).toBe('sga');
    expect(failure('enabled = true\n')).toMatchObject({ code: ConfigErrorCode.UnknownKey });
    expect(failure('[novosga]\nenable = true\n')).toEqual({
      code: ConfigErrorCode.UnknownKey,
      message: 'x.ini: unknown key "enable" in [novosga] (did you mean enabled?)',
    });
  });

  it('refuses to run without a secret, with two secrets, or with an unusable file, in one line', () => {
    expect(failure('[novosga]\nenabled = true\n').message).toBe(
      'x.ini: [novosga] enabled = "true": the Novo SGA server needs secret or secretFile in [novosga] (its var/websocket file); without one anyone could register as an attendant',
    );
    expect(failure('[novosga]\nenabled = true\nsecret = a\nsecretFile = websocket\n').message).toMatch(
      /set secret or secretFile in \[novosga\], not both/,
    );
    expect(failure('[novosga]\nenabled = true\nsecretFile = missing\n')).toMatchObject({
      code: ConfigErrorCode.UnreadableFile,
      message: expect.stringMatching(/^x\.ini: \[novosga\] secretFile = ".*missing": cannot read the file \(ENOENT\)$/),
    });
    expect(failure('[novosga]\nenabled = true\nsecretFile = empty\n').message).toMatch(/the file is empty$/);
    expect(failure('[novosga]\nenabled = maybe\n').message).toMatch(/^x\.ini: \[novosga\] enabled = "maybe": expected true or false/);
  });

  it("refuses a path that is not one, or one of the relay's own", () => {
    expect(failure('[novosga]\npath = /\n').message).toMatch(/\[novosga\] path = "\/": expected a URL path such as \/socket.io/);
    expect(failure('[novosga]\npath = socket.io\n').message).toMatch(/expected a URL path/);
    expect(failure('[novosga]\npath = /a/../web\n').message).toMatch(/expected a URL path/);
    expect(failure('[novosga]\npath = /web\n').message).toBe(
      'x.ini: [novosga] path = "/web": /web is the relay\'s own; choose another path',
    );
    expect(failure('[novosga]\npath = /php/x\n').message).toMatch(/\/php is the relay's own/);
  });
});
