import { BoundedMemo } from '@evently/common';

// Django's host syntax (a name or IPv4 of letters, digits, dots and hyphens, or a bracketed IPv6), so
// the hosts the original API accepted are the hosts this one accepts.
const HOST = /^([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(?::(\d{1,5}))?$/i;

/** The host name of a well-formed `Host` value (without its port), or null for a malformed one. */
export function parseHost(value: string | undefined): string | null {
  const match = HOST.exec(value ?? '');
  if (!match) return null;
  const [, hostname, port] = match;
  if (port !== undefined && Number(port) > 65_535) return null;
  return hostname.toLowerCase().replace(/\.$/, '');
}

/** Whether a host name matches ALLOWED_HOSTS: `*`, an exact name, or `.example.com` for it and its subdomains. */
export function isAllowedHost(hostname: string, allowed: string[]): boolean {
  if (allowed.includes('*')) return true;
  return allowed.some((pattern) => {
    const entry = pattern.toLowerCase();
    return entry.startsWith('.') ? hostname === entry.slice(1) || hostname.endsWith(entry) : hostname === entry;
  });
}

/** Most Host values a {@link HostCheck} remembers; the oldest are forgotten first, so odd Hosts cannot grow it. */
const REMEMBERED_HOSTS = 64;

/**
 * Whether a `Host` value is well formed and allowed by ALLOWED_HOSTS. Clients send the same few values, so each
 * verdict is remembered rather than parsed again on every request.
 */
export class HostCheck {
  private readonly verdicts = new BoundedMemo<string, boolean>(REMEMBERED_HOSTS);

  constructor(private readonly allowed: string[]) {}

  allows(value: string | undefined): boolean {
    return this.verdicts.remember(value ?? '', () => {
      const hostname = parseHost(value);
      return hostname !== null && isAllowedHost(hostname, this.allowed);
    });
  }
}
