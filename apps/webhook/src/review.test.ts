import { describe, expect, it } from "vitest";
import type { AdmissionRequest } from "./admission.js";
import type { Budget } from "./deadline.js";
import type { KubeLookups } from "./kube.js";
import { reviewRequest } from "./review.js";
import { makeHarness, reviewOf } from "./test-support/harness.js";

function podRequest(): AdmissionRequest {
  const review = reviewOf(
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        generateName: "web-abc-",
        namespace: "shop",
        ownerReferences: [
          { apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-abc", uid: "rs-uid", controller: true },
        ],
      },
      spec: { containers: [{ name: "web", image: "ghcr.io/example/web:1" }] },
    },
    { namespace: "shop" },
  );
  return review["request"] as AdmissionRequest;
}

const never = () => new Promise<never>(() => undefined);

describe("the review deadline", () => {
  it("holds even around a look-up that ignores its signal", async () => {
    const harness = makeHarness({ lookups: { namespace: never, replicaSet: never, job: never } });
    harness.deps.clock = () => performance.now();
    harness.deps.reviewTimeoutMs = 50;
    const result = await reviewRequest(podRequest(), harness.deps);
    expect(result.response).toMatchObject({
      allowed: false,
      status: {
        message: 'review deadline (50 ms): failed to get namespace "shop": no answer from the Kubernetes API in time',
      },
    });
    expect(result.notes).toEqual([
      "owner look-up failed (deadline_exceeded), injecting without an owner label: no answer from the Kubernetes API in time",
    ]);
  });

  it("gives the owner half of it and leaves the rest to the namespace", async () => {
    let namespaceBudget: Budget | undefined;
    let ownerBudget: Budget | undefined;
    const lookups: KubeLookups = {
      replicaSet: (_ns, _name, options) => {
        ownerBudget = options?.budget;
        return never();
      },
      job: never,
      namespace: async (name, options) => {
        namespaceBudget = options?.budget;
        return { name, annotations: { "linkerd.io/inject": "enabled" } };
      },
    };
    const harness = makeHarness({ lookups });
    harness.deps.clock = () => performance.now();
    harness.deps.reviewTimeoutMs = 400;
    const result = await reviewRequest(podRequest(), harness.deps);
    expect(result.outcome).toBe("injected");
    expect(ownerBudget?.signal.aborted).toBe(true);
    // The namespace was asked with the review's own budget, which had not run out.
    expect(namespaceBudget?.signal.aborted).toBe(false);
    expect(namespaceBudget?.remainingMs()).toBeGreaterThan(0);
  });
});
