import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { createKubeApi } from "./kube-client.js";
import { compareResourceVersions, NamespaceStore, NamespaceWatch } from "./namespace-watch.js";
import { sendJson, startStandInApi, until, type SeenRequest, type StandInApi } from "./test-support/stand-in-api.js";

const quiet = { info: () => undefined, warn: () => undefined };

function ns(
  name: string,
  resourceVersion: string,
  annotations: Record<string, string> = {},
  labels: Record<string, string> = {},
) {
  return {
    kind: "PartialObjectMetadata",
    apiVersion: "meta.k8s.io/v1",
    metadata: {
      name,
      resourceVersion,
      uid: `${name}-uid`,
      annotations,
      labels,
      managedFields: [{ manager: "kubectl", operation: "Update" }],
      creationTimestamp: "2026-01-01T00:00:00Z",
    },
  };
}

function list(resourceVersion: string, items: unknown[], next = "") {
  return {
    kind: "PartialObjectMetadataList",
    apiVersion: "meta.k8s.io/v1",
    metadata: { resourceVersion, ...(next !== "" ? { continue: next } : {}) },
    items,
  };
}

function event(res: ServerResponse, type: string, object: unknown): void {
  res.write(`${JSON.stringify({ type, object })}\n`);
}

const isList = (r: SeenRequest) => r.url.pathname === "/api/v1/namespaces" && r.url.searchParams.get("watch") === null;
const isWatch = (r: SeenRequest) => r.url.searchParams.get("watch") === "1";

let api: StandInApi | undefined;
let watch: NamespaceWatch | undefined;

afterEach(async () => {
  await watch?.stop();
  await api?.close();
  watch = undefined;
  api = undefined;
});

/**
 * A stand-in whose list answers `lists[i]` for the i-th list, and whose watches are handed to the test to drive.
 */
async function standIn(lists: unknown[]) {
  const watches: ServerResponse[] = [];
  let listed = 0;
  api = await startStandInApi((_req, res, seen) => {
    if (isWatch(seen)) {
      res.writeHead(200, { "content-type": "application/json" });
      res.flushHeaders();
      watches.push(res);
      return;
    }
    sendJson(res, 200, lists[Math.min(listed++, lists.length - 1)]);
  });
  return { api, watches };
}

function start(server: StandInApi, options: { now?: () => number; resyncMs?: number } = {}) {
  watch = new NamespaceWatch({
    api: createKubeApi({ server: server.url }),
    log: quiet,
    now: options.now ?? (() => performance.now()),
    resyncMs: options.resyncMs ?? 300_000,
    minBackoffMs: 5,
    maxBackoffMs: 20,
  });
  watch.start();
  return watch;
}

