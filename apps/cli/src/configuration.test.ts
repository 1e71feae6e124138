import { describe, expect, it } from "vitest";
import { getValue } from "@l5d-injector/injector-core";
import type { JsonValue, ValuePath } from "@l5d-injector/injector-core";
import { loadConfiguration, parseSet, type ConfigurationArgs, type FlagValue } from "./configuration.js";
import { runInject } from "./inject.js";
import { injectArgs, testdata, TOOL } from "./test-support/fixtures.js";
import { memoryIo } from "./test-support/memory-io.js";

const VALUES = testdata("values.yaml");

function args(overrides: Partial<ConfigurationArgs>): ConfigurationArgs {
  return {
    valuesFiles: ["values.yaml"],
    sets: [],
    ignoreCluster: false,
    linkerdNamespace: "linkerd",
    proxyFlags: {},
    ...overrides,
  };
}

async function configure(overrides: Partial<ConfigurationArgs>) {
  const result = await loadConfiguration(args(overrides), memoryIo({ files: { "values.yaml": VALUES } }));
  if (!result.ok) throw new Error(result.message);
  return result.configuration;
}

interface FlagCase {
  flags: Record<string, FlagValue>;
  annotations: Record<string, string>;
  values?: Record<string, JsonValue>;
}

// Spec §5.5: each flag sets its values path, and the values that differ from the base become annotations.
const FLAG_CASES: Record<string, FlagCase> = {
  "--proxy-version": {
    flags: { "proxy-version": "stable-9" },
    annotations: { "config.linkerd.io/proxy-version": "stable-9" },
    values: { "proxy.image.version": "stable-9" },
  },
  "--proxy-image": {
    flags: { "proxy-image": "example.io/proxy" },
    annotations: { "config.linkerd.io/proxy-image": "example.io/proxy" },
    values: { "proxy.image.name": "example.io/proxy" },
  },
  "--registry": {
    flags: { registry: "registry.example.io/mirror" },
    annotations: {
      "config.linkerd.io/proxy-image": "registry.example.io/mirror/proxy",
      "config.linkerd.io/debug-image": "registry.example.io/mirror/debug",
    },
  },
  "--registry after --proxy-image": {
    flags: { "proxy-image": "a.io/team/custom-proxy", registry: "b.io" },
    annotations: {
      "config.linkerd.io/proxy-image": "b.io/custom-proxy",
      "config.linkerd.io/debug-image": "b.io/debug",
    },
  },
  "--image-pull-policy": {
    flags: { "image-pull-policy": "Always" },
    annotations: { "config.linkerd.io/image-pull-policy": "Always" },
    values: {
      imagePullPolicy: "Always",
      "proxy.image.pullPolicy": "Always",
      "debugContainer.image.pullPolicy": "Always",
    },
  },
  "--inbound-port": {
    flags: { "inbound-port": "5143" },
    annotations: { "config.linkerd.io/inbound-port": "5143" },
    values: { "proxy.ports.inbound": 5143 },
  },
  "--outbound-port": { flags: { "outbound-port": "5140" }, annotations: { "config.linkerd.io/outbound-port": "5140" } },
  "--admin-port": { flags: { "admin-port": "1234" }, annotations: { "config.linkerd.io/admin-port": "1234" } },
  "--control-port": { flags: { "control-port": "5190" }, annotations: { "config.linkerd.io/control-port": "5190" } },
  "--skip-inbound-ports": {
    flags: { "skip-inbound-ports": ["22,8100-8102", "9000"] },
    annotations: { "config.linkerd.io/skip-inbound-ports": "22,8100-8102,9000" },
    values: { "proxyInit.ignoreInboundPorts": "22,8100-8102,9000" },
  },
  "--skip-outbound-ports": {
    flags: { "skip-outbound-ports": "5432" },
    annotations: { "config.linkerd.io/skip-outbound-ports": "5432" },
    values: { "proxyInit.ignoreOutboundPorts": "5432" },
  },
  "--proxy-uid": { flags: { "proxy-uid": "3000" }, annotations: { "config.linkerd.io/proxy-uid": "3000" } },
  "--proxy-gid": { flags: { "proxy-gid": "3001" }, annotations: { "config.linkerd.io/proxy-gid": "3001" } },
  "--proxy-log-level": {
    flags: { "proxy-log-level": "debug,linkerd=trace" },
    annotations: { "config.linkerd.io/proxy-log-level": "debug,linkerd=trace" },
  },
  "--proxy-log-format": {
    flags: { "proxy-log-format": "json" },
    annotations: { "config.linkerd.io/proxy-log-format": "json" },
  },
  "--proxy-cpu-request": {
    flags: { "proxy-cpu-request": "1500m" },
    annotations: { "config.linkerd.io/proxy-cpu-request": "1500m" },
    values: { "proxy.resources.cpu.request": "1500m", "proxy.runtime.workers.minimum": 2 },
  },
  "--proxy-cpu-limit": {
    flags: { "proxy-cpu-limit": "2" },
    annotations: { "config.linkerd.io/proxy-cpu-limit": "2" },
    values: { "proxy.resources.cpu.limit": "2", "proxy.runtime.workers.maximum": 2 },
  },
  "--proxy-cpu-limit with surrounding spaces (written trimmed)": {
    flags: { "proxy-cpu-limit": " 2 " },
    annotations: { "config.linkerd.io/proxy-cpu-limit": "2" },
    values: { "proxy.resources.cpu.limit": "2", "proxy.runtime.workers.maximum": 2 },
  },
  "--proxy-cpu-limit below a millicore (one core, as Kubernetes rounds up)": {
    flags: { "proxy-cpu-limit": "0.0000001" },
    annotations: { "config.linkerd.io/proxy-cpu-limit": "0.0000001" },
    values: { "proxy.resources.cpu.limit": "0.0000001", "proxy.runtime.workers.maximum": 1 },
  },
  "--proxy-memory-request": {
    flags: { "proxy-memory-request": "64Mi" },
    annotations: { "config.linkerd.io/proxy-memory-request": "64Mi" },
  },
  "--proxy-memory-limit": {
    flags: { "proxy-memory-limit": "128Mi" },
    annotations: { "config.linkerd.io/proxy-memory-limit": "128Mi" },
  },
  "--enable-external-profiles": {
    flags: { "enable-external-profiles": true },
    annotations: { "config.linkerd.io/enable-external-profiles": "true" },
  },
  "--default-inbound-policy": {
    flags: { "default-inbound-policy": "all-authenticated" },
    annotations: { "config.linkerd.io/default-inbound-policy": "all-authenticated" },
  },
  "--wait-before-exit-seconds": {
    flags: { "wait-before-exit-seconds": "10" },
    annotations: { "config.alpha.linkerd.io/proxy-wait-before-exit-seconds": "10" },
  },
  "--require-identity-on-inbound-ports": {
    flags: { "require-identity-on-inbound-ports": ["8080", "9090"] },
    annotations: { "config.linkerd.io/proxy-require-identity-inbound-ports": "8080,9090" },
  },
  "--ingress": {
    flags: { ingress: true },
    annotations: { "linkerd.io/inject": "ingress" },
    values: { "proxy.isIngress": true },
  },
  "--opaque-ports": {
    flags: { "opaque-ports": "3306,5000-6000,mysql" },
    annotations: { "config.linkerd.io/opaque-ports": "3306,5000-6000,mysql" },
  },
  "--native-sidecar=false": {
    flags: { "native-sidecar": false },
    annotations: { "config.linkerd.io/proxy-enable-native-sidecar": "false" },
    values: { "proxy.nativeSidecar": false },
  },
  "--proxy-cpu (deprecated)": {
    flags: { "proxy-cpu": "100m" },
    annotations: { "config.linkerd.io/proxy-cpu-request": "100m" },
  },
  "--proxy-memory (deprecated)": {
    flags: { "proxy-memory": "32Mi" },
    annotations: { "config.linkerd.io/proxy-memory-request": "32Mi" },
  },
};

