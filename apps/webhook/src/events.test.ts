import { describe, expect, it } from "vitest";
import { createEventRecorder, type EventSink } from "./events.js";
import type { WebhookEvent } from "./kube.js";
import { createLogger } from "./logger.js";

interface Call {
  op: "create" | "patch";
  namespace: string;
  name?: string;
  body: Record<string, unknown>;
}

function recordingSink(statuses: { create?: number[]; patch?: number[] } = {}): EventSink & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    create: async (namespace, body) => {
      calls.push({ op: "create", namespace, body });
      return statuses.create?.shift() ?? 201;
    },
    patch: async (namespace, name, body) => {
      calls.push({ op: "patch", namespace, name, body });
      return statuses.patch?.shift() ?? 200;
    },
  };
}

const event: WebhookEvent = {
  involvedObject: { apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: "shop", uid: "u-1" },
  type: "Normal",
  reason: "Injected",
  message: "Linkerd sidecar proxy injected",
};

const settle = () => new Promise((r) => setTimeout(r, 10));
const logs: string[] = [];
const logger = createLogger({ level: "warn", format: "json", out: { write: (l) => logs.push(l) } });

function recorder(sink: EventSink, monotonic = () => 0) {
  return createEventRecorder({
    sink,
    logger,
    now: () => new Date("2026-11-27T01:00:00Z"),
    monotonic,
    instance: "injector-0",
  });
}

describe("event recorder", () => {
  it("creates a core/v1 Event from linkerd-proxy-injector on the parent", async () => {
    const sink = recordingSink();
    recorder(sink).record(event);
    await settle();
    expect(sink.calls).toHaveLength(1);
    const call = sink.calls[0] as Call;
    expect(call.op).toBe("create");
    expect(call.namespace).toBe("shop");
    expect(call.body).toMatchObject({
      apiVersion: "v1",
      kind: "Event",
      metadata: { namespace: "shop" },
      involvedObject: event.involvedObject,
      reason: "Injected",
      message: "Linkerd sidecar proxy injected",
      type: "Normal",
      source: { component: "linkerd-proxy-injector" },
      reportingInstance: "injector-0",
      count: 1,
      firstTimestamp: "2026-11-27T01:00:00.000Z",
    });
    expect(String((call.body["metadata"] as { name: string }).name)).toMatch(/^web\.[0-9a-f]{16}$/);
  });

  it("folds a burst of identical events into one Event with a count", async () => {
    const sink = recordingSink();
    const r = recorder(sink);
    for (let i = 0; i < 100; i++) r.record(event);
    await settle();
    // One create, then one patch carrying everything counted while the create was in flight.
    expect(sink.calls.map((c) => c.op)).toEqual(["create", "patch"]);
    expect(sink.calls[1]?.body).toMatchObject({ count: 100 });
    r.record(event);
    await settle();
    expect(sink.calls[2]).toMatchObject({ op: "patch", body: { count: 101 } });
    expect(sink.calls[2]?.name).toBe((sink.calls[0]?.body["metadata"] as { name?: string } | undefined)?.name);
  });

  it("starts a new Event after the window or when the old one expired", async () => {
    let now = 0;
    const sink = recordingSink({ patch: [404] });
    const r = recorder(sink, () => now);
    r.record(event);
    await settle();
    r.record(event); // patch answers 404: the Event expired
    await settle();
    expect(sink.calls.map((c) => c.op)).toEqual(["create", "patch", "create"]);
    expect(sink.calls[2]?.body).toMatchObject({ count: 2 });
    now = 11 * 60_000;
    r.record(event);
    await settle();
    expect(sink.calls[3]).toMatchObject({ op: "create", body: { count: 1 } });
  });

  it("never throws into the review, and logs failed writes", async () => {
    const sink: EventSink = {
      create: () => Promise.reject(new Error("connect ECONNREFUSED")),
      patch: () => Promise.reject(new Error("connect ECONNREFUSED")),
    };
    expect(() => recorder(sink).record(event)).not.toThrow();
    await settle();
    expect(logs.some((l) => l.includes("failed to write event") && l.includes("ECONNREFUSED"))).toBe(true);
  });
});
