import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createVersionSkewGauge } from "./metrics.js";
import { compareVersions, describeSkew, formatVersion } from "./version-skew.js";

describe("compareVersions", () => {
  it("finds no skew when the configuration says the implemented version, or says none", () => {
    expect(compareVersions("edge-26.8.3", "edge-26.8.3")).toEqual({
      implemented: "edge-26.8.3",
      configured: "edge-26.8.3",
      skew: false,
    });
    expect(compareVersions("edge-26.8.3", undefined).skew).toBe(false);
    expect(compareVersions("edge-26.8.3", " ").skew).toBe(false);
  });

  it("finds a skew when linkerd-config says another version", () => {
    const versions = compareVersions("edge-26.8.3", "edge-26.9.1");
    expect(versions).toEqual({ implemented: "edge-26.8.3", configured: "edge-26.9.1", skew: true });
    expect(describeSkew(versions)).toBe(
      "version skew: linkerd-config says Linkerd edge-26.9.1, this webhook implements edge-26.8.3; injecting with the configured values as edge-26.8.3 would",
    );
  });
});

describe("formatVersion", () => {
  const base = { webhookVersion: "0.1.0", implemented: "edge-26.8.3", valuesPath: "/v" };

  it("names both versions and the skew", () => {
    expect(formatVersion({ ...base, configuration: { kind: "configured", linkerdVersion: "edge-26.9.1" } })).toBe(
      "l5d-injector-webhook 0.1.0\nimplements Linkerd edge-26.8.3\nconfiguration: /v: version skew: linkerd-config says Linkerd edge-26.9.1, this webhook implements edge-26.8.3; injecting with the configured values as edge-26.8.3 would\n",
    );
  });

  it("says when no values are mounted and when they cannot be read", () => {
    expect(formatVersion({ ...base, configuration: { kind: "not_mounted" } })).toContain(
      "configuration: /v not mounted: Linkerd's built-in values (edge-26.8.3)",
    );
    expect(formatVersion({ ...base, configuration: { kind: "unreadable", message: "EACCES" } })).toContain(
      "configuration: /v: EACCES",
    );
  });
});

describe("proxy_inject_linkerd_version_skew", () => {
  it("holds one series, both versions, 1 on a skew and 0 without", async () => {
    const registry = new Registry();
    const gauge = createVersionSkewGauge(registry);
    gauge.set("edge-26.8.3", "edge-26.9.1");
    expect(await registry.metrics()).toContain(
      'proxy_inject_linkerd_version_skew{implemented="edge-26.8.3",configured="edge-26.9.1"} 1',
    );
    gauge.set("edge-26.8.3", "edge-26.8.3");
    const text = await registry.metrics();
    expect(text).toContain('proxy_inject_linkerd_version_skew{implemented="edge-26.8.3",configured="edge-26.8.3"} 0');
    expect(text).not.toContain("edge-26.9.1");
  });
});