describe("proxy flags", () => {
  for (const [name, { flags, annotations, values }] of Object.entries(FLAG_CASES)) {
    it(`${name} sets its value and its annotation`, async () => {
      const configuration = await configure({ proxyFlags: flags });
      expect(configuration.annotations).toEqual(annotations);
      for (const [path, value] of Object.entries(values ?? {})) {
        expect(getValue(configuration.configured, path as ValuePath)).toEqual(value);
      }
    });
  }

  it("records nothing for a flag set to the value the cluster already has", async () => {
    const configuration = await configure({ proxyFlags: { "admin-port": "4191", "native-sidecar": true } });
    expect(configuration.annotations).toEqual({});
  });

  it("--enable-debug-sidecar and --close-wait-timeout add their annotations, the duration in Go form", async () => {
    const configuration = await configure({
      proxyFlags: { "enable-debug-sidecar": true, "close-wait-timeout": "90s" },
    });
    expect(configuration.annotations).toEqual({
      "config.linkerd.io/enable-debug-sidecar": "true",
      "config.linkerd.io/close-wait-timeout": "1m30s",
    });
  });

  it("--set overrides after the flags and is recorded the same way", async () => {
    const configuration = await configure({ proxyFlags: { "admin-port": "1000" }, sets: ["proxy.ports.admin=2000"] });
    expect(configuration.annotations).toEqual({ "config.linkerd.io/admin-port": "2000" });
  });

  it("reports bad flag values with the flag's name", async () => {
    const cases: Array<[Partial<ConfigurationArgs>, string]> = [
      [{ proxyFlags: { "admin-port": "http" } }, '--admin-port: must be a port number (0-65535), got "http"'],
      [
        { proxyFlags: { "proxy-cpu-request": "lots" } },
        '--proxy-cpu-request: "lots" is not a Kubernetes quantity (e.g. 100m, 0.5, 64Mi)',
      ],
      [
        { proxyFlags: { "proxy-cpu-request": "1e400" } },
        '--proxy-cpu-request: "1e400" is not a Kubernetes quantity (e.g. 100m, 0.5, 64Mi)',
      ],
      [
        { proxyFlags: { "proxy-cpu-limit": "1e300" } },
        '--proxy-cpu-limit: "1e300" is more CPU cores than the proxy can be given',
      ],
      [{ proxyFlags: { "proxy-log-level": "" } }, "--proxy-log-level: must not be empty"],
      [
        { proxyFlags: { "wait-before-exit-seconds": "-1" } },
        '--wait-before-exit-seconds: must be an integer >= 0, got "-1"',
      ],
      [
        { proxyFlags: { "proxy-cpu-request": "2", "proxy-cpu-limit": "1" } },
        "the cpu limit '1' cannot be lower than the cpu request '2'",
      ],
      [
        { proxyFlags: { "close-wait-timeout": "10" } },
        '--close-wait-timeout: "10" is not a Go duration (e.g. 90s, 1m30s, 2h)',
      ],
    ];
    for (const [overrides, message] of cases) {
      const result = await loadConfiguration(args(overrides), memoryIo({ files: { "values.yaml": VALUES } }));
      expect(result).toEqual({ ok: false, message });
    }
  });

  it("puts each annotation on the pod template of the output", async () => {
    const io = memoryIo({ files: { "values.yaml": VALUES, "manifest.yaml": testdata("deployment.yaml") } });
    const code = await runInject(
      injectArgs({
        proxyFlags: { "proxy-cpu-request": "1500m", "opaque-ports": "3306", "enable-debug-sidecar": true },
      }),
      io,
      TOOL,
    );
    expect(code).toBe(0);
    expect(io.stdoutText()).toContain(
      [
        "      annotations:",
        '        config.linkerd.io/enable-debug-sidecar: "true"',
        '        config.linkerd.io/opaque-ports: "3306"',
        "        config.linkerd.io/proxy-cpu-request: 1500m",
        "        linkerd.io/inject: enabled",
      ].join("\n"),
    );
  });
});

