/**
 * The per-IP and per-actor rate limits. In one process they are counted in memory (RateLimiter);
 * with REDIS_URL every process counts in the same Redis (rate-limiter-flexible), so N processes
 * behind a load balancer hold the configured limit together instead of N times it. When Redis
 * cannot be reached, each process counts in its own memory until it can again: said once in the
 * log (warn) and in /metrics (rate_limit_store), never a refused or failed request.
 */
import { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimiter } from './abuse-limits';
import { Logger, processLogger } from './http/logging';
import { processMetrics } from './http/metrics';

/** Seconds to wait when over the limit, else 0; a promise where the count is kept elsewhere. */
export interface RequestLimiter {
  hit(key: string): number | Promise<number>;
}

export interface RateLimits {
  ip: RequestLimiter;
  actor: RequestLimiter;
  /** Where counts are kept right now: Redis, or this process's memory (no REDIS_URL, or Redis out of reach). */
  store(): 'redis' | 'memory';
  close(): Promise<void>;
}

/** A command taking longer than this counts as Redis out of reach (the request is not held up). */
const REDIS_COMMAND_TIMEOUT_MS = 500;

export function createRateLimits(options: {
  perIpPerMinute: number;
  perActorPerMinute: number;
  redisUrl?: string;
  logger?: Logger;
}): RateLimits {
  const memoryIp = new RateLimiter(options.perIpPerMinute);
  const memoryActor = new RateLimiter(options.perActorPerMinute);
  if (!options.redisUrl) {
    return { ip: memoryIp, actor: memoryActor, store: () => 'memory', close: async () => {} };
  }
  const log = options.logger ?? processLogger();
  const redis = new Redis(options.redisUrl, {
    // Fail at once while disconnected (the memory counts take over) instead of queueing commands.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  let store: 'redis' | 'memory' = 'redis';
  const setStore = (next: 'redis' | 'memory', error?: unknown) => {
    if (next === store) return;
    store = next;
    processMetrics.rateLimitStore.set({ store: 'redis' }, next === 'redis' ? 1 : 0);
    processMetrics.rateLimitStore.set({ store: 'memory' }, next === 'memory' ? 1 : 0);
    if (next === 'memory') {
      const reason = error instanceof Error ? error.message : String(error);
      log.warn({ reason }, 'Redis out of reach: rate limits are counted per process until it answers again');
    } else {
      log.info('Redis answers again: rate limits are shared by all processes');
    }
  };
  processMetrics.rateLimitStore.set({ store: 'redis' }, 1);
  processMetrics.rateLimitStore.set({ store: 'memory' }, 0);
  // ioredis reports every failed reconnect; the fallback says it once.
  redis.on('error', (error) => setStore('memory', error));

  const shared = (prefix: string, perMinute: number, fallback: RateLimiter): RequestLimiter => {
    const limiter = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `credit-easy-loan:rate:${prefix}`,
      points: perMinute,
      duration: 60,
      rejectIfRedisNotReady: true,
    });
    return {
      async hit(key) {
        try {
          await limiter.consume(key);
          setStore('redis');
          return 0;
        } catch (outcome) {
          if (outcome instanceof RateLimiterRes) {
            setStore('redis');
            return Math.max(1, Math.ceil(outcome.msBeforeNext / 1000));
          }
          setStore('memory', outcome);
          processMetrics.rateLimitFallbacks.inc();
          return fallback.hit(key);
        }
      },
    };
  };
  return {
    ip: shared('ip', options.perIpPerMinute, memoryIp),
    actor: shared('actor', options.perActorPerMinute, memoryActor),
    store: () => store,
    close: async () => {
      redis.disconnect();
    },
  };
}
