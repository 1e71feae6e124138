import { describe, expect, it } from "vitest";
import { startDeadline, type Budget } from "./deadline.js";
import { TtlCache } from "./ttl-cache.js";

describe("TtlCache", () => {
  it("evicts the least recently used entry beyond its size", () => {
    const cache = new TtlCache<number>({ maxEntries: 2, ttlMs: 1000, now: () => 0 });
    cache.set("a", 1);
    cache.set("b", 2);
    expect(cache.get("a")).toBe(1); // a is now the most recent
    cache.set("c", 3);
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")).toBe(1);
    expect(cache.get("c")).toBe(3);
    expect(cache.size).toBe(2);
  });

  it("expires entries after their TTL", () => {
    let now = 0;
    const cache = new TtlCache<string>({ maxEntries: 10, ttlMs: 100, now: () => now });
    cache.set("k", "v");
    now = 99;
    expect(cache.get("k")).toBe("v");
    now = 100;
    expect(cache.get("k")).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("shares one load among concurrent misses and does not cache failures", async () => {
    const cache = new TtlCache<number>({ maxEntries: 10, ttlMs: 1000, now: () => 0 });
    let loads = 0;
    const load = () => new Promise<number>((resolve) => setTimeout(() => resolve(++loads), 5));
    const values = await Promise.all([
      cache.getOrLoad("k", load),
      cache.getOrLoad("k", load),
      cache.getOrLoad("k", load),
    ]);
    expect(values).toEqual([1, 1, 1]);
    expect(loads).toBe(1);
    await expect(cache.getOrLoad("bad", () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await cache.getOrLoad("bad", async () => 7)).toBe(7);
  });

  it("serves an expired entry when the reload fails, only with keepStale", async () => {
    let now = 0;
    const cache = new TtlCache<string>({ maxEntries: 10, ttlMs: 100, now: () => now, keepStale: true });
    cache.set("k", "old");
    now = 200;
    const stale: unknown[] = [];
    const value = await cache.getOrLoad("k", () => Promise.reject(new Error("API down")), {
      onStale: (error) => stale.push((error as Error).message),
    });
    expect(value).toBe("old");
    expect(stale).toEqual(["API down"]);
    // Without onStale the failure is the caller's.
    await expect(cache.getOrLoad("k", () => Promise.reject(new Error("API down")))).rejects.toThrow("API down");

    const plain = new TtlCache<string>({ maxEntries: 10, ttlMs: 100, now: () => now });
    plain.set("k", "old");
    now = 400;
    await expect(
      plain.getOrLoad("k", () => Promise.reject(new Error("API down")), { onStale: () => undefined }),
    ).rejects.toThrow("API down");
  });

  it("lets a waiter leave at its deadline without cancelling the load for the others", async () => {
    const cache = new TtlCache<number>({ maxEntries: 10, ttlMs: 1000, now: () => 0 });
    let signal: AbortSignal | undefined;
    let finish: (value: number) => void = () => undefined;
    const load = (budget: Budget) => {
      signal = budget.signal;
      return new Promise<number>((resolve) => (finish = resolve));
    };
    const short = startDeadline(20, () => performance.now());
    const first = cache.getOrLoad("k", load, { budget: short });
    const second = cache.getOrLoad("k", load);
    await expect(first).rejects.toThrow("deadline of 20 ms exceeded");
    expect(signal?.aborted).toBe(false);
    finish(7);
    expect(await second).toBe(7);
  });

  it("aborts a load once every waiter has left", async () => {
    const cache = new TtlCache<number>({ maxEntries: 10, ttlMs: 1000, now: () => 0 });
    let signal: AbortSignal | undefined;
    const load = (budget: Budget) => {
      signal = budget.signal;
      return new Promise<number>(() => undefined);
    };
    const a = startDeadline(10, () => performance.now());
    const b = startDeadline(30, () => performance.now());
    const first = cache.getOrLoad("k", load, { budget: a });
    const second = cache.getOrLoad("k", load, { budget: b });
    await expect(first).rejects.toThrow();
    expect(signal?.aborted).toBe(false);
    await expect(second).rejects.toThrow();
    expect(signal?.aborted).toBe(true);
    // The abandoned load is not joined by the next caller.
    expect(await cache.getOrLoad("k", async () => 3)).toBe(3);
  });

  it("stays bounded whatever the number of keys", () => {
    const cache = new TtlCache<number>({ maxEntries: 100, ttlMs: 1000, now: () => 0 });
    for (let i = 0; i < 10_000; i++) cache.set(`k${i}`, i);
    expect(cache.size).toBe(100);
  });
});
