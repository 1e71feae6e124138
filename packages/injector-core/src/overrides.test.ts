import { describe, expect, it } from "vitest";
import { overrideAnnotations } from "./overrides.js";
import { checkValuePath, DEFAULT_VALUES, setValue } from "./values.js";
import type { JsonValue, Values } from "./types.js";

function configured(sets: Record<string, JsonValue>): Values {
  let v: Values = DEFAULT_VALUES;
  for (const [text, value] of Object.entries(sets)) {
    const path = checkValuePath(v, text);
    if (!path.ok) throw new Error(JSON.stringify(path.issues));
    const r = setValue(v, path.path, value);
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    v = r.values;
  }
  return v;
}

describe("overrideAnnotations (spec §5.5)", () => {
  const cases: Array<[Record<string, JsonValue>, Record<string, string>]> = [
    [{ "proxy.image.version": "v2" }, { "config.linkerd.io/proxy-version": "v2" }],
    [{ "proxyInit.ignoreInboundPorts": "22" }, { "config.linkerd.io/skip-inbound-ports": "22" }],
    [{ "proxyInit.ignoreOutboundPorts": "5432" }, { "config.linkerd.io/skip-outbound-ports": "5432" }],
    [{ "proxy.ports.admin": 1 }, { "config.linkerd.io/admin-port": "1" }],
    [{ "proxy.ports.control": 2 }, { "config.linkerd.io/control-port": "2" }],
    [{ "proxy.ports.inbound": 3 }, { "config.linkerd.io/inbound-port": "3" }],
    [{ "proxy.ports.outbound": 4 }, { "config.linkerd.io/outbound-port": "4" }],
    [{ "proxy.opaquePorts": "3306" }, { "config.linkerd.io/opaque-ports": "3306" }],
    [{ "proxy.image.name": "r/proxy" }, { "config.linkerd.io/proxy-image": "r/proxy" }],
    [{ "debugContainer.image.name": "r/debug" }, { "config.linkerd.io/debug-image": "r/debug" }],
    [{ "debugContainer.image.version": "d1" }, { "config.linkerd.io/debug-image-version": "d1" }],
    [{ "proxy.image.pullPolicy": "Always" }, { "config.linkerd.io/image-pull-policy": "Always" }],
    [{ "proxy.uid": 7 }, { "config.linkerd.io/proxy-uid": "7" }],
    [{ "proxy.gid": 8 }, { "config.linkerd.io/proxy-gid": "8" }],
    [{ "proxy.gid": -5 }, {}],
    [{ "proxy.logLevel": "debug" }, { "config.linkerd.io/proxy-log-level": "debug" }],
    [{ "proxy.logFormat": "json" }, { "config.linkerd.io/proxy-log-format": "json" }],
    [
      { "proxy.requireIdentityOnInboundPorts": "80" },
      { "config.linkerd.io/proxy-require-identity-inbound-ports": "80" },
    ],
    [{ "proxy.enableExternalProfiles": true }, { "config.linkerd.io/enable-external-profiles": "true" }],
    [{ "proxy.metrics.hostnameLabels": true }, { "config.linkerd.io/proxy-metrics-hostname-labels": "true" }],
    [{ "proxy.isIngress": true }, { "linkerd.io/inject": "ingress" }],
    [{ "proxy.resources.cpu.request": "100m" }, { "config.linkerd.io/proxy-cpu-request": "100m" }],
    [{ "proxy.resources.cpu.limit": "1" }, { "config.linkerd.io/proxy-cpu-limit": "1" }],
    [{ "proxy.resources.memory.request": "64Mi" }, { "config.linkerd.io/proxy-memory-request": "64Mi" }],
    [{ "proxy.resources.memory.limit": "1Gi" }, { "config.linkerd.io/proxy-memory-limit": "1Gi" }],
    [{ "proxy.waitBeforeExitSeconds": 9 }, { "config.alpha.linkerd.io/proxy-wait-before-exit-seconds": "9" }],
    [{ "proxy.await": false }, { "config.linkerd.io/proxy-await": "disabled" }],
    [{ "proxy.defaultInboundPolicy": "deny" }, { "config.linkerd.io/default-inbound-policy": "deny" }],
    [{ "proxy.accessLog": "apache" }, { "config.linkerd.io/access-log": "apache" }],
    [{ "proxy.shutdownGracePeriod": "30s" }, { "config.linkerd.io/shutdown-grace-period": "30s" }],
    [{ "proxy.nativeSidecar": false }, { "config.linkerd.io/proxy-enable-native-sidecar": "false" }],
  ];
  for (const [sets, want] of cases) {
    it(`records ${Object.keys(sets).join(", ")}`, () => {
      expect(overrideAnnotations(configured(sets), DEFAULT_VALUES)).toEqual(want);
    });
  }

  it("records nothing when the values equal the base", () => {
    expect(overrideAnnotations(configured({ "proxy.ports.admin": 4191 }), DEFAULT_VALUES)).toEqual({});
  });
});
