/**
 * Deployment settings from the environment, password redaction, and how stage errors cross
 * into BullMQ and back into the run summary (no Redis needed).
 */
import { UnrecoverableError } from "bullmq";
import { describe, expect, it } from "vitest";
import { ConfigError, TileReadError } from "../../src/core/errors.js";
import {
  assemblyJobId,
  connectionOptions,
  parseFailedReason,
  queueConfigFromEnv,
  redactRedisUrl,
  toJobError,
  windowJobId,
} from "../../src/queue/index.js";

describe("queue settings", () => {
  it("means in-process when REDIS_URL is unset, and defaults the prefix", () => {
    expect(queueConfigFromEnv({})).toBeNull();
    expect(queueConfigFromEnv({ REDIS_URL: "redis://h:6379" })).toEqual({
      redisUrl: "redis://h:6379",
      prefix: "patrol",
    });
    expect(
      queueConfigFromEnv({ REDIS_URL: "rediss://u:pw@h:6380/2", PATROL_QUEUE_PREFIX: "prov-15" }),
    ).toEqual({
      redisUrl: "rediss://u:pw@h:6380/2",
      prefix: "prov-15",
    });
  });

  it("refuses URLs and prefixes that cannot work, without echoing the password", () => {
    expect(() => queueConfigFromEnv({ REDIS_URL: "http://h" })).toThrow(ConfigError);
    expect(() => queueConfigFromEnv({ REDIS_URL: "redis://h", PATROL_QUEUE_PREFIX: "a:b" })).toThrow(
      ConfigError,
    );
    try {
      queueConfigFromEnv({ REDIS_URL: "not a url with s3cret" });
    } catch (e) {
      expect((e as Error).message).not.toContain("s3cret");
    }
  });

  it("redacts passwords in URLs it shows", () => {
    expect(redactRedisUrl("redis://:s3cret@h:6379/0")).toBe("redis://:***@h:6379/0");
    expect(redactRedisUrl("rediss://user:s3cret@h:6380")).toBe("rediss://user:***@h:6380");
    expect(redactRedisUrl("redis://h:6379")).toBe("redis://h:6379");
    expect(redactRedisUrl("::")).not.toContain("::");
  });

  it("gives workers connections that wait for Redis, and one-shot commands ones that fail fast", () => {
    const c = { redisUrl: "redis://h:6379", prefix: "p" };
    expect(connectionOptions(c, { name: "w" }).maxRetriesPerRequest).toBeNull();
    expect(connectionOptions(c, { name: "s", failFast: true }).maxRetriesPerRequest).toBe(1);
  });

  it("uses job ids without ':'", () => {
    expect(windowJobId("demo-2026-10", "r0c1")).toBe("demo-2026-10--r0c1");
    expect(assemblyJobId("demo-2026-10")).toBe("demo-2026-10--assemble");
  });
});

describe("stage errors in jobs", () => {
  it("makes bad input unrecoverable and I/O trouble retryable, keeping the error name", () => {
    const bad = toJobError(new TileReadError("a.tif", "truncated strip", true));
    expect(bad).toBeInstanceOf(UnrecoverableError);
    expect(parseFailedReason((bad as Error).message)).toEqual({
      errorName: "TileReadError",
      reason: "a.tif: truncated strip",
    });
    const flaky = toJobError(new TileReadError("a.tif", "EIO", false));
    expect(flaky).not.toBeInstanceOf(UnrecoverableError);
    expect((flaky as Error).message).toBe("TileReadError: a.tif: EIO");
    const bug = new TypeError("x is undefined");
    expect(toJobError(bug)).toBe(bug);
    expect(parseFailedReason("job stalled more than allowable limit")).toEqual({
      errorName: "Error",
      reason: "job stalled more than allowable limit",
    });
  });
});
