import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { prepareConfiguration } from "../configuration.js";
import { explainWorkload, findHints, injectAdmission, DEFAULT_INJECTOR_WEBHOOK_CONFIGURATION } from "../index.js";
import type { ExplainContext, JsonObject, JsonValue } from "../index.js";
import { deepFreeze, testConfiguration } from "../test-support/fixtures.js";
import { resolveValues } from "../values.js";

const configuration = testConfiguration();

function deployment(
  over: {
    annotations?: Record<string, string>;
    podAnnotations?: Record<string, string>;
    podLabels?: Record<string, string>;
    spec?: JsonObject;
  } = {},
): JsonObject {
  return deepFreeze({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "shop", ...(over.annotations ? { annotations: over.annotations } : {}) },
    spec: {
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: {
          labels: { app: "web", ...over.podLabels },
          ...(over.podAnnotations ? { annotations: over.podAnnotations } : {}),
        },
        spec: { containers: [{ name: "app", image: "nginx:1.27", ports: [{ containerPort: 80 }] }], ...over.spec },
      },
    },
  });
}

const enabled = { name: "shop", labels: {}, annotations: { "linkerd.io/inject": "enabled" } };

function one(object: JsonValue, context: Partial<ExplainContext> = {}) {
  const all = explainWorkload(object, { configuration, ...context });
  expect(all).toHaveLength(1);
  return all[0] as NonNullable<(typeof all)[0]>;
}

const codes = (hints: readonly { code: string }[]) => hints.map((h) => h.code);

