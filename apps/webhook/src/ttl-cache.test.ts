import { describe, expect, it } from "vitest";
import { cachedLookups } from "./kube.js";
import { TtlCache } from "./ttl-cache.js";
import { tableLookups } from "./test-support/harness.js";

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
    const values = await Promise.all([cache.getOrLoad("k", load), cache.getOrLoad("k", load), cache.getOrLoad("k", load)]);
    expect(values).toEqual([1, 1, 1]);
    expect(loads).toBe(1);
    await expect(cache.getOrLoad("bad", () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await cache.getOrLoad("bad", async () => 7)).toBe(7);
  });

  it("stays bounded whatever the number of keys", () => {
    const cache = new TtlCache<number>({ maxEntries: 100, ttlMs: 1000, now: () => 0 });
    for (let i = 0; i < 10_000; i++) cache.set(`k${i}`, i);
    expect(cache.size).toBe(100);
  });
});

describe("cachedLookups", () => {
  it("reads a namespace once per TTL and a ReplicaSet once for a burst of its pods", async () => {
    let now = 0;
    const table = tableLookups({
      namespaces: [{ name: "shop", annotations: { "linkerd.io/inject": "enabled" } }],
      replicaSets: [{ name: "web-1", namespace: "shop", ownerReferences: [] }],
      jobs: [],
    });
    const lookups = cachedLookups(table, { now: () => now, namespaceTtlMs: 5000 });
    await Promise.all(Array.from({ length: 50 }, () => lookups.replicaSet("shop", "web-1")));
    for (let i = 0; i < 10; i++) await lookups.namespace("shop");
    expect(table.calls).toEqual(["replicaset/shop/web-1", "namespace/shop"]);
    now = 5001;
    await lookups.namespace("shop");
    await lookups.replicaSet("shop", "web-1");
    expect(table.calls).toEqual(["replicaset/shop/web-1", "namespace/shop", "namespace/shop"]);
  });

  it("remembers a miss only briefly", async () => {
    let now = 0;
    const table = tableLookups({ namespaces: [], replicaSets: [], jobs: [] });
    const lookups = cachedLookups(table, { now: () => now, notFoundTtlMs: 1000 });
    expect(await lookups.job("ns", "j")).toBeNull();
    expect(await lookups.job("ns", "j")).toBeNull();
    now = 1000;
    expect(await lookups.job("ns", "j")).toBeNull();
    expect(table.calls).toEqual(["job/ns/j", "job/ns/j"]);
  });
});
