import { isIP } from 'node:net';

const NONE = ['', 'false', 'no', 'off', '0'];
const EVERY_HOP = ['true', 'yes', 'on', '1'];
/** proxy-addr's names for address ranges. */
const RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** TRUST_PROXY's forms: false, true, or the proxies' addresses, CIDR ranges or range names, comma-separated. */
export function isTrustProxy(value: unknown): boolean {
  return typeof value === 'string' && trustProxy(value) !== undefined;
}

/**
 * Fastify's `trustProxy`: the proxies whose `X-Forwarded-For` entries are believed, so the client is the nearest
 * address that is not one of them. `true` believes every entry, so the client is whatever it wrote first: right
 * only behind a proxy that overwrites the header. `undefined` for a value of none of {@link isTrustProxy}'s forms.
 */
export function trustProxy(value: string): boolean | string[] | undefined {
  const text = value.trim().toLowerCase();
  if (NONE.includes(text)) return false;
  if (EVERY_HOP.includes(text)) return true;
  const proxies = text.split(',').map((entry) => entry.trim());
  return proxies.every(isProxy) ? proxies : undefined;
}

/** What Fastify's proxy-addr takes: an address without a zone, or a range of at least one prefix bit (`true` is all). */
function isProxy(entry: string): boolean {
  const [address, bits, ...rest] = entry.split('/');
  if (rest.length > 0) return false;
  if (RANGE_NAMES.includes(address)) return bits === undefined;
  const version = isIP(address);
  if (version === 0 || address.includes('%')) return false;
  return (
    bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) >= 1 && Number(bits) <= (version === 4 ? 32 : 128))
  );
}
