import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Write a self-signed certificate and key (PEM) made by openssl, valid for a day for localhost and 127.0.0.1. */
export function writeSelfSignedCert(certFile: string, pkFile: string, commonName = 'localhost'): void {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      pkFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      `/CN=${commonName}`,
    ].concat(commonName === 'localhost' ? ['-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'] : []),
    { stdio: 'ignore' },
  );
}

/** A self-signed certificate for localhost/127.0.0.1 in a temp dir. */
export function makeSelfSignedCert(): { certFile: string; pkFile: string; dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'websock-tls-'));
  const certFile = join(dir, 'cert.pem');
  const pkFile = join(dir, 'key.pem');
  writeSelfSignedCert(certFile, pkFile);
  return { certFile, pkFile, dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
