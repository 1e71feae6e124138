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

describe("the admission warnings of a skipped pod", () => {
  const review = (annotations: Record<string, string>, labels: Record<string, string>) =>
    reviewOf(
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "web", namespace: "shop", annotations, labels },
        spec: { containers: [{ name: "web", image: "nginx" }] },
      },
      { namespace: "shop" },
    )["request"] as AdmissionRequest;

  it("stay quiet for a pod nobody asked to inject", async () => {
    const result = await reviewRequest(review({}, { app: "web" }), makeHarness({}).deps);
    expect(result.response.warnings).toBeUndefined();
  });

  it("hint at linkerd.io/inject set as a label", async () => {
    const result = await reviewRequest(review({}, { "linkerd.io/inject": "enabled" }), makeHarness({}).deps);
    expect(result.response.warnings).toEqual([
      `linkerd-proxy-injector: pod "web" not injected: neither the namespace nor the pod have the annotation "linkerd.io/inject:enabled"`,
      "linkerd-proxy-injector: hint (inject_label_not_annotation): linkerd.io/inject is set in the pod's labels; the injector reads it only as an annotation: set it under metadata.annotations",
    ]);
  });

  it("hint at a misspelt linkerd.io/inject value", async () => {
    const result = await reviewRequest(review({ "linkerd.io/inject": "enable" }, {}), makeHarness({}).deps);
    expect(result.response.warnings?.[1]).toBe(
      'linkerd-proxy-injector: hint (invalid_inject_value): the pod\'s annotation linkerd.io/inject: "enable" is not a value the injector knows (enabled, disabled or ingress): did you mean "enabled"?',
    );
  });
});
