/**
 * Reviews while the API server misbehaves: it accepts connections and never answers, answers 429, or trickles a
 * body a byte at a time. The whole webhook path is real (createApp, the review, the look-ups, the namespace watch,
 * the HTTP client); only the API server is a stand-in on loopback. Each review must be answered, by its deadline
 * (injected small: 300 ms), with an answer that names the cause, and the look-ups it gave up on must be abandoned
 * on the wire (the stand-in sees the client close them), not left holding sockets.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createApp } from "./app.js";
import { clusterLookups } from "./kube.js";
import { createKubeApi, kubeLookups } from "./kube-client.js";
import { NamespaceWatch } from "./namespace-watch.js";
import { decodePatch, makeHarness, metricValue, reviewOf, type Harness } from "./test-support/harness.js";
import {
  sendJson,
  startStandInApi,
  until,
  type SeenRequest,
  type StandInApi,
  type StandInHandler,
} from "./test-support/stand-in-api.js";

const DEADLINE_MS = 300;

interface Answer {
  response: { uid: string; allowed: boolean; patch?: string; status?: { message: string } };
}

let api: StandInApi | undefined;
let watch: NamespaceWatch | undefined;
let server: Server | undefined;
const timers = new Set<NodeJS.Timeout>();

afterEach(async () => {
  for (const timer of timers) clearInterval(timer);
  timers.clear();
  await watch?.stop();
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server?.closeAllConnections();
  await api?.close();
  watch = undefined;
  server = undefined;
  api = undefined;
});

/** The webhook as main.ts wires it, against the stand-in, serving HTTP on loopback. */
async function webhook(
  handler: StandInHandler,
  deadlineMs = DEADLINE_MS,
): Promise<{ harness: Harness; post: (body: unknown) => Promise<Answer> }> {
  api = await startStandInApi(handler);
  const kube = createKubeApi({ server: api.url });
  const clock = () => performance.now();
  watch = new NamespaceWatch({
    api: kube,
    log: { info: () => undefined, warn: () => undefined },
    now: clock,
    minBackoffMs: 50,
  });
  watch.start();
  const harness = makeHarness({
    lookups: clusterLookups({ direct: kubeLookups(kube), namespaces: watch.store, now: clock }),
  });
  harness.deps.clock = clock;
  harness.deps.reviewTimeoutMs = deadlineMs;
  harness.deps.logger.level = "silent";
  const app = createApp(harness.deps);
  const listening = createServer(app);
  server = listening;
  await new Promise<void>((resolve) => listening.listen(0, "127.0.0.1", resolve));
  const { port } = listening.address() as AddressInfo;
  const post = async (body: unknown): Promise<Answer> => {
    const res = await fetch(`http://127.0.0.1:${port}/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      // Only a hang guard: far beyond any deadline here.
      signal: AbortSignal.timeout(60_000),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as Answer;
  };
  return { harness, post };
}

/** A pod of ReplicaSet `rs` in `namespace`, as the API server sends it. */
function podReview(i: number, namespace: string, rs: string) {
  return reviewOf(
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        generateName: `${rs}-`,
        namespace,
        labels: { app: "web" },
        ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: rs, uid: `${rs}-uid`, controller: true }],
      },
      spec: { containers: [{ name: "web", image: "ghcr.io/example/web:1" }] },
    },
    { uid: `uid-${i}`, namespace },
  );
}

const isLookup = (r: SeenRequest) =>
  r.url.searchParams.get("watch") === null && r.url.pathname !== "/api/v1/namespaces";
const isNamespaceList = (r: SeenRequest) =>
  r.url.pathname === "/api/v1/namespaces" && r.url.searchParams.get("watch") === null;

/**
 * Every review went through the webhook's duration histogram (its own clock), and none took longer than the 5 s
 * bucket: the 300 ms deadline plus slack for a busy machine, and still below the 6 s a review took with no deadline
 * (two look-ups of 3 s each), so that the check fails without one.
 */
async function expectAnsweredWithinDeadlinePlusSlack(harness: Harness, count: number, outcome: string): Promise<void> {
  const histogram = harness.registry.getSingleMetric("proxy_inject_admission_duration_seconds");
  const buckets = ((await histogram?.get())?.values ?? []).filter(
    (v) => (v as { metricName?: string }).metricName === "proxy_inject_admission_duration_seconds_bucket",
  );
  const bucket = (le: string) =>
    buckets
      .filter((v) => v.labels["kind"] === "pod" && v.labels["outcome"] === outcome && String(v.labels["le"]) === le)
      .reduce((sum, v) => sum + v.value, 0);
  expect(bucket("+Inf")).toBe(count);
  expect(bucket("5")).toBe(count);
}

describe("reviews while the API server never answers", () => {
  it("refuses 100 concurrent reviews at the deadline, naming it, and abandons every look-up on the wire", async () => {
    // Accepts every connection and request, answers nothing: not the list, not a GET.
    const { harness, post } = await webhook(() => undefined);
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => post(podReview(i, `ns-${i}`, `rs-${i}`))));

    for (const answer of answers) {
      expect(answer.response.allowed).toBe(false);
      expect(answer.response.status?.message).toMatch(
        /^review deadline \(300 ms\): failed to get namespace "ns-\d+": no answer from the Kubernetes API in time$/,
      );
    }
    // Owners ran late: counted, never the reason for a refusal.
    expect(
      await metricValue(harness.registry, "proxy_inject_owner_lookup_failures_total", {
        kind: "replicaset",
        reason: "deadline_exceeded",
      }),
    ).toBe(100);
    // The deadlines' AbortSignals reached the sockets: the stand-in saw the client give up on each look-up it got
    // (some never left the agent's queue: they were dropped before taking a socket).
    const seen = await until("every look-up to be abandoned", () => {
      const lookups = (api as StandInApi).requests.filter(isLookup);
      return lookups.length > 0 && lookups.every((r) => r.abandoned) ? lookups : undefined;
    });
    expect(seen.every((r) => !r.answered)).toBe(true);
    await expectAnsweredWithinDeadlinePlusSlack(harness, 100, "error");
  });

  it("injects without an owner label when only the owner look-up hangs, the namespace being known to the watch", async () => {
    const { harness, post } = await webhook((_req, res, seen) => {
      if (isNamespaceList(seen)) {
        sendJson(res, 200, {
          kind: "PartialObjectMetadataList",
          metadata: { resourceVersion: "10" },
          items: [
            { metadata: { name: "shop", resourceVersion: "5", annotations: { "linkerd.io/inject": "enabled" } } },
          ],
        });
      } else if (seen.url.searchParams.get("watch") === "1") {
        res.writeHead(200, { "content-type": "application/json" });
        res.flushHeaders();
      }
      // ReplicaSet GETs: never answered.
    });
    await (watch as NamespaceWatch).whenSynced(20_000);
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => post(podReview(i, "shop", "web-abc"))));
    for (const answer of answers) {
      expect(answer.response.allowed).toBe(true);
      const patch = decodePatch(answer.response) as { path: string; value?: unknown }[];
      expect(patch.some((op) => op.path.startsWith("/spec/initContainers"))).toBe(true);
      expect(patch.some((op) => op.path.startsWith("/metadata/labels/linkerd.io~1proxy-"))).toBe(false);
    }
    expect(
      await metricValue(harness.registry, "proxy_inject_owner_lookup_failures_total", {
        kind: "replicaset",
        reason: "deadline_exceeded",
      }),
    ).toBe(10);
    await until("the ReplicaSet GET to be abandoned", () =>
      (api as StandInApi).requests.filter(isLookup).every((r) => r.abandoned),
    );
    await expectAnsweredWithinDeadlinePlusSlack(harness, 10, "injected");
  });
});

describe("reviews while the API server answers 429", () => {
  const throttle: StandInHandler = (_req, res) =>
    sendJson(
      res,
      429,
      { kind: "Status", code: 429, reason: "TooManyRequests", message: "too many requests, please try again later" },
      {
        "retry-after": "5",
      },
    );

  it("refuses at once, naming the 429 and its Retry-After, when the Retry-After does not fit in the deadline", async () => {
    const { harness, post } = await webhook(throttle);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => post(podReview(i, "shop", "web-abc"))));
    for (const answer of answers) {
      expect(answer.response.allowed).toBe(false);
      expect(answer.response.status?.message).toBe(
        'failed to get namespace "shop": 429 too many requests, please try again later (Retry-After 5 s)',
      );
    }
    expect(
      await metricValue(harness.registry, "proxy_inject_owner_lookup_failures_total", {
        kind: "replicaset",
        reason: "throttled",
      }),
    ).toBe(20);
    await expectAnsweredWithinDeadlinePlusSlack(harness, 20, "error");
  });

  it("retries after the Retry-After when it fits in the deadline, and injects", async () => {
    let throttled = 0;
    const { post } = await webhook((req, res, seen) => {
      if (!isLookup(seen)) return; // the watch never syncs: the namespace must be read
      if (seen.url.pathname === "/api/v1/namespaces/shop" && throttled++ === 0) {
        sendJson(res, 429, { kind: "Status", code: 429, message: "too many requests" }, { "retry-after": "1" });
        return;
      }
      if (seen.url.pathname === "/api/v1/namespaces/shop") {
        sendJson(res, 200, {
          metadata: { name: "shop", resourceVersion: "9", annotations: { "linkerd.io/inject": "enabled" } },
        });
        return;
      }
      sendJson(res, 200, {
        metadata: {
          name: "web-abc",
          namespace: "shop",
          ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name: "web", uid: "d" }],
        },
      });
      req.resume();
    }, 5000);
    const answer = await post(podReview(0, "shop", "web-abc"));
    expect(answer.response.allowed).toBe(true);
    const patch = decodePatch(answer.response) as { path: string; value?: unknown }[];
    expect(patch.find((op) => op.path === "/metadata/labels/linkerd.io~1proxy-deployment")?.value).toBe("web");
    expect((api as StandInApi).requests.filter((r) => r.url.pathname === "/api/v1/namespaces/shop")).toHaveLength(2);
  });
});

describe("reviews while the API server trickles its answers", () => {
  it("refuses at the deadline though bytes keep coming, and closes the trickling look-ups", async () => {
    const { harness, post } = await webhook((_req, res: ServerResponse) => {
      // Headers at once, then one byte every 20 ms, forever: an idle timeout would never fire.
      res.writeHead(200, { "content-type": "application/json" });
      res.write("{");
      const timer = setInterval(() => res.write(" "), 20);
      timers.add(timer);
      res.on("close", () => clearInterval(timer));
    });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => post(podReview(i, `ns-${i % 4}`, `rs-${i}`))),
    );
    for (const answer of answers) {
      expect(answer.response.allowed).toBe(false);
      expect(answer.response.status?.message).toMatch(/^review deadline \(300 ms\): failed to get namespace "ns-\d": /);
    }
    await until("every trickling look-up to be closed by the client", () => {
      const lookups = (api as StandInApi).requests.filter(isLookup);
      return lookups.length > 0 && lookups.every((r) => r.abandoned);
    });
    await expectAnsweredWithinDeadlinePlusSlack(harness, 20, "error");
  });
});
