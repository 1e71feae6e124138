/**
 * The two entry points: `injectAdmission` for the webhook, `injectManifest` / `reinjectManifest` for the CLI. Options
 * that belong to the other one do not compile: the `@ts-expect-error` lines below fail the type check (`pnpm test`
 * runs it) the day such a combination is accepted again.
 */
import { describe, expect, it } from "vitest";
import { injectAdmission } from "./admission.js";
import { canonicalRemovals } from "./canonical.js";
import { injectManifest, reinjectManifest } from "./manifest.js";
import { applyPatch } from "./patch.js";
import { testConfiguration } from "./test-support/fixtures.js";
import type { AdmissionOptions, JsonObject, ManifestOptions } from "./types.js";

const configuration = testConfiguration();

const pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", namespace: "shop", labels: { app: "p" } },
  spec: { containers: [{ name: "app", image: "app", ports: [{ containerPort: 8080 }] }] },
};

describe("option combinations", () => {
  it("does not let the webhook ask for annotations only, or take the CLI's flags", () => {
    const rejected: AdmissionOptions[] = [
      // @ts-expect-error the webhook always injects the whole proxy
      { configuration, mode: "annotations" },
      // @ts-expect-error override annotations record the CLI's flags
      { configuration, overrideAnnotations: {} },
    ];
    expect(rejected).toHaveLength(2);
  });

  it("does not let a manifest take what only an admission request has", () => {
    const rejected: ManifestOptions[] = [
      // @ts-expect-error a manifest has no resolved owner
      { configuration, mode: "full", owner: { kind: "deployment", name: "web" } },
      // @ts-expect-error a manifest's Namespace annotations are not looked up
      { configuration, mode: "full", namespaceAnnotations: { "linkerd.io/inject": "enabled" } },
      // @ts-expect-error a manifest has no admission request namespace
      { configuration, mode: "full", namespace: "shop" },
      // @ts-expect-error annotations-only injection writes no created-by
      { configuration, mode: "annotations", createdBy: "my-tool" },
      // @ts-expect-error the mode is said, not defaulted
      { configuration },
    ];
    expect(rejected).toHaveLength(5);
  });
});

describe("both paths, one pod", () => {
  it("renders the same pod spec through the webhook and through the CLI", () => {
    const admitted = injectAdmission(pod, { configuration, namespaceAnnotations: { "linkerd.io/inject": "enabled" } });
    const manifest = reinjectManifest(pod, { configuration, mode: "full" });
    if (!admitted.ok || !manifest.ok) throw new Error("injection failed");
    // The CLI prints Kubernetes' canonical form; the API server reads the webhook's patch into the same.
    const canonical = applyPatch(admitted.object, canonicalRemovals(admitted.object)) as JsonObject;
    expect(canonical["spec"]).toEqual((manifest.object as JsonObject)["spec"]);
    expect(admitted.reports[0]?.outcome).toBe("injected");
    expect(manifest.reports[0]?.outcome).toBe("injected");
  });

  it("annotates for the webhook without rendering the proxy in annotations mode", () => {
    const result = injectManifest(pod, { configuration, mode: "annotations" });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.patch).toEqual([
      { op: "add", path: "/metadata/annotations", value: {} },
      { op: "add", path: "/metadata/annotations/linkerd.io~1inject", value: "enabled" },
    ]);
  });
});
