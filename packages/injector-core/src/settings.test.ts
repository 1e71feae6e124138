import { describe, expect, it } from "vitest";
import { applyOverrides } from "./annotation-overrides.js";
import {
  FLAG_ANNOTATIONS,
  NAMESPACE_INHERITED,
  PROXY_ANNOTATIONS,
  PROXY_FLAGS,
  registryOverride,
  SETTING_BY_ANNOTATION,
  SETTINGS,
} from "./settings.js";
import type { JsonValue, ValuePath } from "./types.js";
import { checkValuePath, DEFAULT_VALUES, getValue } from "./values.js";

const read = (path: ValuePath) => getValue(DEFAULT_VALUES, path) as JsonValue | undefined;

function flag(name: string) {
  const found = PROXY_FLAGS.find((f) => f.name === name);
  if (found === undefined) throw new Error(`no flag --${name}`);
  return found;
}

describe("the settings registry", () => {
  it("names every setting's values path as the chart values have it", () => {
    for (const setting of Object.values(SETTINGS)) {
      if (setting.path !== null) expect(checkValuePath(DEFAULT_VALUES, setting.path)).toMatchObject({ ok: true });
    }
  });

  it("gives each annotation and each flag to one setting only", () => {
    const spellings = Object.values(SETTINGS).flatMap((s) => [s.annotation, ...s.legacy.map((l) => l.name)]);
    expect(new Set(spellings).size).toBe(spellings.length);
    expect(SETTING_BY_ANNOTATION.size).toBe(spellings.length);
    const names = PROXY_FLAGS.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it("lets a pod inherit Linkerd's proxy annotations, the alpha spellings and linkerd.io/inject from its namespace", () => {
    expect(new Set(NAMESPACE_INHERITED)).toEqual(
      new Set([
        ...PROXY_ANNOTATIONS,
        "config.alpha.linkerd.io/proxy-wait-before-exit-seconds",
        "config.alpha.linkerd.io/proxy-enable-native-sidecar",
        "linkerd.io/inject",
      ]),
    );
    expect(NAMESPACE_INHERITED).not.toContain("config.beta.linkerd.io/proxy-enable-native-sidecar");
  });

  it("applies the CPU → worker threads rule alike to an annotation and to a flag", () => {
    const annotated = applyOverrides(
      DEFAULT_VALUES,
      { [SETTINGS.cpuRequest.annotation]: "1500m", [SETTINGS.cpuLimit.annotation]: "2001m" },
      {},
    );
    expect(getValue(annotated.values, "proxy.runtime.workers.minimum")).toBe(2);
    expect(getValue(annotated.values, "proxy.runtime.workers.maximum")).toBe(3);
    expect(flag("proxy-cpu-request").apply("1500m", read)).toEqual({
      ok: true,
      changes: [
        { path: "proxy.resources.cpu.request", value: "1500m" },
        { path: "proxy.runtime.workers.minimum", value: 2 },
      ],
    });
    expect(flag("proxy-cpu-limit").apply("2001m", read)).toMatchObject({
      changes: [{}, { path: "proxy.runtime.workers.maximum", value: 3 }],
    });
  });

  it("makes the flags of annotation-only settings write the annotation, and reads it back with --manual", () => {
    expect(FLAG_ANNOTATIONS).toEqual([
      "config.linkerd.io/enable-debug-sidecar",
      "config.linkerd.io/close-wait-timeout",
    ]);
    expect(flag("enable-debug-sidecar").apply(true, read)).toEqual({
      ok: true,
      changes: [],
      annotations: { "config.linkerd.io/enable-debug-sidecar": "true" },
    });
    expect(flag("enable-debug-sidecar").apply(false, read)).toEqual({ ok: true, changes: [], annotations: {} });
    expect(flag("close-wait-timeout").apply("90s", read)).toEqual({
      ok: true,
      changes: [],
      annotations: { "config.linkerd.io/close-wait-timeout": "1m30s" },
    });
  });

  it("applies --registry after --proxy-image, so that it rewrites the image given there", () => {
    const order = PROXY_FLAGS.map((f) => f.name);
    expect(order.indexOf("registry")).toBeGreaterThan(order.indexOf("proxy-image"));
    expect(order.indexOf("proxy-cpu")).toBeGreaterThan(order.indexOf("proxy-cpu-request"));
    expect(order.indexOf("proxy-memory")).toBeGreaterThan(order.indexOf("proxy-memory-request"));
  });
});

describe("flag values", () => {
  it("takes ports and inclusive port ranges for the skip-ports and require-identity flags, and says what else is wrong", () => {
    for (const name of ["skip-inbound-ports", "skip-outbound-ports", "require-identity-on-inbound-ports"]) {
      expect(flag(name).apply("22,8100-8102", read)).toMatchObject({ ok: true });
      expect(flag(name).apply("", read)).toMatchObject({ ok: true });
      expect(flag(name).apply("abc,70000", read)).toEqual({
        ok: false,
        message: '"abc" is not a port (0-65535) or a port range (lower-upper, e.g. 8100-8102)',
      });
      expect(flag(name).apply("9000-8000", read)).toMatchObject({ ok: false });
    }
  });

  it("takes user IDs from 0 and group IDs from -1 (none), up to what Kubernetes allows", () => {
    expect(flag("proxy-uid").apply(0, read)).toMatchObject({ ok: true });
    expect(flag("proxy-uid").apply(-5, read)).toEqual({
      ok: false,
      message: 'must be a user ID, an integer from 0 to 2147483647; got "-5"',
    });
    expect(flag("proxy-uid").apply(2 ** 31, read)).toMatchObject({ ok: false });
    expect(flag("proxy-gid").apply(-1, read)).toMatchObject({ ok: true });
    expect(flag("proxy-gid").apply(-2, read)).toEqual({
      ok: false,
      message: 'must be a group ID, an integer from 0 to 2147483647, or -1 for none; got "-2"',
    });
  });

  it("marks the flags Linkerd deprecated with Linkerd's notices", () => {
    expect(flag("proxy-cpu").deprecated).toBe("use --proxy-cpu-request instead");
    expect(flag("proxy-memory").deprecated).toBe("use --proxy-memory-request instead");
    expect(flag("proxy-version").deprecated).toBeDefined();
  });
});

describe("registryOverride", () => {
  it("keeps the image's last path segment under the new registry", () => {
    expect(registryOverride("cr.l5d.io/linkerd/proxy", "my.io/mirror/")).toBe("my.io/mirror/proxy");
    expect(registryOverride("proxy", "my.io")).toBe("my.io/proxy");
  });
});