describe("explainWorkload", () => {
  it("injects a workload of an enabled namespace, with the chain in the order it is decided", () => {
    const e = one(deployment(), { namespace: enabled });
    expect(e).toMatchObject({
      kind: "deployment",
      namespace: "shop",
      name: "web",
      inject: true,
      reason: "enabled_at_namespace",
      reasons: [],
    });
    expect(e.layout).toMatch(/native|classic/);
    expect(e.steps.map((s) => s.check)).toEqual([
      "webhook",
      "inject_annotation",
      "host_network",
      "existing_sidecar",
      "automount_service_account_token",
      "udp_ports",
      "control_plane_component",
      "proxy_render",
      "layout",
    ]);
    expect(e.steps[0]?.detail).toContain("offline, assuming the webhook configuration the injector's chart installs");
    expect(e.hints).toEqual([]);
  });

  it("says injection is enabled at the workload when only the pod template asks for it", () => {
    const e = one(deployment({ podAnnotations: { "linkerd.io/inject": "enabled" } }), { namespace: { name: "shop" } });
    expect(e).toMatchObject({ inject: true, reason: "enabled_at_workload" });
  });

  it("hints at an annotation on the workload's own metadata instead of its pod template", () => {
    const e = one(deployment({ annotations: { "linkerd.io/inject": "enabled" } }), { namespace: { name: "shop" } });
    expect(e).toMatchObject({ inject: false, reason: "injection_enable_annotation_absent" });
    expect(codes(e.hints)).toEqual(["annotation_on_workload_metadata"]);
    expect(e.hints[0]?.message).toContain("spec.template.metadata.annotations");
  });

  it("names the CronJob's pod template path in the hint", () => {
    const cronjob = {
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name: "nightly", annotations: { "linkerd.io/inject": "enabled" } },
      spec: {
        schedule: "@daily",
        jobTemplate: { spec: { template: { spec: { containers: [{ name: "c", image: "busybox" }] } } } },
      },
    };
    const e = one(cronjob, { namespace: { name: "shop" } });
    expect(e.hints[0]?.message).toContain("spec.jobTemplate.spec.template.metadata.annotations");
  });

  it("hints at linkerd.io/inject set as a label", () => {
    const e = one(deployment({ podLabels: { "linkerd.io/inject": "enabled" } }), {
      namespace: { name: "shop", labels: { "linkerd.io/inject": "enabled" } },
    });
    expect(e.inject).toBe(false);
    expect(codes(e.hints)).toEqual(["inject_label_not_annotation", "inject_label_not_annotation"]);
  });

  it.each([
    ["enable", "enabled"],
    ["true", "enabled"],
    ["Enabled", "enabled"],
    ["false", "disabled"],
  ])("refuses the misspelt value %s and suggests %s", (value, meant) => {
    const e = one(deployment({ podAnnotations: { "linkerd.io/inject": value } }), { namespace: { name: "shop" } });
    expect(e).toMatchObject({ inject: false, reason: "invalid_inject_annotation_at_workload" });
    expect(codes(e.hints)).toEqual(["invalid_inject_value"]);
    expect(e.hints[0]?.message).toContain(`did you mean "${meant}"`);
  });

  it("reports a misspelt namespace value", () => {
    const e = one(deployment(), { namespace: { name: "shop", annotations: { "linkerd.io/inject": "yes" } } });
    expect(e).toMatchObject({ inject: false, reason: "invalid_inject_annotation_at_ns" });
    expect(codes(e.hints)).toEqual(["invalid_inject_value"]);
  });

  it("excludes a namespace labelled config.linkerd.io/admission-webhooks=disabled, with a hint", () => {
    const e = one(deployment(), {
      namespace: { ...enabled, labels: { "config.linkerd.io/admission-webhooks": "disabled" } },
    });
    expect(e).toMatchObject({ inject: false, reason: "excluded_by_webhook_selector", reasons: [] });
    expect(e.steps[0]).toMatchObject({ check: "webhook", result: "fail", code: "excluded_by_webhook_selector" });
    expect(e.steps[0]?.detail).toContain("config.linkerd.io/admission-webhooks notin (disabled)");
    expect(codes(e.hints)).toEqual(["excluded_by_webhook_selector"]);
    expect(e.hints[0]?.message).toContain("kubectl label namespace shop config.linkerd.io/admission-webhooks-");
  });

  it("excludes kube-system by its name label from Kubernetes 1.21, not before", () => {
    const ns = { name: "kube-system", annotations: { "linkerd.io/inject": "enabled" } };
    expect(one(deployment(), { namespace: ns, serverVersion: "v1.30.0" }).reason).toBe("excluded_by_webhook_selector");
    expect(one(deployment(), { namespace: ns, serverVersion: "v1.20.2" }).inject).toBe(true);
  });

  it("leaves out control-plane components through the objectSelector", () => {
    const e = one(deployment({ podLabels: { "linkerd.io/control-plane-component": "destination" } }), {
      namespace: enabled,
    });
    expect(e).toMatchObject({ inject: false, reason: "excluded_by_webhook_selector" });
    expect(e.steps.find((s) => s.check === "control_plane_component")?.result).toBe("warn");
  });

  it("evaluates the cluster's webhooks: absent, rules that miss pods, other webhooks called", () => {
    const other = {
      kind: "MutatingWebhookConfiguration",
      metadata: { name: "other" },
      webhooks: [
        {
          name: "defaults.example.com",
          rules: [{ operations: ["*"], apiGroups: ["*"], apiVersions: ["*"], resources: ["*"] }],
        },
      ],
    };
    const absent = one(deployment(), { namespace: enabled, webhooks: [other] });
    expect(absent).toMatchObject({ inject: false, reason: "injector_webhook_absent" });
    expect(absent.steps.filter((s) => s.check === "webhook").map((s) => s.result)).toEqual(["fail", "info"]);

    const servicesOnly = {
      kind: "MutatingWebhookConfiguration",
      metadata: { name: "linkerd-proxy-injector-webhook-config" },
      webhooks: [
        {
          name: "linkerd-proxy-injector.linkerd.io",
          rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["services"] }],
        },
      ],
    };
    expect(one(deployment(), { namespace: enabled, webhooks: [servicesOnly] }).reason).toBe(
      "excluded_by_webhook_rules",
    );

    const live = one(deployment(), { namespace: enabled, webhooks: [DEFAULT_INJECTOR_WEBHOOK_CONFIGURATION, other] });
    expect(live.inject).toBe(true);
    expect(live.steps[0]?.detail).not.toContain("offline");
  });

  it("gives every content reason in its own step", () => {
    const e = one(
      deployment({
        spec: {
          hostNetwork: true,
          containers: [
            { name: "app", image: "nginx", ports: [{ containerPort: 53, protocol: "UDP" }] },
            { name: "istio-proxy", image: "gcr.io/istio-release/proxyv2:1.20" },
          ],
        },
      }),
      { namespace: enabled },
    );
    expect(e).toMatchObject({
      inject: false,
      reason: "host_network_enabled",
      reasons: ["host_network_enabled", "sidecar_already_exists"],
    });
    const byCheck = Object.fromEntries(e.steps.map((s) => [s.check, s.result]));
    expect(byCheck).toMatchObject({
      inject_annotation: "pass",
      host_network: "fail",
      existing_sidecar: "fail",
      udp_ports: "warn",
      automount_service_account_token: "pass",
    });
  });

  it("refuses automount off when token projection is off", () => {
    const values = resolveValues([
      { identityTrustAnchorsPEM: "x", identity: { serviceAccountTokenProjection: false } },
    ]);
    const prepared = values.ok ? prepareConfiguration(values.values) : undefined;
    if (!prepared?.ok) throw new Error("values");
    const e = one(deployment({ spec: { automountServiceAccountToken: false } }), {
      namespace: enabled,
      configuration: prepared.configuration,
    });
    expect(e.reason).toBe("disabled_automount_service_account_token_account");
  });

  it("lists the config annotations used, ignored as invalid, and unknown", () => {
    const e = one(
      deployment({
        podAnnotations: {
          "config.linkerd.io/proxy-cpu-limit": "1",
          "config.linkerd.io/admin-port": "http",
          "config.linkerd.io/proxy-cpu-limt": "1",
        },
      }),
      {
        namespace: {
          ...enabled,
          annotations: { ...enabled.annotations, "config.linkerd.io/proxy-log-level": "debug" },
        },
      },
    );
    expect(e.inject).toBe(true);
    const config = e.steps.filter((s) => s.check === "config_annotation");
    expect(config.map((s) => [s.result, s.detail.split(":")[0]])).toEqual([
      ["info", "config.linkerd.io/proxy-cpu-limit"],
      ["warn", "config.linkerd.io/admin-port"],
      ["warn", "config.linkerd.io/proxy-cpu-limt"],
      ["info", "config.linkerd.io/proxy-log-level"],
    ]);
    expect(config[1]?.detail).toContain("ignored where invalid");
    expect(config[3]?.detail).toContain('inherited from namespace "shop"');
    expect(codes(e.hints)).toEqual(["unknown_config_annotation"]);
    expect(e.hints[0]?.message).toContain("did you mean config.linkerd.io/proxy-cpu-limit?");
  });

  it("explains the layout and warns of native sidecars before Kubernetes 1.29", () => {
    const native = deployment({ podAnnotations: { "config.linkerd.io/proxy-enable-native-sidecar": "true" } });
    const old = one(native, { namespace: enabled, serverVersion: "v1.20.2" });
    expect(old.layout).toBe("native");
    expect(old.steps.find((s) => s.check === "layout")?.detail).toContain(
      "config.linkerd.io/proxy-enable-native-sidecar: true",
    );
    expect(codes(old.hints)).toEqual(["native_sidecar_unsupported"]);
    const recent = one(native, { namespace: enabled, serverVersion: "v1.30.1" });
    expect(recent.hints).toEqual([]);
    const classic = one(deployment(), {
      namespace: enabled,
      configuration: testConfiguration({ proxy: { nativeSidecar: false } }),
    });
    expect(classic.layout).toBe("classic");
    expect(classic.steps.find((s) => s.check === "layout")?.detail).toContain(
      "the values' proxy.nativeSidecar is false",
    );
  });

  it("says the webhook would refuse the pod when the values cannot render the proxy", () => {
    const values = resolveValues([]);
    const prepared = values.ok ? prepareConfiguration(values.values) : undefined;
    if (!prepared?.ok) throw new Error("values");
    const e = one(deployment(), { namespace: enabled, configuration: prepared.configuration });
    expect(e).toMatchObject({ inject: false, reason: "render_failed" });
    expect(codes(e.hints)).toEqual(["trust_anchors_missing"]);
  });

  it("explains each workload of a List and nothing else", () => {
    const list = deepFreeze({
      apiVersion: "v1",
      kind: "List",
      items: [
        deployment(),
        { apiVersion: "v1", kind: "Service", metadata: { name: "web" } },
        { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [] } },
      ],
    });
    expect(explainWorkload(list, { configuration, namespace: enabled }).map((e) => `${e.kind}/${e.name}`)).toEqual([
      "deployment/web",
      "pod/p",
    ]);
  });
});

