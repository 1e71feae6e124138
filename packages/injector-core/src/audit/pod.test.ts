import { describe, expect, it } from "vitest";
import { injectAdmission } from "../admission.js";
import { DEFAULT_INJECTOR_WEBHOOK_CONFIGURATION } from "../explain/webhooks.js";
import type { Configuration } from "../configuration.js";
import { deepFreeze, testConfiguration } from "../test-support/fixtures.js";
import { asStored } from "../test-support/stored-pod.js";
import type { JsonObject, JsonValue } from "../types.js";
import { auditPod } from "./pod.js";

const ENABLED = { "linkerd.io/inject": "enabled" };
const namespace = { name: "shop", annotations: ENABLED };
const owner = { kind: "deployment", name: "web" };

/** A pod as its ReplicaSet creates it, before admission. */
function appPod(extra: { annotations?: Record<string, string>; spec?: JsonObject } = {}): JsonObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "web-7d9c-abcde",
      generateName: "web-7d9c-",
      namespace: "shop",
      labels: { app: "web", "pod-template-hash": "7d9c" },
      ...(extra.annotations === undefined ? {} : { annotations: extra.annotations }),
      ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-7d9c", uid: "1", controller: true }],
    },
    spec: {
      containers: [
        {
          name: "app",
          image: "ghcr.io/example/web:1.2",
          ports: [{ containerPort: 8080, name: "http" }],
          readinessProbe: { httpGet: { path: "/ready", port: 8080 } },
        },
      ],
      ...extra.spec,
    },
  };
}

/** The pod as the API server stores it after the webhook injected it with `configuration`. */
function meshedPod(configuration: Configuration, pod: JsonObject = appPod()): JsonObject {
  const admitted = injectAdmission(asStored(pod), {
    configuration,
    namespace: "shop",
    namespaceAnnotations: ENABLED,
    owner,
    createdBy: "l5d-injector/webhook 0.1.0",
  });
  if (!admitted.ok) throw new Error(JSON.stringify(admitted.issues));
  return deepFreeze(asStored(admitted.object));
}

const classic = testConfiguration({ proxy: { nativeSidecar: false } });
const native = testConfiguration();

