import { setFlagsFromString } from "node:v8";
import { describe, expect, it } from "vitest";
import { A, NAMESPACE_INHERITED, PROXY_ANNOTATIONS } from "./settings.js";
import { applyOverrides, isValidProxyAnnotationValue } from "./annotation-overrides.js";
import type { JsonObject } from "./types.js";
import { DEFAULT_VALUES } from "./values.js";

const POD_SPEC: JsonObject = { containers: [{ name: "db", ports: [{ name: "mysql", containerPort: 3306 }] }] };

/** Values that some setter accepts and others refuse, to compare the check with the setters themselves. */
const SAMPLES = [
  "",
  " ",
  "0",
  "1",
  "-1",
  "4191",
  "99999999999",
  "true",
  "yes",
  "enabled",
  "maybe",
  "deny",
  "1500m",
  " 2 ",
  "1e400",
  "1e300",
  "64Mi",
  "10",
  "6s5ms",
  "-1s",
  "mysql",
  "3306,mysql",
  "notaport",
  "0.5",
  "[]",
  '[{"name":"A","value":"b"}]',
  "{not json",
  "x".repeat(300),
];

describe("isValidProxyAnnotationValue", () => {
  it("accepts the values the injector uses", () => {
    const valid: Array<[string, string]> = [
      [A.adminPort, "4191"],
      [A.cpuRequest, "100m"],
      [A.cpuLimit, " 2 "],
      [A.memoryLimit, "64Mi"],
      [A.outboundConnectTimeout, "6s5ms"],
      [A.hostnameLabels, "true"],
      [A.await, "disabled"],
      [A.defaultInboundPolicy, "deny"],
      [A.opaquePorts, "3306,5000-6000"],
      [A.proxyImage, "anything/at:all"],
      ["config.beta.linkerd.io/proxy-enable-native-sidecar", "false"],
      [A.additionalEnv, '[{"name":"A","value":"b"}]'],
      [A.podInboundPorts, "whatever"],
    ];
    for (const [key, value] of valid) expect([key, isValidProxyAnnotationValue(key, value)]).toEqual([key, true]);
  });

  it("refuses the values the injector warns about and ignores", () => {
    const invalid: Array<[string, string]> = [
      [A.adminPort, "http"],
      [A.cpuRequest, "1e400"],
      [A.cpuLimit, "1e300"],
      [A.memoryRequest, "lots"],
      [A.outboundConnectTimeout, "10"],
      [A.hostnameLabels, "yes"],
      [A.await, "maybe"],
      [A.defaultInboundPolicy, "everyone"],
      [A.opaquePorts, "3306,notaport"],
      [A.nativeSidecar, "maybe"],
      [A.additionalEnv, "{not json"],
      [A.additionalEnv, '{"name":"A"}'],
    ];
    for (const [key, value] of invalid) expect([key, isValidProxyAnnotationValue(key, value)]).toEqual([key, false]);
  });

  it("accepts named opaque ports only when the pod names them", () => {
    expect(isValidProxyAnnotationValue(A.opaquePorts, "mysql,8080", POD_SPEC)).toBe(true);
    expect(isValidProxyAnnotationValue(A.opaquePorts, "mysql,8080")).toBe(false);
  });

  it("refuses keys the injector does not read", () => {
    expect(isValidProxyAnnotationValue("config.linkerd.io/invalid-key", "1")).toBe(false);
    expect(isValidProxyAnnotationValue("linkerd.io/inject", "enabled")).toBe(false);
    expect(isValidProxyAnnotationValue("toString", "x")).toBe(false);
  });

  it("agrees with the warnings of applying the annotation, for every annotation a pod may carry", () => {
    const keys = [...new Set([...PROXY_ANNOTATIONS, ...NAMESPACE_INHERITED])].filter((k) => k !== "linkerd.io/inject");
    for (const key of keys) {
      for (const value of SAMPLES) {
        // The additional env reaches the setters as a layer, not as an annotation (spec §1.7).
        const applied =
          key === A.additionalEnv
            ? applyOverrides(DEFAULT_VALUES, {}, POD_SPEC, [value])
            : applyOverrides(DEFAULT_VALUES, { [key]: value }, POD_SPEC);
        expect([key, value, isValidProxyAnnotationValue(key, value, POD_SPEC)]).toEqual([
          key,
          value,
          applied.warnings.length === 0,
        ]);
      }
    }
  });
});

describe("applyOverrides", () => {
  it("lists what it sets, and copies the values only when they are read, never touching the base", () => {
    const base = structuredClone(DEFAULT_VALUES);
    const before = JSON.stringify(base);
    const result = applyOverrides(base, { [A.opaquePorts]: "3306,mysql" }, POD_SPEC);
    expect([...result.changes]).toEqual([["proxy.opaquePorts", "3306,3306"]]);
    expect(result.changed).toBe(true);
    expect(result.values.proxy?.opaquePorts).toBe("3306,3306");
    expect(result.values).toBe(result.values);
    expect(result.values.proxy?.image).toBe(base.proxy?.image);
    expect(JSON.stringify(base)).toBe(before);
  });

  it("lists each path once, with the value the copied values hold there", () => {
    const result = applyOverrides(
      DEFAULT_VALUES,
      { [A.cpuRequest]: "100m", [A.uid]: "2102", [A.cpuLimit]: "1500m", [A.cpuRatioLimit]: "0.5" },
      POD_SPEC,
    );
    const paths = [...result.changes.keys()];
    expect(paths.length).toBeGreaterThanOrEqual(4);
    expect(new Set(paths).size).toBe(paths.length);
    for (const [path, value] of result.changes) {
      const [first, ...rest] = path.split(".");
      let node: unknown = (result.values as unknown as Record<string, unknown>)[first as string];
      for (const part of rest) node = (node as Record<string, unknown>)[part];
      expect(node).toEqual(value);
    }
  });

  it("changes nothing for a pod without override annotations", () => {
    const result = applyOverrides(DEFAULT_VALUES, { "linkerd.io/inject": "enabled" }, POD_SPEC);
    expect(result.changed).toBe(false);
    expect(result.changes.size).toBe(0);
    expect(result.values).toBe(DEFAULT_VALUES);
  });

  it("returns an object with fast properties, so that a pod's values die young", () => {
    // An object literal with a getter is kept in dictionary mode, and what it held survived young-generation
    // collections: in a loop of injections, 1.3 MB promoted per scavenge instead of nothing.
    setFlagsFromString("--allow-natives-syntax");
    const hasFastProperties = new Function("o", "return %HasFastProperties(o)") as (o: object) => boolean;
    const result = applyOverrides(DEFAULT_VALUES, { [A.opaquePorts]: "3306" }, POD_SPEC);
    expect(hasFastProperties(result)).toBe(true);
  });
});
