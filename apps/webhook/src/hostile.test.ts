/**
 * Malformed and hostile requests, each answered as spec §6.2 says, and the app still serving afterwards.
 */
import fc from "fast-check";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { createApp, MAX_BODY_BYTES } from "./app.js";
import { MAX_DEPTH } from "./admission.js";
import { clusterFixture, makeHarness, readFixture, tableLookups } from "./test-support/harness.js";

function app() {
  const harness = makeHarness({ lookups: tableLookups(clusterFixture()) });
  return { harness, app: createApp(harness.deps) };
}

const GOOD = readFixture("reviews", "pod-deployment.json");

async function stillServes(server: ReturnType<typeof createApp>): Promise<void> {
  const res = await request(server).post("/").set("Content-Type", "application/json").send(GOOD).expect(200);
  expect(res.body.response.allowed).toBe(true);
  expect(res.body.response.patchType).toBe("JSONPatch");
}

function post(server: ReturnType<typeof createApp>, body: string | Buffer) {
  return request(server).post("/").set("Content-Type", "application/json").send(body);
}

describe("malformed requests", () => {
  it("answers an empty body with an empty 200", async () => {
    const { app: server } = app();
    const res = await request(server).post("/").expect(200);
    expect(res.text).toBe("");
    await stillServes(server);
  });

  it("answers bad JSON with 400 and Linkerd's decode message", async () => {
    const { app: server } = app();
    const res = await post(server, '{"request": {"uid": "1"').expect(400);
    expect(res.text).toMatch(/^failed to decode admission review request: .+\n$/);
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
    await stillServes(server);
  });

  it("answers a review without request with 400 invalid admission review request", async () => {
    const { app: server } = app();
    const res = await post(server, JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" })).expect(400);
    expect(res.text).toBe("invalid admission review request\n");
    await stillServes(server);
  });

  it.each([
    ["no uid", { kind: { kind: "Pod" }, object: {} }],
    ["an empty uid", { uid: "", object: {} }],
    ["a null uid", { uid: null }],
  ])("answers a request with %s with 400 invalid admission review request", async (_name, req) => {
    const { app: server } = app();
    const res = await post(server, JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: req })).expect(400);
    expect(res.text).toBe("invalid admission review request\n");
  });

  it.each([
    ["a number uid", { uid: 42 }, "request.uid must be a string, got a number"],
    ["an array request", [], "request must be an object, got an array"],
    ["a string namespace", { uid: "u", namespace: ["shop"] }, "request.namespace must be a string, got an array"],
    ["a numeric kind", { uid: "u", kind: { kind: 7 } }, "request.kind.kind must be a string, got a number"],
    ["a string dryRun", { uid: "u", dryRun: "yes" }, "request.dryRun must be a boolean, got a string"],
  ])("answers %s with 400 and says which field", async (_name, req, message) => {
    const { app: server } = app();
    const res = await post(server, JSON.stringify({ apiVersion: "admission.k8s.io/v1", request: req })).expect(400);
    expect(res.text).toBe(`failed to decode admission review request: ${message}\n`);
  });

  it("answers a review that is not an object with 400", async () => {
    const { app: server } = app();
    const res = await post(server, "[1,2,3]").expect(400);
    expect(res.text).toBe("failed to decode admission review request: expected a JSON object, got an array\n");
  });

  it("refuses (allowed: false) a request whose object is not an object", async () => {
    const { app: server } = app();
    const body = { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { uid: "u-1", kind: { kind: "Pod" }, namespace: "shop", object: "pod" } };
    const res = await post(server, JSON.stringify(body)).expect(200);
    expect(res.body.response).toEqual({
      uid: "u-1",
      allowed: false,
      status: { message: "admission request has no object to review (got a string)" },
    });
  });

  it("lets other kinds through untouched", async () => {
    const { app: server } = app();
    const body = {
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      request: { uid: "u-2", kind: { kind: "Deployment" }, namespace: "shop", object: { kind: "Deployment", metadata: { name: "x" } } },
    };
    const res = await post(server, JSON.stringify(body)).expect(200);
    expect(res.body.response).toEqual({ uid: "u-2", allowed: true });
  });

  it("answers a body over 10 MB with 500 and Linkerd's reader message", async () => {
    const { app: server } = app();
    const big = Buffer.alloc(MAX_BODY_BYTES + 1, 0x20);
    const res = await post(server, big).expect(500);
    expect(res.text).toBe(`limit reached while reading: ${MAX_BODY_BYTES}\n`);
    await stillServes(server);
  });

  it("accepts a body of exactly 10 MB (Linkerd refuses it: an off-by-one we do not copy)", async () => {
    const { app: server } = app();
    const padded = GOOD + " ".repeat(MAX_BODY_BYTES - Buffer.byteLength(GOOD));
    expect(Buffer.byteLength(padded)).toBe(MAX_BODY_BYTES);
    const res = await post(server, padded).expect(200);
    expect(res.body.response.allowed).toBe(true);
  });
});

