/**
 * Only the CREATE of a Pod or Service is mutated. Real AdmissionReviews of everything else the API server can send
 * for pods (test/fixtures/reviews) are allowed unchanged, whatever the webhook configuration registers it for.
 */
import request from "supertest";
import { describe, expect, it } from "vitest";
import { createApp } from "./app.js";
import { shouldReview, type AdmissionReview } from "./admission.js";
import { clusterFixture, makeHarness, readJsonFixture, tableLookups } from "./test-support/harness.js";

const NOT_REVIEWED = [
  ["an UPDATE of a pod that asks for injection", "pod-update.json", "operation_not_create"],
  ["a DELETE (no object, only the old one)", "pod-delete.json", "operation_not_create"],
  ["an UPDATE of pods/status", "pod-status-update.json", "operation_not_create"],
  ["an UPDATE of pods/ephemeralcontainers (kubectl debug)", "pod-ephemeral-containers.json", "operation_not_create"],
  ["a CONNECT of pods/exec", "pod-exec.json", "operation_not_create"],
  ["a CREATE of pods/binding", "pod-binding.json", "subresource"],
  ["a CREATE of pods/eviction", "pod-eviction.json", "subresource"],
] as const;

describe("operations and subresources", () => {
  it.each(NOT_REVIEWED)("allows %s unchanged, with no patch", async (_name, fixture, reason) => {
    const harness = makeHarness({ lookups: tableLookups(clusterFixture()) });
    const body = readJsonFixture<AdmissionReview>("reviews", fixture);
    const res = await request(createApp(harness.deps)).post("/").send(body).expect(200);
    expect(res.body).toEqual({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: { uid: body.request.uid, allowed: true },
    });
    // Said at debug, with the reason; no event, and no review log line (it was not reviewed).
    const line = harness.logLines().find((l) => l["uid"] === body.request.uid && l["level"] === "debug");
    expect(line).toMatchObject({ reason });
    expect(String(line?.["msg"])).toMatch(/^allowed unchanged: only the CREATE of a pod or service is injected/);
    expect(harness.events).toEqual([]);
    expect(harness.logLines().filter((l) => l["msg"] === "admission review")).toEqual([]);
  });

  it("still injects the CREATE of the same pod", async () => {
    const harness = makeHarness({ lookups: tableLookups(clusterFixture()) });
    const update = readJsonFixture<AdmissionReview>("reviews", "pod-update.json");
    const create = { ...update, request: { ...update.request, operation: "CREATE", oldObject: null } };
    const res = await request(createApp(harness.deps)).post("/").send(create).expect(200);
    expect(res.body.response).toMatchObject({ uid: update.request.uid, allowed: true, patchType: "JSONPatch" });
  });
});

describe("shouldReview", () => {
  it.each(NOT_REVIEWED)("does not review %s", (_name, fixture, reason) => {
    const body = readJsonFixture<AdmissionReview>("reviews", fixture);
    expect(shouldReview(body.request)).toMatchObject({ review: false, reason });
  });

  it.each(["pod-deployment.json", "pod-v1beta1.json", "pod-dry-run.json", "service-annotated.json"])(
    "reviews the CREATE in %s",
    (fixture) => {
      expect(shouldReview(readJsonFixture<AdmissionReview>("reviews", fixture).request)).toEqual({ review: true });
    },
  );

  it("does not review a request without an operation (the API server always sends one)", () => {
    expect(shouldReview({ uid: "u" })).toEqual({
      review: false,
      reason: "operation_not_create",
      detail: "operation (none)",
    });
  });

  it("does not review a CREATE of a subresource even when its object is a Pod", () => {
    expect(shouldReview({ uid: "u", operation: "CREATE", subResource: "ephemeralcontainers" })).toMatchObject({
      review: false,
      reason: "subresource",
    });
  });
});
