import { describe, expect, it } from "vitest";
import { applyOverrides } from "./annotation-overrides.js";
import { formatIssue } from "./issues.js";
import { resolveValues, setValue } from "./values.js";
import { DEFAULT_VALUES } from "./values.js";

describe("issues", () => {
  it("keep the path out of the message, so that formatting names it once", () => {
    const r = resolveValues([{ proxy: { uid: "lots" } }]);
    expect(r).toEqual({
      ok: false,
      issues: [{ code: "invalid_value_type", path: ["proxy", "uid"], message: 'expected number, got string "lots"' }],
    });
    if (!r.ok) expect(r.issues.map(formatIssue)).toEqual(['proxy.uid: expected number, got string "lots"']);
  });

  it("name the annotation a warning is about in the path", () => {
    const { warnings } = applyOverrides(DEFAULT_VALUES, { "config.linkerd.io/admin-port": "http" }, {});
    expect(warnings).toEqual([
      {
        code: "invalid_annotation",
        path: ["config.linkerd.io/admin-port"],
        message: 'unable to parse "http" as a 32-bit integer',
      },
    ]);
    expect(warnings.map(formatIssue)).toEqual([
      'config.linkerd.io/admin-port: unable to parse "http" as a 32-bit integer',
    ]);
  });

  it("bracket list indexes and keys that are not plain names, as Kubernetes field paths do", () => {
    const set = setValue(DEFAULT_VALUES, "podAnnotations.example\\.com/team", { a: 1 });
    expect(!set.ok && set.issues.map(formatIssue)).toEqual([
      'podAnnotations[example.com/team]: expected string, got object {"a":1}',
    ]);
    expect(
      formatIssue({ code: "invalid_values", path: ["proxy", "additionalEnv", 0, "name"], message: "missing" }),
    ).toBe("proxy.additionalEnv[0].name: missing");
    expect(formatIssue({ code: "inject_refused", path: [], message: "failed to inject pod/p" })).toBe(
      "failed to inject pod/p",
    );
  });
});