describe("parseSet", () => {
  const read = (path: string): JsonValue | undefined =>
    ({ "proxy.ports.admin": 4191, "proxy.resources.cpu.request": "", "proxyInit.ignoreInboundPorts": "" })[path];

  it("reads VALUE as a YAML scalar", () => {
    expect(parseSet("proxy.ports.admin=1234", read)).toEqual({ ok: true, path: "proxy.ports.admin", value: 1234 });
    expect(parseSet("cniEnabled=true", read)).toEqual({ ok: true, path: "cniEnabled", value: true });
    expect(parseSet("proxyInit.ignoreInboundPorts=22,8100-8102", read)).toEqual({
      ok: true,
      path: "proxyInit.ignoreInboundPorts",
      value: "22,8100-8102",
    });
    expect(parseSet("proxyInit.ignoreInboundPorts=", read)).toEqual({
      ok: true,
      path: "proxyInit.ignoreInboundPorts",
      value: "",
    });
  });

  it("takes a multi-line VALUE for a string setting as written", () => {
    const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    const current = (path: string) => (path === "identityTrustAnchorsPEM" ? "" : undefined);
    expect(parseSet(`identityTrustAnchorsPEM=${pem}`, current)).toEqual({
      ok: true,
      path: "identityTrustAnchorsPEM",
      value: pem,
    });
  });

  it("keeps the text of a number given for a string value", () => {
    expect(parseSet("proxy.resources.cpu.request=1", read)).toEqual({
      ok: true,
      path: "proxy.resources.cpu.request",
      value: "1",
    });
  });
});
