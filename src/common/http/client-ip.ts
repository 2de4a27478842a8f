/**
 * The client's IP address. Behind a load balancer every request comes from the balancer, so the
 * address is taken from X-Forwarded-For, but only when the socket peer is one of the configured
 * trusted proxies (TRUSTED_PROXIES): anyone else could write any address there. Each proxy appends
 * the address it received from, so the list is read from the right, skipping trusted proxies; the
 * first address that is not one is the client's (the ones left of it are the client's own claims).
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/** An IPv4 address as an IPv6 socket reports it (::ffff:10.0.0.1) is the IPv4 address. */
function normalized(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1] : address;
}

/** One TRUSTED_PROXIES entry (an address or a CIDR block) as a BlockList rule; null where it is neither. */
function parseEntry(entry: string): { address: string; prefix?: number; family: 'ipv4' | 'ipv6' } | null {
  const [address, prefixText, ...rest] = entry.trim().split('/');
  const version = isIP(address);
  if (!version || rest.length > 0) return null;
  const family = version === 4 ? 'ipv4' : 'ipv6';
  if (prefixText === undefined) return { address, family };
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > (version === 4 ? 32 : 128)) return null;
  return { address, prefix: Number(prefixText), family };
}

/** The entries of a TRUSTED_PROXIES list that are neither an IP address nor a CIDR block. */
export function invalidProxyEntries(entries: string[]): string[] {
  return entries.filter((entry) => parseEntry(entry) === null);
}

const resolved = Symbol('client IP');

export class TrustedProxies {
  private readonly list = new BlockList();
  private readonly count: number;

  /** `entries`: IP addresses and CIDR blocks (`10.0.0.0/8`, `::1`); none trusts no one. */
  constructor(entries: string[] = []) {
    for (const entry of entries) {
      const rule = parseEntry(entry);
      if (!rule) throw new Error(`Not an IP address or CIDR block: ${JSON.stringify(entry)}`);
      if (rule.prefix === undefined) this.list.addAddress(rule.address, rule.family);
      else this.list.addSubnet(rule.address, rule.prefix, rule.family);
    }
    this.count = entries.length;
  }

  trusts(address: string): boolean {
    if (this.count === 0) return false;
    const plain = normalized(address);
    const version = isIP(plain);
    return version !== 0 && this.list.check(plain, version === 4 ? 'ipv4' : 'ipv6');
  }

  /** The client's address (computed once per request). */
  clientIp(req: IncomingMessage): string {
    const request = req as IncomingMessage & { [resolved]?: string };
    return (request[resolved] ??= this.resolve(req));
  }

  private resolve(req: IncomingMessage): string {
    let client = normalized(req.socket.remoteAddress ?? 'unknown');
    if (!this.trusts(client)) return client;
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((hop) => hop.trim())
      .filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = normalized(hops[i]);
      // Garbage in the chain: nothing left of it can be believed, the last proxy's peer stands.
      if (!isIP(hop)) return client;
      client = hop;
      if (!this.trusts(hop)) return hop;
    }
    return client;
  }
}
