import { describe, expect, it } from "vitest";
import { canonicalRemovals } from "./canonical.js";
import type { JsonValue } from "./types.js";

describe("canonicalRemovals", () => {
  it("drops null and empty container resources, as Linkerd's typed output leaves them out", () => {
    const pod = {
      kind: "Pod",
      spec: {
        containers: [
          { name: "a", resources: {} },
          { name: "b", resources: null },
          { name: "c", resources: { limits: { cpu: "1" } } },
        ],
      },
    };
    expect(canonicalRemovals(pod)).toEqual([
      { op: "remove", path: "/spec/containers/0/resources" },
      { op: "remove", path: "/spec/containers/1/resources" },
    ]);
  });

  it("drops the zero values Kubernetes' serialisation leaves out, and keeps the others", () => {
    const pod = {
      kind: "Pod",
      spec: {
        hostNetwork: false,
        hostPID: true,
        containers: [
          {
            name: "a",
            tty: false,
            resources: null,
            env: [
              { name: "A", value: "" },
              { name: "B", value: "b" },
            ],
          },
        ],
      },
    };
    expect(canonicalRemovals(pod)).toEqual([
      { op: "remove", path: "/spec/hostNetwork" },
      { op: "remove", path: "/spec/containers/0/tty" },
      { op: "remove", path: "/spec/containers/0/resources" },
      { op: "remove", path: "/spec/containers/0/env/0/value" },
    ]);
  });

  it("names each entry of a list by its own place, even when two entries are one object (a YAML alias)", () => {
    const empty = { name: "A", value: "" };
    const mount = { name: "m", mountPath: "/m", readOnly: false };
    const pod = {
      kind: "Pod",
      spec: { containers: [{ name: "a", env: [empty, empty], volumeMounts: [mount, mount] }] },
    } as JsonValue;
    expect(canonicalRemovals(pod).map((op) => op.path)).toEqual([
      "/spec/containers/0/env/0/value",
      "/spec/containers/0/env/1/value",
      "/spec/containers/0/volumeMounts/0/readOnly",
      "/spec/containers/0/volumeMounts/1/readOnly",
    ]);
  });
});