describe("auditPod", () => {
  it("says meshed for a stored pod the webhook injected with the current configuration", () => {
    for (const configuration of [classic, native]) {
      expect(auditPod(meshedPod(configuration), { configuration, namespace, owner })).toEqual({
        status: "meshed",
        reason: "proxy_up_to_date",
        detail: "",
      });
    }
  });

  it("says meshed for a pod without ports, whose empty LINKERD2_PROXY_INBOUND_PORTS the API server leaves out", () => {
    const portless = appPod({ spec: { containers: [{ name: "app", image: "ghcr.io/example/worker:1.2" }] } });
    const pod = meshedPod(classic, portless);
    const proxy = (pod["spec"] as { containers: { env: { name: string; value?: string }[] }[] }).containers[0];
    expect(proxy?.env.find((e) => e.name === "LINKERD2_PROXY_INBOUND_PORTS")).toEqual({
      name: "LINKERD2_PROXY_INBOUND_PORTS",
    });
    expect(auditPod(pod, { configuration: classic, namespace, owner })).toMatchObject({ status: "meshed" });
  });

  it("says unmeshed for a pod without a proxy in a namespace annotated for injection", () => {
    const pod = deepFreeze(asStored(appPod()));
    expect(auditPod(pod, { configuration: classic, namespace, owner })).toMatchObject({
      status: "unmeshed",
      reason: "proxy_missing",
    });
  });

  it("says stale with proxy_version_differs when the proxy version changed, naming both images", () => {
    const pod = meshedPod(classic);
    const newer = testConfiguration({ proxy: { nativeSidecar: false, image: { version: "edge-26.9.1" } } });
    const audit = auditPod(pod, { configuration: newer, namespace, owner });
    expect(audit.status).toBe("stale");
    expect(audit.reason).toBe("proxy_version_differs");
    expect(audit.detail).toBe(
      '/spec/containers/0/image: "cr.l5d.io/linkerd/proxy:edge-26.8.3" → "cr.l5d.io/linkerd/proxy:edge-26.9.1"',
    );
  });

  it("says stale with proxy_spec_differs and the path when a proxy setting changed", () => {
    const pod = meshedPod(classic);
    const louder = testConfiguration({ proxy: { nativeSidecar: false, logLevel: "debug" } });
    const audit = auditPod(pod, { configuration: louder, namespace, owner });
    expect(audit).toMatchObject({ status: "stale", reason: "proxy_spec_differs" });
    const container = (pod["spec"] as { containers: JsonObject[] }).containers[0] as { env: { name: string }[] };
    const index = container.env.findIndex((e) => e.name === "LINKERD2_PROXY_LOG");
    expect(audit.detail).toMatch(new RegExp(`^/spec/containers/0/env/${index}/value: "warn,linkerd=info,.*" → "debug`));
  });

  it("says stale when the layout changed between classic and native sidecar", () => {
    const audit = auditPod(meshedPod(classic), { configuration: native, namespace, owner });
    expect(audit).toMatchObject({ status: "stale", reason: "proxy_spec_differs" });
    expect(audit.detail).toBe("/spec/initContainers/1: (none) → linkerd-proxy");
  });

  it("says stale when the namespace's inherited proxy settings changed since the pod was injected", () => {
    const pod = meshedPod(classic);
    const annotations = { ...ENABLED, "config.linkerd.io/proxy-cpu-limit": "1" };
    const audit = auditPod(pod, { configuration: classic, namespace: { name: "shop", annotations }, owner });
    expect(audit).toMatchObject({ status: "stale", reason: "proxy_spec_differs" });
    expect(audit.detail).toBe('/spec/initContainers/0/resources/limits: (none) → {"cpu":"1"}');
  });

  it("takes quantities the API server wrote in canonical form as equal", () => {
    const configuration = testConfiguration({ proxy: { nativeSidecar: false, resources: { cpu: { limit: "0.5" } } } });
    const pod = structuredClone(meshedPod(configuration)) as JsonObject;
    const proxy = (pod["spec"] as { containers: { resources: { limits: JsonObject; requests: JsonObject } }[] })
      .containers[0];
    expect(proxy?.resources.limits["cpu"]).toBe("0.5");
    if (proxy !== undefined) {
      proxy.resources.limits["cpu"] = "500m";
      proxy.resources.requests["cpu"] = "500m";
    }
    expect(auditPod(pod, { configuration, namespace, owner }).status).toBe("meshed");
  });

  it("says skipped with Linkerd's reason when nothing enables injection, and disabled when the pod says so", () => {
    const pod = deepFreeze(asStored(appPod()));
    expect(auditPod(pod, { configuration: classic, namespace: { name: "shop" }, owner })).toEqual({
      status: "skipped",
      reason: "injection_enable_annotation_absent",
      detail:
        'neither namespace "shop" nor the pod enables injection (namespace "shop": no linkerd.io/inject; the pod: no linkerd.io/inject)',
    });
    const disabled = deepFreeze(asStored(appPod({ annotations: { "linkerd.io/inject": "disabled" } })));
    expect(auditPod(disabled, { configuration: classic, namespace, owner })).toMatchObject({
      status: "skipped",
      reason: "injection_disable_annotation_present",
    });
  });

  it("says uninjectable with Linkerd's reason for a pod on the host network", () => {
    const pod = deepFreeze(asStored(appPod({ spec: { hostNetwork: true } })));
    expect(auditPod(pod, { configuration: classic, namespace, owner })).toMatchObject({
      status: "uninjectable",
      reason: "host_network_enabled",
    });
  });

  it("says skipped when the webhook configuration's namespaceSelector leaves the namespace out", () => {
    const webhooks = [
      {
        ...DEFAULT_INJECTOR_WEBHOOK_CONFIGURATION,
        webhooks: [
          {
            name: "l5d-proxy-injector.linkerd.io",
            rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] }],
            namespaceSelector: { matchLabels: { mesh: "yes" } },
          },
        ],
      },
    ];
    const pod = deepFreeze(asStored(appPod()));
    const options = { configuration: classic, owner, webhooks, serverVersion: "v1.20.2" };
    expect(auditPod(pod, { ...options, namespace })).toMatchObject({
      status: "skipped",
      reason: "excluded_by_webhook_selector",
    });
    const labelled = { ...namespace, labels: { mesh: "yes" } };
    expect(auditPod(pod, { ...options, namespace: labelled })).toMatchObject({ status: "unmeshed" });
    // A proxy in a namespace the webhook no longer sees: a restart would take it away.
    expect(auditPod(meshedPod(classic), { ...options, namespace })).toMatchObject({
      status: "stale",
      reason: "excluded_by_webhook_selector",
    });
  });

  it("says stale for a proxy that injection would no longer give the pod", () => {
    const audit = auditPod(meshedPod(classic), { configuration: classic, namespace: { name: "shop" }, owner });
    expect(audit).toMatchObject({ status: "stale", reason: "injection_enable_annotation_absent" });
    expect(audit.detail).toMatch(/^has a proxy, but injection would give it none now/);
  });

  it("says uninjectable with render_failed when the configuration cannot render a proxy", () => {
    const configuration = testConfiguration({ identityTrustAnchorsPEM: "" });
    const pod = deepFreeze(asStored(appPod()));
    expect(auditPod(pod, { configuration, namespace, owner })).toMatchObject({
      status: "uninjectable",
      reason: "render_failed",
    });
  });

  it("never changes the pod it audits", () => {
    const pod = meshedPod(classic) as JsonValue;
    const before = JSON.stringify(pod);
    auditPod(pod, { configuration: native, namespace, owner });
    expect(JSON.stringify(pod)).toBe(before);
  });
});
