import { describe, expect, it } from "vitest";
import { startDeadline } from "./deadline.js";
import { clusterLookups, LookupError, type KubeLookups, type ObjectMeta } from "./kube.js";
import { NamespaceStore } from "./namespace-watch.js";
import { tableLookups, type ClusterState } from "./test-support/harness.js";

const ENABLED = { "linkerd.io/inject": "enabled" };

/** A store as the watch leaves it after listing `namespaces`. */
function watched(namespaces: ObjectMeta[], listResourceVersion = "100"): NamespaceStore {
  const store = new NamespaceStore();
  store.replace(namespaces, listResourceVersion);
  return store;
}

/** The API's view: what direct GETs return. The watch may lag behind it. */
function api(state: ClusterState): KubeLookups & { calls: string[] } {
  return tableLookups(state);
}

describe("clusterLookups: namespaces", () => {
  it("serves namespaces the watch has seen without asking the API", async () => {
    const direct = api({ namespaces: [], replicaSets: [], jobs: [] });
    const lookups = clusterLookups({
      direct,
      namespaces: watched([{ name: "shop", annotations: ENABLED }]),
      now: () => 0,
    });
    for (let i = 0; i < 5; i++) expect((await lookups.namespace("shop"))?.annotations).toEqual(ENABLED);
    expect(direct.calls).toEqual([]);
  });

  it("sees an annotation made just before a rollout restart, though the watch has not delivered it yet", async () => {
    // `kubectl annotate ns shop linkerd.io/inject=enabled && kubectl rollout restart deploy/web`: the API has the
    // annotation and the new ReplicaSet; the watch still has the namespace as it was.
    const direct = api({
      namespaces: [{ name: "shop", resourceVersion: "120", annotations: ENABLED }],
      replicaSets: [
        {
          name: "web-new",
          namespace: "shop",
          ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name: "web", uid: "d" }],
        },
      ],
      jobs: [],
    });
    const store = watched([{ name: "shop", resourceVersion: "100", annotations: {} }]);
    let now = 0;
    const lookups = clusterLookups({ direct, namespaces: store, now: () => now });

    // The first pod of the new ReplicaSet: its owner is read from the API, then its namespace is read through.
    now = 10;
    expect((await lookups.replicaSet("shop", "web-new"))?.ownerReferences?.[0]?.name).toBe("web");
    expect((await lookups.namespace("shop"))?.annotations).toEqual(ENABLED);
    // The read is merged into the store: the other pods of the ReplicaSet get it from there, with no more GETs.
    now = 20;
    for (let i = 0; i < 5; i++) {
      await lookups.replicaSet("shop", "web-new");
      expect((await lookups.namespace("shop"))?.annotations).toEqual(ENABLED);
    }
    expect(direct.calls).toEqual(["replicaset/shop/web-new", "namespace/shop"]);
    expect(store.get("shop")?.resourceVersion).toBe("120");
  });

  it("shares one read of the namespace among the concurrent pods of a new ReplicaSet", async () => {
    const state: ClusterState = {
      namespaces: [{ name: "shop", resourceVersion: "120", annotations: ENABLED }],
      replicaSets: [{ name: "web-new", namespace: "shop", ownerReferences: [] }],
      jobs: [],
    };
    const direct = api(state);
    const slow: KubeLookups = {
      ...direct,
      namespace: (name, options) =>
        new Promise((resolve) => setTimeout(() => resolve(direct.namespace(name, options)), 20)),
    };
    const lookups = clusterLookups({
      direct: slow,
      namespaces: watched([{ name: "shop", resourceVersion: "100" }]),
      now: () => 0,
    });
    const pods = await Promise.all(
      Array.from({ length: 30 }, async () => {
        await lookups.replicaSet("shop", "web-new");
        return lookups.namespace("shop");
      }),
    );
    expect(pods.every((ns) => ns?.annotations?.["linkerd.io/inject"] === "enabled")).toBe(true);
    expect(direct.calls).toEqual(["replicaset/shop/web-new", "namespace/shop"]);
  });

  it("never goes back to an older copy: a late watch event does not undo a fresher read", () => {
    const store = watched([{ name: "shop", resourceVersion: "100", annotations: {} }]);
    store.merge("shop", { name: "shop", resourceVersion: "120", annotations: ENABLED });
    store.apply("MODIFIED", { name: "shop", resourceVersion: "110", annotations: { old: "yes" } });
    expect(store.get("shop")?.annotations).toEqual(ENABLED);
    store.apply("MODIFIED", { name: "shop", resourceVersion: "130", annotations: {} });
    expect(store.get("shop")?.annotations).toEqual({});
    // A stale read is not merged either.
    store.merge("shop", { name: "shop", resourceVersion: "125", annotations: ENABLED });
    expect(store.get("shop")?.resourceVersion).toBe("130");
  });

  it("falls back to the watch's copy when the read fails, and says so", async () => {
    const direct = api({
      namespaces: [],
      replicaSets: [{ name: "web-new", namespace: "shop", ownerReferences: [] }],
      jobs: [],
    });
    direct.namespace = () =>
      Promise.reject(new LookupError("server_error", 'failed to get namespace "shop": 503 etcd leader changed'));
    const lookups = clusterLookups({
      direct,
      namespaces: watched([{ name: "shop", annotations: ENABLED }]),
      now: () => 0,
    });
    await lookups.replicaSet("shop", "web-new");
    const notes: string[] = [];
    expect((await lookups.namespace("shop", { note: (m) => notes.push(m) }))?.annotations).toEqual(ENABLED);
    expect(notes).toEqual([
      'namespace "shop": using the watch\'s copy: failed to get namespace "shop": 503 etcd leader changed',
    ]);
    // One attempt per new owner: the next review uses the watch without trying again.
    expect((await lookups.namespace("shop"))?.annotations).toEqual(ENABLED);
    expect(notes).toHaveLength(1);
  });

  it("answers with the watch's copy before the deadline when the read hangs", async () => {
    const direct = api({
      namespaces: [],
      replicaSets: [{ name: "web-new", namespace: "shop", ownerReferences: [] }],
      jobs: [],
    });
    let aborted = false;
    direct.namespace = (_name, options) =>
      new Promise((_resolve, reject) => {
        options?.budget?.signal.addEventListener("abort", () => {
          aborted = true;
          reject(options.budget?.signal.reason);
        });
      });
    const lookups = clusterLookups({
      direct,
      namespaces: watched([{ name: "shop", annotations: ENABLED }]),
      now: () => performance.now(),
    });
    await lookups.replicaSet("shop", "web-new");
    const deadline = startDeadline(200, () => performance.now());
    try {
      expect((await lookups.namespace("shop", { budget: deadline }))?.annotations).toEqual(ENABLED);
      expect(aborted).toBe(true);
      expect(deadline.signal.aborted).toBe(false);
    } finally {
      deadline.dispose();
    }
  });

  it("reads a namespace the watch does not know from the API, and fails with the API's cause", async () => {
    const direct = api({ namespaces: [{ name: "new", annotations: ENABLED }], replicaSets: [], jobs: [] });
    const unsynced = new NamespaceStore();
    const lookups = clusterLookups({ direct, namespaces: unsynced, now: () => 0 });
    expect((await lookups.namespace("new"))?.annotations).toEqual(ENABLED);
    expect(await lookups.namespace("gone")).toBeNull();
    direct.namespace = () => Promise.reject(new LookupError("throttled", 'failed to get namespace "x": 429 slow down'));
    await expect(lookups.namespace("x")).rejects.toMatchObject({ reason: "throttled" });
  });
});

