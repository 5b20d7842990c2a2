import { describe, expect, it } from 'vitest';
import { addressGroup, LOOPBACK_GROUP } from './address-group.js';

describe('addressGroup', () => {
  it('keeps IPv4 addresses (also IPv4-mapped ones) as they are', () => {
    expect(addressGroup('198.51.100.7')).toBe('198.51.100.7');
    expect(addressGroup('::ffff:198.51.100.7')).toBe('198.51.100.7');
  });

  it('puts every address of an IPv6 /64 in one group', () => {
    const group = addressGroup('2001:db8:1:2::1');
    expect(group).toBe('2001:db8:1:2::/64');
    expect(addressGroup('2001:0db8:0001:0002:ffff:eeee:dddd:cccc')).toBe(group);
    expect(addressGroup('2001:db8:1:3::1')).not.toBe(group);
    expect(addressGroup('::2')).toBe('0:0:0:0::/64');
  });

  it('takes other prefix lengths', () => {
    expect(addressGroup('2001:db8:1:2::1', 48)).toBe('2001:db8:1::/48');
    expect(addressGroup('2001:db8:1:2::1', 56)).toBe('2001:db8:1:0::/56');
    expect(addressGroup('2001:db8:1:2ff::1', 56)).toBe('2001:db8:1:200::/56');
    expect(addressGroup('2001:db8::1', 128)).toBe('2001:db8::1');
  });

  it('counts every loopback address as one client', () => {
    for (const ip of ['127.0.0.1', '127.0.0.2', '127.255.1.9', '::ffff:127.0.0.3', '::1']) expect(addressGroup(ip)).toBe(LOOPBACK_GROUP);
    expect(addressGroup('128.0.0.1')).toBe('128.0.0.1');
  });
});