describe("findHints", () => {
  it("finds the mistakes a pod shows", () => {
    const pod = {
      kind: "Pod",
      metadata: {
        name: "p",
        labels: { "linkerd.io/inject": "enabled" },
        annotations: { "linkerd.io/inject": "enable" },
      },
    };
    expect(codes(findHints(pod))).toEqual(["inject_label_not_annotation", "invalid_inject_value"]);
  });
});

// The explanation's decision is the admission's: the same pods, the same namespaces, the same answer.
describe("explanation of a Pod and injectAdmission", () => {
  const injectValue = fc.constantFrom(undefined, "enabled", "disabled", "ingress", "enable", "true", "");
  const record = (entries: Array<[string, string | undefined]>) =>
    Object.fromEntries(entries.filter((e): e is [string, string] => e[1] !== undefined));
  const pod = fc
    .record({
      inject: injectValue,
      nativeSidecar: fc.constantFrom(undefined, "true", "false", "maybe"),
      hostNetwork: fc.boolean(),
      udp: fc.boolean(),
      sidecar: fc.constantFrom(undefined, "linkerd-proxy", "istio-proxy", "envoy"),
      automount: fc.constantFrom(undefined, true, false),
      mount: fc.boolean(),
    })
    .map((p) =>
      deepFreeze({
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          name: "p",
          namespace: "ns",
          annotations: record([
            ["linkerd.io/inject", p.inject],
            ["config.linkerd.io/proxy-enable-native-sidecar", p.nativeSidecar],
          ]),
        },
        spec: {
          ...(p.hostNetwork ? { hostNetwork: true } : {}),
          ...(p.automount === undefined ? {} : { automountServiceAccountToken: p.automount }),
          containers: [
            {
              name: "app",
              image: "nginx",
              ports: [{ containerPort: 53, protocol: p.udp ? "UDP" : "TCP" }],
              ...(p.mount
                ? { volumeMounts: [{ name: "t", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount" }] }
                : {}),
            },
            ...(p.sidecar === undefined ? [] : [{ name: p.sidecar, image: "proxy" }]),
          ],
        },
      }),
    );
  const configurations = [
    configuration,
    testConfiguration({ identity: { serviceAccountTokenProjection: false }, proxy: { nativeSidecar: true } }),
  ];

  it("agrees on every input", () => {
    fc.assert(
      fc.property(pod, injectValue, fc.constantFrom(0, 1), (object, nsInject, c) => {
        const conf = configurations[c] as (typeof configurations)[0];
        const namespaceAnnotations = record([["linkerd.io/inject", nsInject]]);
        const admitted = injectAdmission(object, { configuration: conf, namespace: "ns", namespaceAnnotations });
        const report = admitted.reports[0];
        const [e] = explainWorkload(object, {
          configuration: conf,
          namespace: { name: "ns", annotations: namespaceAnnotations },
        });
        expect(e?.inject).toBe(admitted.ok && report?.injectable === true);
        expect(e?.reasons).toEqual(report?.reasons);
        if (e?.inject) expect(e.layout).toBe(report?.layout);
      }),
      { numRuns: 300 },
    );
  });
});
