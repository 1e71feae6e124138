import { injectAdmission, type JsonValue, type PatchOperation } from "@l5d-injector/injector-core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createPatchEncoder } from "./patch-text.js";
import { readJsonFixture, readYamlObject, testConfiguration } from "./test-support/harness.js";

const add = (value: unknown): PatchOperation[] => [{ op: "add", path: "/x", value: value as JsonValue }];

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

describe("createPatchEncoder", () => {
  it("writes what JSON.stringify writes for the injections of Linkerd's fixtures, the first time and after", () => {
    const configuration = testConfiguration();
    const encode = createPatchEncoder();
    const pods = [
      readYamlObject("linkerd", "pod-inject-enabled.yaml"),
      readYamlObject("linkerd", "pod-with-debug-disabled.yaml"),
      readYamlObject("linkerd", "pod-without-opaque-ports.yaml"),
      readYamlObject("linkerd", "filter-pod-opaque-ports.yaml"),
      (readJsonFixture("reviews", "pod-deployment.json") as { request: { object: Record<string, unknown> } }).request
        .object,
    ];
    for (let round = 0; round < 2; round++) {
      for (const pod of pods) {
        const result = injectAdmission(pod as JsonValue, {
          configuration,
          namespace: "kube-public",
          namespaceAnnotations: { "linkerd.io/inject": "enabled" },
          owner: { kind: "deployment", name: "owner" },
          createdBy: "l5d-injector/webhook 0.1.0",
        });
        if (!result.ok) throw new Error(JSON.stringify(result.issues));
        expect(result.patch.length).toBeGreaterThan(5);
        expect(encode(result.patch)).toBe(JSON.stringify(result.patch));
      }
    }
  });

  it("writes what JSON.stringify writes for any JSON, frozen or not", () => {
    const encode = createPatchEncoder();
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, freeze) => {
        const patch = add(freeze ? deepFreeze(value) : value);
        expect(encode(patch)).toBe(JSON.stringify(patch));
        expect(encode(patch)).toBe(JSON.stringify(patch));
      }),
    );
  });

  it("writes the odd cases as JSON.stringify does", () => {
    const encode = createPatchEncoder();
    const holey: unknown[] = [1];
    holey[3] = 2;
    const odd = [
      JSON.parse('{"__proto__": {"a": 1}, "b": 2}'),
      { 'quote"and\\back\nslash': "é ✓ \u2028", 2: "integer keys first", a: undefined, f: () => 1 },
      [undefined, () => 1, Symbol("s"), Number.NaN, -0, 1e21],
      holey,
      { toJSON: () => "custom" },
      { date: new Date(0) },
      Object.create(null),
      { toJSON: "not a function" },
    ];
    for (const value of odd) {
      const patch = add(value);
      expect(encode(patch)).toBe(JSON.stringify(patch));
    }
    expect(encode([{ op: "remove", path: "/a" }])).toBe('[{"op":"remove","path":"/a"}]');
    expect(encode([])).toBe("[]");
  });

  it("never reuses the text of a frozen value whose insides can still change", () => {
    const encode = createPatchEncoder();
    const inner = { value: "before" };
    const shallow = Object.freeze({ inner });
    expect(encode(add(shallow))).toContain("before");
    inner.value = "after";
    expect(encode(add(shallow))).toContain("after");
    expect(encode(add(shallow))).not.toContain("before");
  });
});
