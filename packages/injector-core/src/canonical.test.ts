import { describe, expect, it } from "vitest";
import { canonicalRemovals } from "./canonical.js";

describe("canonicalRemovals", () => {
  it("drops null and empty container resources, as Linkerd's typed output leaves them out", () => {
    const pod = { kind: "Pod", spec: { containers: [{ name: "a", resources: {} }, { name: "b", resources: null }, { name: "c", resources: { limits: { cpu: "1" } } }] } };
    expect(canonicalRemovals(pod)).toEqual([
      { op: "remove", path: "/spec/containers/0/resources" },
      { op: "remove", path: "/spec/containers/1/resources" },
    ]);
  });
});
