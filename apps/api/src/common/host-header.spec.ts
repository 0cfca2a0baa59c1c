import { BoundedMemo } from '@evently/common';

import { HostCheck, isAllowedHost, parseHost } from './host-header';

/** The verdicts a check holds, for the specs of its memory; not part of its interface. */
const remembered = (check: HostCheck) => [
  ...(check as unknown as { verdicts: BoundedMemo<string, boolean> }).verdicts.entries(),
];

describe('HostCheck', () => {
  const allowed = ['localhost', '.example.com'];

  it('allows the hosts ALLOWED_HOSTS names, with or without a port, and refuses others', () => {
    const check = new HostCheck(allowed);
    for (let pass = 0; pass < 2; pass++) {
      expect(check.allows('localhost:3000')).toBe(true);
      expect(check.allows('api.example.com')).toBe(true);
      expect(check.allows('evil.test')).toBe(false);
      expect(check.allows('localhost:99999')).toBe(false);
      expect(check.allows(undefined)).toBe(false);
      expect(check.allows('')).toBe(false);
    }
  });

  it('allows a domain and its subdomains for `.example.com`, not a name that merely ends the same way', () => {
    const check = new HostCheck(allowed);
    expect(check.allows('example.com')).toBe(true);
    expect(check.allows('a.b.example.com:8443')).toBe(true);
    expect(check.allows('evilexample.com')).toBe(false);
    expect(check.allows('example.com.evil.test')).toBe(false);
  });

  it('reads a fully qualified name (a trailing dot) as the name itself, as Django does', () => {
    const check = new HostCheck(allowed);
    expect(check.allows('localhost.')).toBe(true);
    expect(check.allows('api.example.com.:443')).toBe(true);
  });

  it('remembers refusals as well as allowances, each under the exact value sent', () => {
    const check = new HostCheck(allowed);
    check.allows('localhost:3000');
    check.allows('evil.test');
    check.allows('evil.test');
    expect(remembered(check)).toEqual([
      ['localhost:3000', true],
      ['evil.test', false],
    ]);
  });

  it('keeps each check to its own ALLOWED_HOSTS', () => {
    const onlyA = new HostCheck(['a.test']);
    const onlyB = new HostCheck(['b.test']);
    expect(onlyA.allows('a.test')).toBe(true);
    expect(onlyB.allows('a.test')).toBe(false);
    expect(onlyB.allows('b.test')).toBe(true);
    expect(onlyA.allows('b.test')).toBe(false);
  });

  it('holds at most 64 values, however many different ones arrive, and still judges each as parsing does', () => {
    const check = new HostCheck(allowed);
    const values = Array.from({ length: 300 }, (_, i) =>
      i % 3 === 0 ? `host-${i}.example.com` : i % 3 === 1 ? `other-${i}.test` : `localhost:${i}`,
    );
    for (const value of [...values, ...values.reverse()]) {
      const hostname = parseHost(value);
      expect(check.allows(value)).toBe(hostname !== null && isAllowedHost(hostname, allowed));
      expect(remembered(check).length).toBeLessThanOrEqual(64);
    }
    expect(remembered(check).length).toBeGreaterThan(0);
  });
});
