/**
 * The shipped websock.ini and docs/configuration.md must describe every key
 * the loader knows, and the shipped file must start a relay as documented.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS } from './config-keys.js';
import { loadConfig } from './load-config.js';
import { defaultConfig } from './relay-config.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const INI = join(ROOT, 'websock.ini');
const DOCS = join(ROOT, 'docs', 'configuration.md');

describe('websock.ini at the repository root', () => {
  it('starts a loopback relay on 8080 with the demo and the console on, everything else default', () => {
    expect(loadConfig({ iniFile: INI })).toEqual({ ...defaultConfig(), console: true, demo: true });
    expect(defaultConfig().address).toMatchObject({ scheme: 'ws', host: '127.0.0.1', port: 8080 });
  });

  it('has a line for every key, set or commented out, in its section', () => {
    const text = readFileSync(INI, 'utf8');
    for (const { name, section } of CONFIG_KEYS) {
      const [topLevel, ...sections] = text.split(/^(?=\[)/m);
      const where = section === null ? topLevel! : (sections.find((part) => part.startsWith(`[${section}]`)) ?? '');
      expect(where, `${section ?? ''} ${name}`).toMatch(new RegExp(`^;?${name} = `, 'm'));
    }
  });

  it('still loads with every commented key switched on (the examples are valid)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'websock-ini-'));
    try {
      const file = join(dir, 'websock.ini');
      writeFileSync(file, readFileSync(INI, 'utf8').replace(/^;(\w+ = )/gm, '$1'));
      const config = loadConfig({ iniFile: file });
      expect(config.allowedIP).toEqual(['self', '10.0.0.0/8']);
      expect(config.logfile).toBe(join(dir, 'websock.log'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('docs/configuration.md', () => {
  it("has a table row for every key (a section's keys below a heading that names it)", () => {
    const text = readFileSync(DOCS, 'utf8');
    for (const { name, section } of CONFIG_KEYS) {
      const part = section === null ? text : text.slice(text.search(new RegExp(`^#+ .*\\[${section}\\]`, 'm')));
      expect(part, `${section ?? ''} ${name}`).toMatch(new RegExp(`^\\| \`${name}\`[ |]`, 'm'));
    }
  });

  it('lists every ConfigError code', async () => {
    const { ConfigErrorCode } = await import('./config-error.js');
    const text = readFileSync(DOCS, 'utf8');
    for (const code of Object.values(ConfigErrorCode)) expect(text).toContain(`\`${code}\``);
  });
});
