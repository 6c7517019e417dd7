/**
 * Where the queue lives: the Redis URL and the key prefix of a deployment, read once from the
 * environment. Passwords never reach a log: every URL shown goes through {@link redactRedisUrl}.
 */
import { ConfigError } from "../core/errors.js";

/** The deployment a queue command talks to. */
export interface QueueConfig {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS). */
  readonly redisUrl: string;
  /** Key prefix shared by every queue of one deployment (no `:`). */
  readonly prefix: string;
}

export const DEFAULT_QUEUE_PREFIX = "patrol";

/** The URL with its password (and username, if any) replaced by `***`, safe to log. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable Redis URL)";
  }
}

/**
 * Reads `REDIS_URL` and `PATROL_QUEUE_PREFIX`. Returns null when no Redis URL is set (the
 * in-process mode); throws a {@link ConfigError} for a URL or prefix that cannot work.
 */
export function queueConfigFromEnv(env: NodeJS.ProcessEnv = process.env): QueueConfig | null {
  const redisUrl = env.REDIS_URL?.trim();
  if (!redisUrl) return null;
  let protocol: string;
  try {
    protocol = new URL(redisUrl).protocol;
  } catch {
    throw new ConfigError("REDIS_URL", `not a URL: ${redactRedisUrl(redisUrl)}`);
  }
  if (protocol !== "redis:" && protocol !== "rediss:")
    throw new ConfigError("REDIS_URL", `expected redis:// or rediss://, got ${protocol}//`);
  const prefix = env.PATROL_QUEUE_PREFIX?.trim() || DEFAULT_QUEUE_PREFIX;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(prefix))
    throw new ConfigError("PATROL_QUEUE_PREFIX", `must be letters, digits, '.', '_' or '-' (got ${prefix})`);
  return { redisUrl, prefix };
}

/** Redis connection options for BullMQ (ioredis parses the URL, TLS included for rediss://). */
export interface RedisConnectionOptions {
  readonly url: string;
  readonly maxRetriesPerRequest: number | null;
  readonly enableOfflineQueue: boolean;
  readonly retryStrategy: (times: number) => number;
  readonly connectionName: string;
}

/**
 * Options for a long-lived connection (worker, run follower): commands wait for Redis to come
 * back instead of failing (`maxRetriesPerRequest: null`, as BullMQ requires for workers), and
 * reconnects back off up to 2 s. `failFast` is for one-shot commands such as `patrol status`.
 */
export function connectionOptions(
  config: QueueConfig,
  options: { name: string; failFast?: boolean },
): RedisConnectionOptions {
  return {
    url: config.redisUrl,
    maxRetriesPerRequest: options.failFast ? 1 : null,
    enableOfflineQueue: !options.failFast,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
    connectionName: `${config.prefix}-${options.name}`,
  };
}
