import { describe, expect, it } from 'vitest';
import { routingKey, UuidSigner } from './uuid-signer.js';

describe('UuidSigner', () => {
  it('verifies the ids it issued, again and again, and refuses others', () => {
    const signer = new UuidSigner('secret');
    const signed = signer.issue();
    const bare = routingKey(signed);
    for (let i = 0; i < 3; i++) expect(signer.verify(signed)).toBe(bare);
    expect(signer.verify(`${bare}.${'0'.repeat(32)}`)).toBeNull();
    expect(signer.verify(bare)).toBeNull();
    expect(new UuidSigner('another secret').verify(signed)).toBeNull();
  });

  it('still verifies when more ids than it remembers come and go', () => {
    const signer = new UuidSigner('secret');
    const ids = Array.from({ length: 3000 }, () => signer.issue());
    for (const id of ids) expect(signer.verify(id)).toBe(routingKey(id));
    // Tampered after it was verified once: the memory is keyed by the whole signed text.
    const first = ids[0]!;
    expect(signer.verify(`${first.slice(0, -1)}${first.endsWith('0') ? '1' : '0'}`)).toBeNull();
    expect(signer.verify(first)).toBe(routingKey(first));
  });
});
