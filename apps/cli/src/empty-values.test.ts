import { applyPatch, type JsonValue } from "@l5d-injector/injector-core";
import { describe, expect, it } from "vitest";
import { emptyValueRemovals } from "./empty-values.js";

function clean(before: JsonValue, after: JsonValue): JsonValue {
  return applyPatch(after, emptyValueRemovals(before, after));
}

describe("emptyValueRemovals", () => {
  it("drops the empty maps and lists a transform left, and the maps they emptied", () => {
    const before = { spec: { containers: [{ name: "app", env: [{ name: "A", value: "1" }] }] } };
    const after = {
      spec: {
        containers: [
          { name: "app", env: [] },
          { name: "proxy", securityContext: {}, resources: { limits: {} }, volumeMounts: [] },
        ],
        initContainers: [],
      },
    };
    expect(clean(before, after)).toEqual({ spec: { containers: [{ name: "app" }, { name: "proxy" }] } });
  });

  it("keeps what the user wrote empty, and emptyDir, whose empty map is the volume", () => {
    const before = { spec: { strategy: {}, containers: [{ name: "app", resources: {}, args: [] }] }, status: {} };
    const after = {
      spec: {
        strategy: {},
        containers: [{ name: "app", resources: {}, args: [] }],
        volumes: [{ name: "v", emptyDir: {} }],
      },
      status: {},
    };
    expect(clean(before, after)).toEqual(after);
  });

  it("keeps what the user wrote empty in the items of a List", () => {
    const before = {
      kind: "List",
      items: [
        { kind: "Deployment", spec: { strategy: {}, template: { spec: { containers: [{ name: "web", args: [] }] } } } },
      ],
    };
    const after = structuredClone(before) as { items: Array<{ spec: { template: { metadata?: unknown } } }> };
    (after.items[0] as { spec: { template: { metadata?: unknown } } }).spec.template.metadata = {
      annotations: { a: "b" },
      labels: {},
    };
    expect(clean(before, after as unknown as JsonValue)).toEqual({
      kind: "List",
      items: [
        {
          kind: "Deployment",
          spec: {
            strategy: {},
            template: { metadata: { annotations: { a: "b" } }, spec: { containers: [{ name: "web", args: [] }] } },
          },
        },
      ],
    });
  });

  it("finds the user's list items by name wherever they moved", () => {
    const before = { containers: [{ name: "app", ports: [] }] };
    const after = {
      containers: [
        { name: "proxy", ports: [] },
        { name: "app", ports: [] },
      ],
    };
    expect(clean(before, after)).toEqual({ containers: [{ name: "proxy" }, { name: "app", ports: [] }] });
  });
});
