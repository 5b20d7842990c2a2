import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, ConfigErrorCode } from './config-error.js';
import { loadConfig } from './load-config.js';
import type { LoadConfigOptions } from './load-config.js';
import { defaultConfig } from './relay-config.js';
import { writeSelfSignedCert } from '../../test/helpers/tls-cert.js';

let dir: string;
let iniCount = 0;

/** Write an ini file into the temp dir and return its path. */
function ini(content: string, name = `t${iniCount++}.ini`): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

/** The ConfigError loadConfig throws; fails the test when it does not throw one. */
function errorOf(options: LoadConfigOptions): ConfigError {
  try {
    loadConfig(options);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('loadConfig did not throw');
}

/** The message of the error one ini line causes. */
function messageFor(line: string): string {
  const file = ini(line + '\n', 'bad.ini');
  const error = errorOf({ iniFile: file });
  expect(error.message).not.toContain('\n');
  return error.message.replace(file, 'bad.ini');
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'websock-config-'));
  mkdirSync(join(dir, 'tls'));
  writeSelfSignedCert(join(dir, 'tls', 'cert.pem'), join(dir, 'tls', 'key.pem'));
  writeSelfSignedCert(join(dir, 'tls', 'other-cert.pem'), join(dir, 'tls', 'other-key.pem'), 'other');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('precedence', () => {
  it('uses the embedded defaults without an ini file or flags', () => {
    expect(loadConfig()).toEqual(defaultConfig());
  });

  it('lets the ini file override defaults and flags override the ini file', () => {
    const file = ini('adress = ws://0.0.0.0:9000\nconsole = false\nlogLevel = warn\nmaxClients = 50\n');
    const fromIni = loadConfig({ iniFile: file });
    expect(fromIni.address.port).toBe(9000);
    expect(fromIni.address.host).toBe('0.0.0.0');
    expect(fromIni.console).toBe(false);
    expect(fromIni.logLevel).toBe('warn');
    expect(fromIni.maxClients).toBe(50);
    expect(fromIni.maxPerIP).toBe(defaultConfig().maxPerIP);

    const withFlags = loadConfig({ iniFile: file, overrides: { address: 'tcp://[::1]:7000', console: true, logLevel: 'debug' } });
    expect(withFlags.address).toMatchObject({ scheme: 'tcp', host: '::1', port: 7000, tls: false });
    expect(withFlags.console).toBe(true);
    expect(withFlags.logLevel).toBe('debug');
    expect(withFlags.maxClients).toBe(50);
  });

  it('takes --console with or without a word', () => {
    const file = ini('console = true\n');
    expect(loadConfig({ iniFile: file, overrides: { console: 'off' } }).console).toBe(false);
    expect(loadConfig({ overrides: { console: true } }).console).toBe(true);
    expect(errorOf({ overrides: { console: 'loud' } }).message).toBe(
      'command line: --console "loud": expected true or false (yes/no, on/off and 1/0 work too)',
    );
  });

  it('reads the original websock.ini as it was written', () => {
    const file = ini("adress='ws://localhost:8096'\nlogfile=/tmp/websock-test.log\nconsole=false\ncertFile=''\npkFile=''\n");
    const config = loadConfig({ iniFile: file });
    expect(config.address).toMatchObject({ scheme: 'ws', host: 'localhost', port: 8096 });
    expect(config.logfile).toBe('/tmp/websock-test.log');
    expect(config.certFile).toBeNull();
    expect(config.pkFile).toBeNull();
  });

  it('accepts address as well as adress, and the [websocketserver] section of the newer original', () => {
    expect(loadConfig({ iniFile: ini('address = ws://127.0.0.1:1234\n') }).address.port).toBe(1234);
    const warnings: string[] = [];
    const file = ini("[websocketserver]\nadress = 'ws://localhost:8095'\nconsole = true\n[jsauth]\nrequire=true\n");
    const config = loadConfig({ iniFile: file, onWarning: (w) => warnings.push(w) });
    expect(config.address.port).toBe(8095);
    expect(config.console).toBe(true);
    expect(warnings).toEqual([`${file}: section [jsauth] ignored; the relay reads top-level keys and [websocketserver], [novosga]`]);
  });

  it('maps every kind of value to its field and unit', () => {
    const file = ini(
      [
        'pingInterval = 0.5',
        'allowedIP = self, 10.0.0.0/8, ::1',
        'allowedOrigins = https://example.org, http://localhost:8080',
        'trustedProxies = 192.168.1.1',
        'maxMessageSize = 32M',
        'maxHeaderSize = 8K',
        'logMaxSize = 1.5M',
        'logKeep = 0',
        'maxChunks = 200',
        'handshakeTimeout = 2',
        'backendReadyDelay = 15',
        'backendFrameGap = 0',
        'shutdownGrace = 1.25',
        'retentionCount = 10',
        'retentionSize = 2MiB',
        'retentionAge = 60',
        'maxBuffered = 1G',
        'stallTimeout = 10',
        'secret = a-long-enough-secret-value',
        'publishSecret = token',
        'publishRateLimit = 100',
        'demo = off',
        'MAXPERIP = 3',
      ].join('\n'),
    );
    const config = loadConfig({ iniFile: file });
    expect(config).toMatchObject({
      pingIntervalMs: 500,
      allowedIP: ['self', '10.0.0.0/8', '::1'],
      allowedOrigins: ['https://example.org', 'http://localhost:8080'],
      trustedProxies: ['192.168.1.1'],
      maxMessageBytes: 32 * 1024 * 1024,
      maxHeaderBytes: 8 * 1024,
      logMaxBytes: 1.5 * 1024 * 1024,
      logKeep: 0,
      maxChunks: 200,
      handshakeTimeoutMs: 2000,
      backendReadyDelayMs: 15,
      backendFrameGapMs: 0,
      shutdownGraceMs: 1250,
      retentionCount: 10,
      retentionBytes: 2 * 1024 * 1024,
      retentionAgeMs: 60_000,
      maxBufferedBytes: 1024 ** 3,
      stallTimeoutMs: 10_000,
      secret: 'a-long-enough-secret-value',
      publishSecret: 'token',
      publishRateLimit: 100,
      demo: false,
      maxPerIP: 3,
    });
  });

  it('warns about a short secret and a key set twice', () => {
    const warnings: string[] = [];
    const file = ini('secret = short\nadress = ws://127.0.0.1:1\naddress = ws://127.0.0.1:2\n');
    const config = loadConfig({ iniFile: file, onWarning: (w) => warnings.push(w) });
    expect(config.address.port).toBe(2);
    expect(warnings).toEqual([
      `${file}: address is set again (also as adress); the last one wins`,
      `${file}: secret is shorter than 16 characters; uuids signed with it are easier to forge`,
    ]);
  });
});

