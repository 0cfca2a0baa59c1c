import { ipLimitScope } from './login-throttle.service';

describe('ipLimitScope: what the per-IP login limit counts by', () => {
  it.each([
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:3:4:192.0.2.1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:db8::', '2001:db8:0:0::/64'],
    ['1::2:3:4:5:6:7', '1:0:2:3::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
  ])('counts the IPv6 address %s by its /64, %s', (ip, scope) => {
    expect(ipLimitScope(ip)).toBe(scope);
  });

  it('counts two addresses of one /64 together, and neighbouring /64s apart', () => {
    expect(ipLimitScope('2001:db8:1:2::a')).toBe(ipLimitScope('2001:db8:1:2:8000::b'));
    expect(ipLimitScope('2001:db8:1:2::a')).not.toBe(ipLimitScope('2001:db8:1:3::a'));
  });

  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['::FFFF:c000:201', '192.0.2.1'],
    ['0:0:0:0:0:ffff:192.0.2.255', '192.0.2.255'],
  ])('counts the IPv4 (or IPv4-mapped) address %s on its own, as %s', (ip, scope) => {
    expect(ipLimitScope(ip)).toBe(scope);
  });

  it('counts neighbouring IPv4 addresses apart', () => {
    expect(ipLimitScope('::ffff:192.0.2.1')).not.toBe(ipLimitScope('192.0.2.2'));
  });

  it('counts anything that is not an address as it is written', () => {
    expect(ipLimitScope('unknown')).toBe('unknown');
  });
});