describe("NamespaceWatch", () => {
  it("lists namespace metadata, then applies watch events from the list's resourceVersion, keeping only name, annotations, labels and resourceVersion", async () => {
    const { api: server, watches } = await standIn([list("10", [ns("a", "5"), ns("c", "7", { x: "1" })])]);
    const w = start(server);
    expect(await w.whenSynced(20_000)).toBe(true);
    const stream = await until("the watch", () => watches[0]);
    const watchRequest = server.requests.find(isWatch) as SeenRequest;
    expect(watchRequest.url.searchParams.get("resourceVersion")).toBe("10");
    expect(watchRequest.url.searchParams.get("allowWatchBookmarks")).toBe("true");
    expect(watchRequest.headers["accept"]).toMatch(/^application\/json;as=PartialObjectMetadata;g=meta\.k8s\.io;v=v1/);
    expect(server.requests.find(isList)?.headers["accept"]).toMatch(
      /^application\/json;as=PartialObjectMetadataList;g=meta\.k8s\.io;v=v1/,
    );

    event(stream, "ADDED", ns("b", "11", {}, { team: "shop" }));
    event(stream, "MODIFIED", ns("a", "12", { "linkerd.io/inject": "enabled" }));
    event(stream, "DELETED", ns("c", "13"));
    event(stream, "BOOKMARK", { kind: "PartialObjectMetadata", metadata: { resourceVersion: "20" } });
    await until("the bookmark", () => w.store.resourceVersion === "20");
    expect(w.store.get("a")).toEqual({
      name: "a",
      resourceVersion: "12",
      annotations: { "linkerd.io/inject": "enabled" },
      labels: {},
    });
    expect(w.store.get("b")).toEqual({ name: "b", resourceVersion: "11", annotations: {}, labels: { team: "shop" } });
    expect(w.store.get("c")).toBeUndefined();
    expect(w.store.size).toBe(2);
  });

  it("watches again from the last resourceVersion when the stream closes, without listing again", async () => {
    const { api: server, watches } = await standIn([list("10", [ns("a", "5")])]);
    const w = start(server);
    const first = await until("the first watch", () => watches[0]);
    event(first, "MODIFIED", ns("a", "15", { v: "1" }));
    first.end();
    const second = await until("the second watch", () => watches[1]);
    expect(server.requests.filter(isWatch)[1]?.url.searchParams.get("resourceVersion")).toBe("15");
    event(second, "MODIFIED", ns("a", "16", { v: "2" }));
    await until("the event on the new stream", () => w.store.get("a")?.annotations?.["v"] === "2");
    expect(server.requests.filter(isList)).toHaveLength(1);
  });

  it("lists again when the API says 410 Gone, as a status or as an ERROR event", async () => {
    let watchCount = 0;
    let listCount = 0;
    const lists = [
      list("10", [ns("a", "5")]),
      list("30", [ns("a", "25", { v: "relisted" })]),
      list("40", [ns("a", "35", { v: "again" })]),
    ];
    api = await startStandInApi((_req, res, seen) => {
      if (!isWatch(seen)) {
        sendJson(res, 200, lists[Math.min(listCount++, lists.length - 1)]);
        return;
      }
      watchCount++;
      if (watchCount === 1) {
        sendJson(res, 410, {
          kind: "Status",
          code: 410,
          reason: "Expired",
          message: "too old resource version: 10 (20)",
        });
      } else if (watchCount === 2) {
        res.writeHead(200, { "content-type": "application/json" });
        event(res, "ERROR", {
          kind: "Status",
          code: 410,
          reason: "Expired",
          message: "too old resource version: 30 (31)",
        });
      } else {
        res.writeHead(200, { "content-type": "application/json" });
        res.flushHeaders();
      }
    });
    const w = start(api);
    await until("three lists", () => listCount >= 3 && watchCount >= 3);
    expect(w.store.get("a")?.annotations).toEqual({ v: "again" });
    const order = api.requests.map((r) => (isWatch(r) ? `watch@${r.url.searchParams.get("resourceVersion")}` : "list"));
    expect(order.slice(0, 6)).toEqual(["list", "watch@10", "list", "watch@30", "list", "watch@40"]);
  });

  it("backs off and retries when the API fails, keeping the namespaces it has", async () => {
    let failures = 0;
    api = await startStandInApi((_req, res, seen) => {
      if (!isWatch(seen)) {
        sendJson(res, 200, list("10", [ns("a", "5", { "linkerd.io/inject": "enabled" })]));
        return;
      }
      if (failures < 3) {
        failures++;
        sendJson(res, 500, { kind: "Status", code: 500, message: "etcdserver: leader changed" });
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.flushHeaders();
    });
    const w = start(api);
    await until("a watch after three failures", () => api?.requests.filter(isWatch).length === 4);
    expect(w.store.get("a")?.annotations).toEqual({ "linkerd.io/inject": "enabled" });
    // Failed watches resume from where they were: no new list.
    expect(api.requests.filter(isList)).toHaveLength(1);
  });

  it("keeps retrying the first list until it succeeds, and reports it synced then", async () => {
    let attempts = 0;
    api = await startStandInApi((_req, res, seen) => {
      if (isWatch(seen)) {
        res.writeHead(200, { "content-type": "application/json" });
        res.flushHeaders();
        return;
      }
      attempts++;
      if (attempts < 3)
        sendJson(res, 403, {
          kind: "Status",
          code: 403,
          message: 'namespaces is forbidden: cannot list resource "namespaces"',
        });
      else sendJson(res, 200, list("10", [ns("a", "5")]));
    });
    const warnings: string[] = [];
    watch = new NamespaceWatch({
      api: createKubeApi({ server: api.url }),
      log: { info: () => undefined, warn: (fields) => warnings.push(String((fields as { err: string }).err)) },
      now: () => performance.now(),
      minBackoffMs: 5,
      maxBackoffMs: 20,
    });
    expect(watch.store.synced).toBe(false);
    watch.start();
    expect(await watch.whenSynced(20_000)).toBe(true);
    expect(watch.store.get("a")?.name).toBe("a");
    expect(warnings[0]).toContain("the ClusterRole needs list and watch on namespaces");
  });

  it("lists again once the resync period has passed", async () => {
    let now = 0;
    const { api: server, watches } = await standIn([
      list("10", [ns("a", "5")]),
      list("50", [ns("a", "45", { v: "resynced" })]),
    ]);
    const w = start(server, { now: () => now, resyncMs: 60_000 });
    const first = await until("the first watch", () => watches[0]);
    // The server is asked to end the watch when the resync is due.
    expect(server.requests.find(isWatch)?.url.searchParams.get("timeoutSeconds")).toBe("60");
    now = 60_000;
    first.end();
    await until("the re-list", () => w.store.get("a")?.annotations?.["v"] === "resynced");
    expect(server.requests.filter(isList)).toHaveLength(2);
  });

  it("pages through a long list as one snapshot", async () => {
    const pages: Record<string, unknown> = {
      "": list("10", [ns("a", "1"), ns("b", "2")], "page2"),
      page2: list("11", [ns("c", "3"), ns("d", "4")], "page3"),
      page3: list("12", [ns("e", "5")]),
    };
    api = await startStandInApi((_req, res, seen) => {
      if (isWatch(seen)) {
        res.writeHead(200, { "content-type": "application/json" });
        res.flushHeaders();
        return;
      }
      sendJson(res, 200, pages[seen.url.searchParams.get("continue") ?? ""]);
    });
    watch = new NamespaceWatch({
      api: createKubeApi({ server: api.url }),
      log: quiet,
      now: () => performance.now(),
      pageSize: 2,
    });
    watch.start();
    await watch.whenSynced(20_000);
    expect(watch.store.size).toBe(5);
    // The watch resumes from the first page's resourceVersion: the snapshot all pages belong to.
    await until("the watch", () => api?.requests.find(isWatch));
    expect(api.requests.find(isWatch)?.url.searchParams.get("resourceVersion")).toBe("10");
    expect(api.requests.filter(isList).map((r) => r.url.searchParams.get("limit"))).toEqual(["2", "2", "2"]);
  });
});

describe("NamespaceStore", () => {
  it("keeps, across a re-list, a copy a direct read made newer than the list", () => {
    const store = new NamespaceStore();
    store.merge("new", { name: "new", resourceVersion: "60", annotations: { "linkerd.io/inject": "enabled" } });
    store.merge("old", { name: "old", resourceVersion: "40" });
    store.replace([{ name: "a", resourceVersion: "5" }], "50");
    expect(store.get("new")?.annotations).toEqual({ "linkerd.io/inject": "enabled" });
    // Not in a list taken after it was read: deleted since.
    expect(store.get("old")).toBeUndefined();
    expect(store.synced).toBe(true);
  });

  it("compares resourceVersions as numbers, and not at all when they are not", () => {
    expect(compareResourceVersions("9", "10")).toBe(-1);
    expect(compareResourceVersions("123456789012345678901", "123456789012345678900")).toBe(1);
    expect(compareResourceVersions("7", "7")).toBe(0);
    expect(compareResourceVersions("abc", "10")).toBeUndefined();
    expect(compareResourceVersions(undefined, "10")).toBeUndefined();
  });
});
