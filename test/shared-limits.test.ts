import type { IncomingMessage } from 'node:http';
import { loadConfig } from '../src/common/config';
import { TrustedProxies } from '../src/common/http/client-ip';
import { startTestApp, TestApp } from './support/app';
import { capturingLogger } from './support/log-lines';
import { redisServerAvailable, startRedis, TestRedis } from './support/redis';

const request = (peer: string, forwardedFor?: string) =>
  ({
    socket: { remoteAddress: peer },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  }) as unknown as IncomingMessage;

describe('client IP behind trusted proxies (TRUSTED_PROXIES)', () => {
  const proxies = new TrustedProxies(['10.0.0.0/8', '::1', '192.168.1.7']);

  it('believes X-Forwarded-For only from a trusted peer, reading it from the right', () => {
    expect(proxies.clientIp(request('203.0.113.9', '198.51.100.1'))).toBe('203.0.113.9');
    expect(proxies.clientIp(request('10.1.2.3', '198.51.100.1'))).toBe('198.51.100.1');
    expect(proxies.clientIp(request('::ffff:10.1.2.3', '198.51.100.1'))).toBe('198.51.100.1');
    // A client cannot choose its bucket by sending its own header: the proxies append after it.
    expect(proxies.clientIp(request('10.1.2.3', '1.1.1.1, 198.51.100.1, 192.168.1.7'))).toBe('198.51.100.1');
    expect(proxies.clientIp(request('::1', '10.0.0.2, 10.0.0.3'))).toBe('10.0.0.2');
    expect(proxies.clientIp(request('10.1.2.3', 'garbage, 10.0.0.4'))).toBe('10.0.0.4');
    expect(proxies.clientIp(request('10.1.2.3'))).toBe('10.1.2.3');
    expect(new TrustedProxies().clientIp(request('127.0.0.1', '198.51.100.1'))).toBe('127.0.0.1');
  });

  it('TRUSTED_PROXIES and REDIS_URL are validated', () => {
    expect(loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8, ::1' }).trustedProxies).toEqual(['10.0.0.0/8', '::1']);
    expect(loadConfig({}).trustedProxies).toEqual([]);
    expect(() => loadConfig({ TRUSTED_PROXIES: '10.0.0.0/33' })).toThrow(/TRUSTED_PROXIES must be IP addresses/);
    expect(() => loadConfig({ TRUSTED_PROXIES: 'proxy.local' })).toThrow(/TRUSTED_PROXIES must be IP addresses/);
    expect(() => loadConfig({ REDIS_URL: 'http://x' })).toThrow(/REDIS_URL must be a redis:/);
  });
});

async function statuses(app: TestApp, count: number, forwardedFor?: (i: number) => string): Promise<number[]> {
  const results: number[] = [];
  for (let i = 0; i < count; i++) {
    const response = await fetch(app.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(forwardedFor ? { 'x-forwarded-for': forwardedFor(i) } : {}),
      },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    await response.text();
    results.push(response.status);
  }
  return results;
}

const tally = (codes: number[]) => ({
  ok: codes.filter((c) => c === 200).length,
  limited: codes.filter((c) => c === 429).length,
});

if (!redisServerAvailable()) {
  // A fresh machine without Redis: these need a redis-server binary (CI installs redis-server).
  console.warn('shared-limits: redis-server is not on PATH; the tests of limits shared through Redis do not run here');
}
const withRedis = redisServerAvailable() ? describe : describe.skip;

withRedis('rate limits shared through Redis (REDIS_URL)', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());

  it('two processes hold the per-IP limit together; X-Forwarded-For counts only from a trusted proxy', async () => {
    const limits = { perIpPerMinute: 10 };
    const first = await startTestApp({ server: { redisUrl: redis.url, limits, trustedProxies: ['127.0.0.1'] } });
    const second = await startTestApp({ server: { redisUrl: redis.url, limits } });
    try {
      // Alternating between the two: 10 answered in all, the rest refused, wherever they land.
      const codes: number[] = [];
      for (let i = 0; i < 7; i++) codes.push(...(await statuses(first, 1)), ...(await statuses(second, 1)));
      expect(tally(codes)).toEqual({ ok: 10, limited: 4 });
      // Behind the trusted proxy each client has its own bucket...
      expect(tally(await statuses(first, 5, (i) => `198.51.100.${20 + i}`))).toEqual({ ok: 5, limited: 0 });
      // ...and on the untrusted one the header is ignored: still the loopback peer's bucket, spent.
      expect(tally(await statuses(second, 3, (i) => `198.51.100.${40 + i}`))).toEqual({ ok: 0, limited: 3 });
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('falls back to per-process counts, said once, when Redis is out of reach', async () => {
    const own = await startRedis();
    const { logger, lines } = capturingLogger();
    const app = await startTestApp({ logger, server: { redisUrl: own.url, limits: { perIpPerMinute: 3 } } });
    try {
      expect(tally(await statuses(app, 2))).toEqual({ ok: 2, limited: 0 });
      await own.stop();
      // The memory counts start from nothing: 3 more are answered, then the limit holds again.
      expect(tally(await statuses(app, 5))).toEqual({ ok: 3, limited: 2 });
      const warnings = lines.filter((line) => /Redis out of reach/.test(line.msg));
      expect(warnings).toHaveLength(1);
      const metrics = await (await fetch(app.url.replace(/\/graphql$/, '/metrics'))).text();
      expect(metrics).toMatch(/rate_limit_store\{store="memory"\} 1/);
      expect(metrics).toMatch(/rate_limit_fallbacks_total [1-9]/);
    } finally {
      await app.close();
      await own.stop();
    }
  });
});
