import { isIPv4, isIPv6 } from 'node:net';

/**
 * The key one client's sign-in attempts are counted under. An IPv4 address (also written as
 * IPv4-mapped IPv6) is one client; for IPv6 it is the /64 network, since one subscriber is usually
 * given a whole /64 and could otherwise take a fresh address for every attempt.
 */
export function clientKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped && isIPv4(mapped[1])) return mapped[1];
  if (!isIPv6(address)) return address;
  const [head, tail = ''] = address.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
