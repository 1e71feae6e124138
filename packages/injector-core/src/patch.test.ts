import { describe, expect, it } from "vitest";
import { applyPatch as rfcApply } from "rfc6902";
import { applyPatch, pointer } from "./patch.js";
import type { JsonValue } from "./types.js";
import { injectAdmission } from "./admission.js";
import { sha256Hex } from "./sha256.js";
import { testConfiguration } from "./test-support/fixtures.js";

describe("JSON Patch", () => {
  it("escapes ~ and / in pointers (Linkerd leaves ~ unescaped)", () => {
    expect(pointer("metadata", "annotations", "a~b/c")).toBe("/metadata/annotations/a~0b~1c");
  });

  it("applies add, remove and replace without touching the input", () => {
    const input = Object.freeze({ a: Object.freeze([1, 2]) }) as unknown as JsonValue;
    const out = applyPatch(input, [
      { op: "add", path: "/a/-", value: 3 },
      { op: "add", path: "/a/0", value: 0 },
      { op: "remove", path: "/a/1" },
      { op: "replace", path: "/a/0", value: 9 },
      { op: "add", path: "/b~1c", value: {} },
    ]);
    expect(out).toEqual({ a: [9, 2, 3], "b/c": {} });
  });

  it("returns a document that shares nothing with the input or the patch", () => {
    const input = { a: { b: [1] }, untouched: { deep: { x: 1 } } };
    const value = { v: [1] };
    const out = applyPatch(input, [{ op: "add", path: "/a/c", value }]) as typeof input & { a: { c: typeof value } };
    out.untouched.deep.x = 2;
    out.a.c.v.push(2);
    out.a.b.push(2);
    expect(input).toEqual({ a: { b: [1] }, untouched: { deep: { x: 1 } } });
    expect(value).toEqual({ v: [1] });
  });

  it("copies a value the patch adds once per op, and lets later ops change it without reaching the patch", () => {
    const value = { env: [{ name: "A" }], nested: { x: 1 } };
    const out = applyPatch({ list: [] }, [
      { op: "add", path: "/list/-", value },
      { op: "add", path: "/list/-", value },
      { op: "add", path: "/list/0/env/-", value: { name: "B" } },
    ]) as { list: (typeof value)[] };
    const second = out.list[1];
    if (second !== undefined) second.nested.x = 2;
    expect(out.list[0]).toEqual({ env: [{ name: "A" }, { name: "B" }], nested: { x: 1 } });
    expect(out.list[1]).toEqual({ env: [{ name: "A" }], nested: { x: 2 } });
    expect(value).toEqual({ env: [{ name: "A" }], nested: { x: 1 } });
    expect(out.list[0]).not.toBe(value);
  });

  it("fails with ERR_PATCH when a path does not exist", () => {
    expect(() => applyPatch({}, [{ op: "remove", path: "/x" }])).toThrow(
      expect.objectContaining({ code: "ERR_PATCH" }),
    );
    expect(() => applyPatch({ a: [] }, [{ op: "add", path: "/a/3", value: 1 }])).toThrow(/out of range/);
  });

  it("emits patches that a standard RFC 6902 implementation applies to the same result", () => {
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", annotations: { "odd~key/x": 'a "quoted" value' } },
      spec: { containers: [{ name: "app", image: "app" }] },
    };
    const r = injectAdmission(pod, {
      configuration: testConfiguration(),
      namespace: "shop",
      namespaceAnnotations: { "linkerd.io/inject": "enabled", "config.linkerd.io/proxy-log-level": 'info,"x"' },
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    // The patch survives a JSON round trip (Linkerd's string templating would produce invalid JSON here).
    const wire = JSON.parse(JSON.stringify(r.patch));
    const copy = structuredClone(pod);
    const errors = rfcApply(copy, wire);
    expect(errors.every((e) => e === null)).toBe(true);
    expect(copy).toEqual(r.object);
  });
});

describe("sha256Hex", () => {
  it("matches known digests", () => {
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(sha256Hex("IdentityTrustAnchorsPEM")).toBe(
      "5090806bcf2daff5d54739ba02a8e7b919f7e62b2a46757e11089c916ec97fc2",
    );
    expect(sha256Hex("a".repeat(1000))).toBe("41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
  });
});
