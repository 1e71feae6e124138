/**
 * Typed Kubernetes objects go in without casts and come out with their type: `tsc` checks this file (the core's
 * typecheck covers its tests), and the tests check that the runtime matches the types.
 */
import type { V1Deployment, V1Pod } from "@kubernetes/client-node";
import { Deployment } from "kubernetes-models/apps/v1";
import { Pod } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { injectAdmission } from "./admission.js";
import { injectManifest, reinjectManifest, uninjectManifest } from "./manifest.js";
import type { JsonValue } from "./types.js";
import { testConfiguration } from "./test-support/fixtures.js";

const options = { configuration: testConfiguration(), mode: "full" } as const;

function modelsDeployment(): Deployment {
  return new Deployment({
    metadata: { name: "web", namespace: "shop" },
    spec: {
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "web" }] } },
    },
  });
}

describe("typed inputs", () => {
  it("injects a kubernetes-models Deployment and returns a Deployment", () => {
    const input = modelsDeployment();
    const result = injectManifest(input, options);
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const out: Deployment = result.object;
    expect(out).toBeInstanceOf(Deployment);
    expect(out.spec?.template.spec?.initContainers?.map((c) => c.name)).toEqual(["linkerd-init", "linkerd-proxy"]);
    expect(() => out.validate()).not.toThrow();
    expect(input.spec?.template.spec?.initContainers).toBeUndefined();
  });

  it("keeps the Dates of a @kubernetes/client-node object as Dates", () => {
    const input: V1Deployment = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", creationTimestamp: new Date("2026-01-02T03:04:05Z") },
      spec: {
        selector: { matchLabels: { app: "web" } },
        template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "web" }] } },
      },
    };
    const result = injectManifest(input, options);
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const created = result.object.metadata?.creationTimestamp;
    expect(created).toBeInstanceOf(Date);
    expect(created?.toISOString()).toBe("2026-01-02T03:04:05.000Z");
    expect(created).not.toBe(input.metadata?.creationTimestamp);
    expect(result.object.spec?.template.spec?.initContainers?.map((c) => c.name)).toEqual([
      "linkerd-init",
      "linkerd-proxy",
    ]);
  });

  it("uninjects a typed Pod back to an equal Pod", () => {
    const pod = new Pod({ metadata: { name: "p" }, spec: { containers: [{ name: "p", image: "p" }] } });
    const injected = injectManifest(pod, options);
    if (!injected.ok) throw new Error(JSON.stringify(injected.issues));
    const result = uninjectManifest(injected.object);
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.object).toBeInstanceOf(Pod);
    expect(result.object.toJSON()).toEqual(pod.toJSON());
  });

  it("re-injects a kubernetes-models Deployment, as the CLI does, and returns a Deployment", () => {
    const result = reinjectManifest(modelsDeployment(), options);
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const again = reinjectManifest(result.object, options);
    if (!again.ok) throw new Error(JSON.stringify(again.issues));
    const out: Deployment = again.object;
    expect(out).toBeInstanceOf(Deployment);
    expect(out.toJSON()).toEqual(result.object.toJSON());
  });

  it("admits a @kubernetes/client-node V1Pod and returns a V1Pod", () => {
    const pod: V1Pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p" },
      spec: { containers: [{ name: "p", image: "p" }] },
    };
    const result = injectAdmission(pod, {
      configuration: options.configuration,
      namespace: "shop",
      namespaceAnnotations: { "linkerd.io/inject": "enabled" },
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const out: V1Pod = result.object;
    expect(out.metadata?.labels?.["linkerd.io/workload-ns"]).toBe("shop");
  });

  it("still takes and returns plain JSON values", () => {
    const input: JsonValue = { kind: "ConfigMap", metadata: { name: "c" } };
    const result = injectManifest(input, options);
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const out: JsonValue = result.object;
    expect(out).toEqual(input);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });
});
