import { describe, expect, it } from "vitest";
import { injectAdmission } from "./admission.js";
import { injectManifest, uninjectManifest } from "./manifest.js";
import type { JsonValue } from "./types.js";
import { deepFreeze, testConfiguration } from "./test-support/fixtures.js";

const configuration = testConfiguration();

const deployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web" },
  spec: { template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "web" }] } } },
};

const list = deepFreeze({ apiVersion: "v1", kind: "List", metadata: {}, items: [null, deployment, null] }) as JsonValue;

describe("Lists with null items", () => {
  for (const origin of ["cli", "webhook"] as const) {
    it(`reports each null item as a document without a kind, in item order (${origin})`, () => {
      const result =
        origin === "cli"
          ? injectManifest(list, { configuration, mode: "full" })
          : injectAdmission(list, { configuration, namespace: "shop" });
      const reports = result.reports.map((r) => ({ missingKind: r.missingKind, kind: r.kind, outcome: r.outcome }));
      expect(reports).toEqual([
        { missingKind: true, kind: "", outcome: "skipped" },
        { missingKind: false, kind: "deployment", outcome: origin === "cli" ? "injected" : "skipped" },
        { missingKind: true, kind: "", outcome: "skipped" },
      ]);
    });
  }

  it("keeps null items where they are and patches only the other items", () => {
    const result = injectManifest(list, { configuration, mode: "full" });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.patch.every((op) => op.path.startsWith("/items/1/"))).toBe(true);
    const items = (result.object as { items: JsonValue[] }).items;
    expect(items[0]).toBeNull();
    expect(items[2]).toBeNull();
    expect(items).toHaveLength(3);
  });

  it("reports null items on uninject too, leaving them untouched", () => {
    const result = uninjectManifest(list);
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.reports.map((r) => r.missingKind)).toEqual([true, false, true]);
    expect(result.patch).toEqual([]);
  });
});
