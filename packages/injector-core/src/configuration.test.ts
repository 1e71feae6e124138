import { describe, expect, it } from "vitest";
import { injectAdmission } from "./admission.js";
import { prepareConfiguration } from "./configuration.js";
import { injectManifest } from "./manifest.js";
import { SETTINGS } from "./settings.js";
import { sha256Hex } from "./sha256.js";
import { testConfiguration, TEST_TRUST_ANCHORS } from "./test-support/fixtures.js";
import type { JsonObject, JsonValue, PatchOperation } from "./types.js";
import { DEFAULT_VALUES, resolveValues } from "./values.js";

const deployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "shop" },
  spec: { template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "web" }] } } },
};

function withAnnotations(annotations: Record<string, string>) {
  const copy = structuredClone(deployment) as typeof deployment & {
    spec: { template: { metadata: { annotations?: object } } };
  };
  copy.spec.template.metadata.annotations = annotations;
  return copy;
}

function isDeeplyFrozen(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return true;
  return Object.isFrozen(value) && Object.values(value).every(isDeeplyFrozen);
}

/** The value a patch adds at a path ending with `suffix`. */
function added(patch: readonly PatchOperation[], suffix: string): JsonValue | undefined {
  const op = patch.find((o) => o.op === "add" && o.path.endsWith(suffix));
  return op?.op === "add" ? op.value : undefined;
}

function envValue(container: JsonValue | undefined, name: string): JsonValue | undefined {
  const env = (container as JsonObject)["env"] as JsonObject[];
  return env.find((e) => e["name"] === name)?.["value"];
}

describe("prepareConfiguration", () => {
  it("freezes the configuration deeply, and neither freezes nor changes the values it is given", () => {
    const resolved = resolveValues([{ identityTrustAnchorsPEM: TEST_TRUST_ANCHORS }]);
    if (!resolved.ok) throw new Error(JSON.stringify(resolved.issues));
    const before = structuredClone(resolved.values);
    const prepared = prepareConfiguration(resolved.values);
    if (!prepared.ok) throw new Error(JSON.stringify(prepared.issues));
    expect(isDeeplyFrozen(prepared.configuration)).toBe(true);
    expect(prepared.configuration.values).toEqual(resolved.values);
    expect(Object.isFrozen(resolved.values)).toBe(false);
    expect(resolved.values).toEqual(before);
  });

  it("reports values of the wrong type as issues with their path", () => {
    const wrong = { ...DEFAULT_VALUES, proxy: { ...DEFAULT_VALUES.proxy, uid: "x" } } as never;
    expect(prepareConfiguration(wrong)).toEqual({
      ok: false,
      issues: [{ code: "invalid_value_type", path: ["proxy", "uid"], message: 'expected number, got string "x"' }],
    });
  });

  it("hashes the trust anchors once, as the injected pods carry the hash", () => {
    const configuration = testConfiguration();
    expect(configuration.prepared.trustRootSha256).toBe(sha256Hex(TEST_TRUST_ANCHORS));
    const result = injectManifest(deployment, { configuration, mode: "full" });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(added(result.patch, "/linkerd.io~1trust-root-sha256")).toBe(configuration.prepared.trustRootSha256);
  });

  it("names the control plane's namespace in the proxy's addresses and labels", () => {
    const result = injectManifest(deployment, { configuration: testConfiguration({}, "mesh"), mode: "full" });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(added(result.patch, "/linkerd.io~1control-plane-ns")).toBe("mesh");
    expect(envValue(added(result.patch, "/initContainers/1"), "_l5d_ns")).toBe("mesh");
  });

  it("prepares values the templates refuse, and reports the refusal on each full injection only", () => {
    const prepared = prepareConfiguration(DEFAULT_VALUES);
    if (!prepared.ok) throw new Error(JSON.stringify(prepared.issues));
    const configuration = prepared.configuration;
    expect(injectManifest(deployment, { configuration, mode: "annotations" }).ok).toBe(true);
    expect(injectManifest(deployment, { configuration, mode: "full" })).toMatchObject({
      ok: false,
      issues: [
        {
          code: "render_failed",
          path: ["identityTrustAnchorsPEM"],
          message: "Please provide the identity trust anchors",
        },
      ],
    });
  });

  it("gives a pod that overrides no setting the containers prepared with the configuration", () => {
    const configuration = testConfiguration();
    const prepared = configuration.prepared.proxy;
    if (!prepared.ok) throw new Error(JSON.stringify(prepared.issues));
    const result = injectManifest(withAnnotations({ "example.com/team": "a" }), { configuration, mode: "full" });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(added(result.patch, "/initContainers/0")).toBe(prepared.template.init.container);
  });

  it("renders the proxy again for a pod whose annotations override settings", () => {
    const configuration = testConfiguration();
    const result = injectManifest(withAnnotations({ "config.linkerd.io/proxy-log-level": "debug" }), {
      configuration,
      mode: "full",
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(envValue(added(result.patch, "/initContainers/1"), "LINKERD2_PROXY_LOG")).toBe(
      "debug,[{headers}]=off,[{request}]=off",
    );
    const plain = injectManifest(deployment, { configuration, mode: "full" });
    if (!plain.ok) throw new Error(JSON.stringify(plain.issues));
    expect(envValue(added(plain.patch, "/initContainers/1"), "LINKERD2_PROXY_LOG")).toBe(
      "warn,linkerd=info,hickory=error,[{headers}]=off,[{request}]=off",
    );
  });

  it("gives two configurations in one process their own trust anchors", () => {
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p" },
      spec: { containers: [{ name: "p", image: "p" }] },
    };
    const options = { namespace: "shop", namespaceAnnotations: { "linkerd.io/inject": "enabled" } };
    const hashes = ["a", "b"].map((pem) => {
      const result = injectAdmission(pod, {
        ...options,
        configuration: testConfiguration({ identityTrustAnchorsPEM: pem }),
      });
      return result.ok ? added(result.patch, "/linkerd.io~1trust-root-sha256") : undefined;
    });
    expect(hashes).toEqual([sha256Hex("a"), sha256Hex("b")]);
  });
});

describe("settings a workload's annotations override", () => {
  // The configuration derives these once from its values; were an annotation to change them, pods would need them
  // derived again from their own values.
  const preparedOnce = ["identityTrustAnchorsPEM", "clusterNetworks", "proxy.inbound", "proxy.outbound"];

  it("never include what the configuration derives once", () => {
    const written = Object.values(SETTINGS).flatMap((setting) => [
      ...(setting.path === null ? [] : [setting.path]),
      ...(setting.drives?.("1").map((change) => change.path) ?? []),
    ]);
    const within = (path: string, top: string) => path === top || path.startsWith(`${top}.`);
    expect(written.filter((path) => preparedOnce.some((top) => within(path, top)))).toEqual([]);
    expect(written.length).toBeGreaterThan(30);
  });
});