describe("hostile requests", () => {
  it("refuses deep nesting before anything recursive sees it", async () => {
    const { app: server, harness } = app();
    const depth = 200_000;
    const object = `{"kind":"Pod","metadata":{"name":"deep"},"spec":${"[".repeat(depth)}${"]".repeat(depth)}}`;
    const body = `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"d","namespace":"shop","object":${object}}}`;
    const res = await post(server, body).expect(400);
    expect(res.text).toBe(`failed to decode admission review request: nesting deeper than ${MAX_DEPTH} levels\n`);
    expect(harness.logLines().some((l) => l["msg"] === "rejected admission review")).toBe(true);
    await stillServes(server);
  });

  it("accepts nesting up to the limit", async () => {
    const { app: server } = app();
    // review(1) > request(2) > object(3) > metadata(4) > annotations(5): put the rest in an unknown field.
    const inner = MAX_DEPTH - 4;
    const body = `{"request":{"uid":"n","namespace":"shop","kind":{"kind":"Pod"},"object":{"kind":"Pod","metadata":{"name":"n"},"x":${"[".repeat(inner)}${"]".repeat(inner)}}}}`;
    const res = await post(server, body).expect(200);
    expect(res.body.response.uid).toBe("n");
  });

  it.each([
    ["at the top", '{"__proto__":{"polluted":true},"request":{"uid":"p"}}'],
    ["in an annotation", '{"request":{"uid":"p","object":{"kind":"Pod","metadata":{"annotations":{"__proto__":{"polluted":"yes"}}}}}}'],
    ["in a list", '{"request":{"uid":"p","object":{"kind":"Pod","spec":{"containers":[{"__proto__":{"name":"x"}}]}}}}'],
  ])("refuses a __proto__ key %s and pollutes nothing", async (_where, body) => {
    const { app: server } = app();
    const res = await post(server, body).expect(400);
    expect(res.text).toBe('failed to decode admission review request: key "__proto__" is not allowed\n');
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
    await stillServes(server);
  });

  it("answers any JSON value at any field with a well-formed answer, and keeps serving", async () => {
    const { app: server } = app();
    const base = JSON.parse(GOOD) as { request: Record<string, unknown> };
    const object = base.request["object"] as Record<string, unknown>;
    const spec = object["spec"] as Record<string, unknown>;
    const metadata = object["metadata"] as Record<string, unknown>;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<[Record<string, unknown>, string]>(
          [base.request, "kind"],
          [base.request, "namespace"],
          [base.request, "object"],
          [object, "kind"],
          [object, "metadata"],
          [object, "spec"],
          [metadata, "annotations"],
          [metadata, "ownerReferences"],
          [metadata, "name"],
          [spec, "containers"],
          [spec, "initContainers"],
          [spec, "volumes"],
          [spec, "hostNetwork"],
        ),
        fc.jsonValue({ maxDepth: 4 }),
        async ([target, key], value) => {
          const saved = target[key];
          target[key] = value;
          const text = JSON.stringify(base);
          target[key] = saved;
          const res = await post(server, text);
          expect([200, 400]).toContain(res.status);
          if (res.status === 200) {
            expect(res.body.response.uid).toBe(base.request["uid"]);
            expect(typeof res.body.response.allowed).toBe("boolean");
          }
        },
      ),
      { numRuns: 150 },
    );
    await stillServes(server);
  });

  it("serves any path and method, as Linkerd does", async () => {
    const { app: server } = app();
    const res = await request(server).put("/some/where?x=1").set("Content-Type", "application/json").send(GOOD).expect(200);
    expect(res.body.response.allowed).toBe(true);
  });
});
