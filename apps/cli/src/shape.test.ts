import { describe, expect, it } from "vitest";
import type { JsonValue } from "@l5d-injector/injector-core";
import { checkShape } from "./shape.js";

const deployment = (template: JsonValue): JsonValue => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web" },
  spec: { template },
});

describe("checkShape", () => {
  it("accepts what Kubernetes' types hold, null for anything, and fields it does not know", () => {
    const template = {
      metadata: { labels: { app: "web" }, annotations: null },
      spec: {
        containers: [
          {
            name: "web",
            ports: [{ containerPort: 80 }],
            resources: { limits: { cpu: "100m", memory: 1e9 } },
            unknown: { x: 1 },
          },
        ],
      },
    };
    expect(checkShape(deployment(template))).toBeUndefined();
  });

  it("names the first field of the wrong type, with its path", () => {
    expect(checkShape(deployment({ metadata: { annotations: { "linkerd.io/inject": true } } }))).toEqual({
      path: 'spec.template.metadata.annotations["linkerd.io/inject"]',
      message: "expected a string, got the boolean true",
    });
    expect(checkShape(deployment({ spec: { hostNetwork: "yes" } }))).toEqual({
      path: "spec.template.spec.hostNetwork",
      message: 'expected a boolean (true or false), got the string "yes"',
    });
    expect(checkShape(deployment({ spec: { containers: [{ ports: [{ containerPort: 70000.5 }] }] } }))?.path).toBe(
      "spec.template.spec.containers[0].ports[0].containerPort",
    );
    expect(
      checkShape(deployment({ spec: { containers: [{ resources: { requests: { cpu: "lots" } } }] } }))?.message,
    ).toBe('expected a quantity (e.g. 100m, 0.5, 64Mi), got the string "lots"');
    expect(checkShape({ kind: "Pod", spec: "none" })).toEqual({
      path: "spec",
      message: 'expected a map, got the string "none"',
    });
  });

  it("checks the items of a List, and leaves kinds Linkerd does not decode alone", () => {
    expect(
      checkShape({
        kind: "List",
        items: [
          { kind: "ConfigMap", data: 1 },
          { kind: "Pod", spec: { containers: {} } },
        ],
      }),
    ).toEqual({
      path: "items[1].spec.containers",
      message: "expected a list of containers, got a map",
    });
    expect(checkShape({ kind: "ConfigMap", metadata: { labels: { a: 1 } } })).toBeUndefined();
    expect(checkShape("text")).toBeUndefined();
  });
});
