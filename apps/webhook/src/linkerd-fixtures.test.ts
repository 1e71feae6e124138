/**
 * Linkerd's own proxy-injector fixtures (controller/proxy-injector/fake/data, see test/fixtures/linkerd/README.md),
 * sent through the webhook as AdmissionReviews: the pod the webhook's patch produces must be the pod Linkerd's
 * expected patch produces, apart from the handler-only annotations Linkerd's unit test leaves out (named here).
 */
import { applyPatch, type JsonValue, type PatchOperation } from "@l5d-injector/injector-core";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { createApp } from "./app.js";
import type { ObjectMeta } from "./kube.js";
import {
  decodePatch,
  makeHarness,
  namespaceMeta,
  OWNER_RS,
  readJsonFixture,
  readYamlObject,
  reviewOf,
  tableLookups,
  withOwner,
} from "./test-support/harness.js";

const CREATED_BY = "l5d-injector/webhook 0.1.0";

async function send(object: Record<string, unknown>, namespace: ObjectMeta) {
  const harness = makeHarness({
    lookups: tableLookups({ namespaces: [namespace], replicaSets: [OWNER_RS], jobs: [] }),
  });
  const res = await request(createApp(harness.deps))
    .post("/")
    .send(reviewOf(object, { namespace: "kube-public" }))
    .expect(200);
  const response = res.body.response as { allowed: boolean; patch?: string };
  expect(response.allowed).toBe(true);
  return decodePatch(response) as PatchOperation[];
}

const isAnnotationOp = (op: PatchOperation, key: string) =>
  op.path === `/metadata/annotations/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`;

describe("TestGetPodPatch fixtures: pod.patch.json", () => {
  const expected = readJsonFixture<PatchOperation[]>("linkerd", "pod.patch.json");
  const cases = [
    // The live webhook copies the namespace's linkerd.io/inject onto a pod without one (spec §1.7).
    {
      pod: "pod-inject-empty.yaml",
      ns: "namespace-inject-enabled.yaml",
      inherited: { "linkerd.io/inject": "enabled" },
    },
    { pod: "pod-inject-enabled.yaml", ns: "namespace-inject-enabled.yaml", inherited: {} },
    { pod: "pod-inject-enabled.yaml", ns: "namespace-inject-disabled.yaml", inherited: {} },
    { pod: "pod-with-debug-disabled.yaml", ns: "namespace-inject-disabled.yaml", inherited: {} },
  ];
  for (const c of cases) {
    it(`${c.pod} in ${c.ns} gives Linkerd's pod, plus created-by${Object.keys(c.inherited).length > 0 ? " and the inherited annotations" : ""}`, async () => {
      const pod = withOwner(readYamlObject("linkerd", c.pod));
      const patch = await send(pod, namespaceMeta(c.ns));

      const handlerOnly = { "linkerd.io/created-by": CREATED_BY, ...c.inherited };
      const linkerdPod = applyPatch(pod as JsonValue, expected) as {
        metadata: { annotations: Record<string, string> };
      };
      linkerdPod.metadata.annotations = { ...linkerdPod.metadata.annotations, ...handlerOnly };
      expect(applyPatch(pod as JsonValue, patch)).toEqual(linkerdPod);

      // Op by op too, in order, once the handler-only annotations are set aside.
      const core = patch.filter((op) => !Object.keys(handlerOnly).some((key) => isAnnotationOp(op, key)));
      expect(core).toEqual(expected);
      for (const [key, value] of Object.entries(handlerOnly)) {
        expect(patch.find((op) => isAnnotationOp(op, key))).toEqual({
          op: "add",
          path: `/metadata/annotations/${key.replaceAll("/", "~1")}`,
          value,
        });
      }
    });
  }
});

describe("TestGetAnnotationPatch fixtures: opaque ports", () => {
  const annotationPatch = readJsonFixture<PatchOperation[]>("linkerd", "annotation.patch.json");

  it("service without opaque ports in a namespace with them: annotation.patch.json", async () => {
    const patch = await send(
      readYamlObject("linkerd", "service-without-opaque-ports.yaml"),
      namespaceMeta("namespace-with-opaque-ports.yaml"),
    );
    expect(patch).toEqual(annotationPatch);
  });

  for (const ns of ["namespace-with-opaque-ports.yaml", "namespace-inject-enabled.yaml"]) {
    it(`service with its own opaque ports in ${ns}: no patch`, async () => {
      const patch = await send(readYamlObject("linkerd", "service-with-opaque-ports.yaml"), namespaceMeta(ns));
      expect(patch).toEqual([]);
    });
  }

  it("service without opaque ports in a namespace without them: no patch", async () => {
    const patch = await send(
      readYamlObject("linkerd", "service-without-opaque-ports.yaml"),
      namespaceMeta("namespace-inject-enabled.yaml"),
    );
    expect(patch).toEqual([]);
  });

  // Linkerd's test calls CreateAnnotationPatch directly; through the handler a pod in an injecting namespace is
  // injected, and its full patch must carry the same opaque-ports annotation.
  it("pod without opaque ports in a namespace with them: injected, with the annotation of annotation.patch.json", async () => {
    const pod = readYamlObject("linkerd", "pod-without-opaque-ports.yaml");
    const patch = await send(pod, namespaceMeta("namespace-with-opaque-ports.yaml"));
    const annotated = applyPatch(pod as JsonValue, annotationPatch) as {
      metadata: { annotations: Record<string, string> };
    };
    const injected = applyPatch(pod as JsonValue, patch) as { metadata: { annotations: Record<string, string> } };
    expect(injected.metadata.annotations).toMatchObject(annotated.metadata.annotations);
    expect(injected.metadata.annotations["linkerd.io/proxy-version"]).toBe("dev-undefined");
  });

  for (const ns of ["namespace-with-opaque-ports.yaml", "namespace-inject-enabled.yaml"]) {
    it(`pod with its own opaque ports in ${ns}: keeps them`, async () => {
      const pod = readYamlObject("linkerd", "pod-with-opaque-ports.yaml");
      const patch = await send(pod, namespaceMeta(ns));
      expect(patch.some((op) => isAnnotationOp(op, "config.linkerd.io/opaque-ports"))).toBe(false);
      const injected = applyPatch(pod as JsonValue, patch) as { metadata: { annotations: Record<string, string> } };
      expect(injected.metadata.annotations["config.linkerd.io/opaque-ports"]).toBe("8080");
    });
  }

  it("filter-pod-opaque-ports.yaml: filtered-pod-opaque-ports.json", async () => {
    const patch = await send(
      readYamlObject("linkerd", "filter-pod-opaque-ports.yaml"),
      namespaceMeta("namespace-inject-disabled.yaml"),
    );
    expect(patch).toEqual(readJsonFixture("linkerd", "filtered-pod-opaque-ports.json"));
  });

  it("filter-service-opaque-ports.yaml: filtered-service-opaque-ports.json", async () => {
    const patch = await send(
      readYamlObject("linkerd", "filter-service-opaque-ports.yaml"),
      namespaceMeta("namespace-inject-disabled.yaml"),
    );
    expect(patch).toEqual(readJsonFixture("linkerd", "filtered-service-opaque-ports.json"));
  });
});