describe('paths', () => {
  it('resolves relative logfile, certFile and pkFile against the ini file folder', () => {
    mkdirSync(join(dir, 'etc'), { recursive: true });
    const file = ini(
      'adress = wss://127.0.0.1:0\nlogfile = logs/websock.log\ncertFile = ../tls/cert.pem\npkFile = ../tls/key.pem\n',
      'etc/websock.ini',
    );
    const config = loadConfig({ iniFile: file, cwd: '/' });
    expect(config.logfile).toBe(join(dir, 'etc', 'logs', 'websock.log'));
    expect(config.certFile).toBe(join(dir, 'tls', 'cert.pem'));
    expect(config.pkFile).toBe(join(dir, 'tls', 'key.pem'));
    expect(config.address.tls).toBe(true);
  });

  it('resolves a relative --logfile against the working folder', () => {
    const config = loadConfig({ overrides: { logfile: 'x.log' }, cwd: dir });
    expect(config.logfile).toBe(join(dir, 'x.log'));
  });

  it('keeps absolute paths as they are', () => {
    expect(loadConfig({ iniFile: ini('logfile = /var/log/websock.log\n') }).logfile).toBe('/var/log/websock.log');
  });
});

describe('validation messages', () => {
  it.each([
    ['adress = ws://127.0.0.1:70000', 'bad.ini: adress = "ws://127.0.0.1:70000": port 70000 is out of range (0-65535)'],
    ['adress = http://127.0.0.1:80', 'bad.ini: adress = "http://127.0.0.1:80": unknown scheme "http" (allowed: ws, wss, tcp, ssl)'],
    ['adress = localhost:8080', 'bad.ini: adress = "localhost:8080": expected SCHEME://HOST[:PORT] with SCHEME one of ws, wss, tcp, ssl'],
    ['maxClients = -5', 'bad.ini: maxClients = "-5": expected a whole number >= 0 (0 = no limit)'],
    ['maxPerIP = many', 'bad.ini: maxPerIP = "many": expected a whole number >= 0 (0 = no limit)'],
    ['maxChunks = 0', 'bad.ini: maxChunks = "0": expected a whole number >= 1'],
    ['maxMessageSize = 10T', 'bad.ini: maxMessageSize = "10T": expected a size in bytes >= 1024 (K, M, G suffixes allowed)'],
    ['logMaxSize = -1', 'bad.ini: logMaxSize = "-1": expected a size in bytes >= 0 (K, M, G suffixes allowed; 0 = never rotate)'],
    ['pingInterval = -30', 'bad.ini: pingInterval = "-30": expected a number of seconds >= 0 (decimals allowed; 0 = no pings)'],
    ['handshakeTimeout = 0', 'bad.ini: handshakeTimeout = "0": expected a number of seconds > 0 (decimals allowed)'],
    ['backendFrameGap = 2.5', 'bad.ini: backendFrameGap = "2.5": expected a whole number >= 0 (milliseconds)'],
    // Node fires a timer of more than 2^31-1 ms after 1 ms: pings every millisecond would evict every page.
    ['pingInterval = 2200000', 'bad.ini: pingInterval = "2200000": expected a number of seconds <= 2000000 (about 23 days; 0 = no pings)'],
    ['shutdownGrace = 3000000', 'bad.ini: shutdownGrace = "3000000": expected a number of seconds <= 2000000 (about 23 days)'],
    ['handshakeTimeout = 2147484', 'bad.ini: handshakeTimeout = "2147484": expected a number of seconds <= 2000000 (about 23 days)'],
    [
      'backendFrameGap = 3000000000',
      'bad.ini: backendFrameGap = "3000000000": expected a whole number from 0 to 2000000000 (milliseconds)',
    ],
    [
      'broadcastBatch = 2147483648',
      'bad.ini: broadcastBatch = "2147483648": expected a whole number from 0 to 2000000000 (milliseconds, 0 = off)',
    ],
    [
      'backendReadyDelay = 9999999999',
      'bad.ini: backendReadyDelay = "9999999999": expected a whole number from 0 to 2000000000 (milliseconds)',
    ],
    [
      'pusherActivityTimeout = 0',
      'bad.ini: pusherActivityTimeout = "0": expected a whole number >= 1 (seconds of silence before a ping, sent to clients as activity_timeout)',
    ],
    [
      'pusherActivityTimeout = 1.5',
      'bad.ini: pusherActivityTimeout = "1.5": expected a whole number >= 1 (seconds of silence before a ping, sent to clients as activity_timeout)',
    ],
    [
      'pusherActivityTimeout = 3601',
      'bad.ini: pusherActivityTimeout = "3601": expected a whole number from 1 to 3600 (seconds of silence before a ping, sent to clients as activity_timeout)',
    ],
    ['pusherPongTimeout = 0', 'bad.ini: pusherPongTimeout = "0": expected a number of seconds > 0 (decimals allowed)'],
    ['logLevel = loud', 'bad.ini: logLevel = "loud": expected one of debug, info, warn, error'],
    ['console = maybe', 'bad.ini: console = "maybe": expected true or false (yes/no, on/off and 1/0 work too)'],
    [
      'allowedIP = 127.0.0.1, 10.0.0.0/33',
      'bad.ini: allowedIP = "127.0.0.1, 10.0.0.0/33": "10.0.0.0/33" is not an IP, a CIDR range (e.g. 10.0.0.0/8) or self',
    ],
    ['trustedProxies = self', 'bad.ini: trustedProxies = "self": "self" is not an IP or a CIDR range (e.g. 10.0.0.0/8)'],
    [
      'allowedOrigins = example.org',
      'bad.ini: allowedOrigins = "example.org": "example.org" is not an origin of the form http(s)://HOST[:PORT]',
    ],
    [
      'allowedOrigins = https://example.org/app',
      'bad.ini: allowedOrigins = "https://example.org/app": "https://example.org/app" is not an origin of the form http(s)://HOST[:PORT]',
    ],
    ['maxClient = 5', 'bad.ini: unknown key "maxClient" (did you mean maxClients?)'],
    ['frobnicate = 1', 'bad.ini: unknown key "frobnicate" (see docs/configuration.md for the keys)'],
    ['allowedIP[] = 127.0.0.1', 'bad.ini: allowedIP has a list or nested value; expected a single value (write lists as a,b,c)'],
  ])('%s', (line, expected) => {
    expect(messageFor(line)).toBe(expected);
  });

  it('gives the codes the docs list', () => {
    expect(errorOf({ iniFile: ini('maxClients = -1\n') }).code).toBe(ConfigErrorCode.InvalidValue);
    expect(errorOf({ iniFile: ini('nope = 1\n') }).code).toBe(ConfigErrorCode.UnknownKey);
    expect(errorOf({ iniFile: join(dir, 'missing.ini') }).code).toBe(ConfigErrorCode.UnreadableFile);
    expect(errorOf({ overrides: { address: 'wss://127.0.0.1:0' } }).code).toBe(ConfigErrorCode.TlsIncomplete);
  });

  it('names the flag for a bad command-line value', () => {
    expect(errorOf({ overrides: { address: 'ws://127.0.0.1:99999' } }).message).toBe(
      'command line: --adress "ws://127.0.0.1:99999": port 99999 is out of range (0-65535)',
    );
    expect(errorOf({ overrides: { logLevel: 'trace' } }).message).toBe(
      'command line: --log-level "trace": expected one of debug, info, warn, error',
    );
  });

  it('says so when the ini file cannot be read', () => {
    const missing = join(dir, 'missing.ini');
    expect(errorOf({ iniFile: missing }).message).toBe(`cannot read the ini file "${missing}" (ENOENT)`);
  });

  it('requires certFile and pkFile for a TLS address', () => {
    const file = ini('adress = ssl://0.0.0.0:8443\ncertFile = tls/cert.pem\n');
    expect(errorOf({ iniFile: file }).message).toBe(
      `${file}: adress = "ssl://0.0.0.0:8443": ssl:// is TLS and needs certFile and pkFile (PEM files); pkFile not set`,
    );
    expect(errorOf({ overrides: { address: 'wss://[::]:443' } }).message).toBe(
      'command line: --adress "wss://[::]:443": wss:// is TLS and needs certFile and pkFile (PEM files); certFile and pkFile not set',
    );
  });

  it('stops on a missing certificate file', () => {
    const file = ini('adress = wss://127.0.0.1:0\ncertFile = tls/nope.pem\npkFile = tls/key.pem\n');
    expect(errorOf({ iniFile: file }).message).toBe(
      `${file}: certFile = "${join(dir, 'tls', 'nope.pem')}": cannot read the file (ENOENT); a TLS address needs a readable PEM certificate`,
    );
  });

  it('stops on a file that is not PEM and on a certificate that does not match its key', () => {
    const notPem = ini('adress = wss://127.0.0.1:0\ncertFile = tls/cert.pem\npkFile = t0.ini\n');
    expect(errorOf({ iniFile: notPem }).message).toBe(
      `${notPem}: pkFile = "${join(dir, 't0.ini')}": not a PEM file; expected a PEM private key (-----BEGIN ...)`,
    );
    const mismatch = ini('adress = wss://127.0.0.1:0\ncertFile = tls/cert.pem\npkFile = tls/other-key.pem\n');
    const error = errorOf({ iniFile: mismatch });
    expect(error.code).toBe(ConfigErrorCode.TlsIncomplete);
    expect(error.message).toMatch(
      new RegExp(
        `^${escape(mismatch)}: certFile = ".*cert\\.pem", pkFile = ".*other-key\\.pem": not a matching PEM certificate and private key \\(.+\\)$`,
      ),
    );
  });

  it('ignores certFile and pkFile for a plain address', () => {
    expect(loadConfig({ iniFile: ini('adress = ws://127.0.0.1:0\ncertFile = tls/nope.pem\n') }).certFile).toBe(
      join(dir, 'tls', 'nope.pem'),
    );
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