describe("clusterLookups: owners", () => {
  it("reads a ReplicaSet once for a burst of its pods", async () => {
    const direct = api({
      namespaces: [],
      replicaSets: [{ name: "web-1", namespace: "shop", ownerReferences: [] }],
      jobs: [],
    });
    const lookups = clusterLookups({ direct, now: () => 0 });
    await Promise.all(Array.from({ length: 50 }, () => lookups.replicaSet("shop", "web-1")));
    expect(direct.calls).toEqual(["replicaset/shop/web-1"]);
  });

  it("remembers a miss only briefly", async () => {
    let now = 0;
    const direct = api({ namespaces: [], replicaSets: [], jobs: [] });
    const lookups = clusterLookups({ direct, now: () => now, notFoundTtlMs: 1000 });
    expect(await lookups.job("ns", "j")).toBeNull();
    expect(await lookups.job("ns", "j")).toBeNull();
    now = 1000;
    expect(await lookups.job("ns", "j")).toBeNull();
    expect(direct.calls).toEqual(["job/ns/j", "job/ns/j"]);
  });

  it("serves an expired owner when the API fails, and says so", async () => {
    let now = 0;
    const direct = api({
      namespaces: [],
      replicaSets: [{ name: "web-1", namespace: "shop", ownerReferences: [] }],
      jobs: [],
    });
    const lookups = clusterLookups({ direct, now: () => now, ownerTtlMs: 1000 });
    await lookups.replicaSet("shop", "web-1");
    now = 5000;
    direct.replicaSet = () =>
      Promise.reject(new LookupError("unreachable", "failed to get replicaset shop/web-1: connect ECONNREFUSED"));
    const notes: string[] = [];
    expect((await lookups.replicaSet("shop", "web-1", { note: (m) => notes.push(m) }))?.name).toBe("web-1");
    expect(notes).toEqual([
      "replicaset shop/web-1: using the copy cached earlier: failed to get replicaset shop/web-1: connect ECONNREFUSED",
    ]);
    // Nothing cached: the failure is the caller's (resolveOwner turns it into "no owner label").
    direct.job = () => Promise.reject(new LookupError("unreachable", "failed to get job shop/j: connect ECONNREFUSED"));
    await expect(lookups.job("shop", "j")).rejects.toMatchObject({ reason: "unreachable" });
  });
});
