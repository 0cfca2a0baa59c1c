import { HostCheck, isAllowedHost, parseHost } from './host-header';

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

  it('gives the same verdict as parsing, whatever it has seen before', () => {
    const check = new HostCheck(allowed);
    const values = Array.from({ length: 300 }, (_, i) =>
      i % 3 === 0 ? `host-${i}.example.com` : i % 3 === 1 ? `other-${i}.test` : `localhost:${i}`,
    );
    for (const value of [...values, ...values.reverse()]) {
      const hostname = parseHost(value);
      expect(check.allows(value)).toBe(hostname !== null && isAllowedHost(hostname, allowed));
    }
  });
});
