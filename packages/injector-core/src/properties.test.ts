/**
 * Property tests: random workloads (containers, ports, probes, volumes, config annotations) go through the CLI's
 * `reinjectManifest` and the webhook's `injectAdmission`; injection never throws, the result is a valid Kubernetes
 * object, the patch gives the result, injecting twice equals injecting once, and uninjection restores the input.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CronJob, Job } from "kubernetes-models/batch/v1";
import { DaemonSet, Deployment, ReplicaSet, StatefulSet } from "kubernetes-models/apps/v1";
import { Pod } from "kubernetes-models/v1";
import {
  applyPatch,
  canonicalRemovals,
  injectAdmission,
  prepareConfiguration,
  reinjectManifest,
  resolveValues,
  uninjectManifest,
} from "./index.js";
import type { AdmissionOptions, JsonObject, JsonValue, ManifestOptions } from "./index.js";
import { deepFreeze, TEST_TRUST_ANCHORS } from "./test-support/fixtures.js";

const MODELS: Record<string, { validate(obj: JsonValue): void }> = {
  Pod: { validate: (o) => new Pod(o as never).validate() },
  Deployment: { validate: (o) => new Deployment(o as never).validate() },
  StatefulSet: { validate: (o) => new StatefulSet(o as never).validate() },
  DaemonSet: { validate: (o) => new DaemonSet(o as never).validate() },
  ReplicaSet: { validate: (o) => new ReplicaSet(o as never).validate() },
  Job: { validate: (o) => new Job(o as never).validate() },
  CronJob: { validate: (o) => new CronJob(o as never).validate() },
};

const dnsLabel = fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/).filter((s) => !s.startsWith("linkerd"));

const port = fc.record(
  {
    containerPort: fc.integer({ min: 1, max: 65535 }),
    name: fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/),
    protocol: fc.constantFrom("TCP", "UDP", "SCTP"),
  },
  { requiredKeys: ["containerPort"] },
);

const probe = fc.oneof(
  fc.record({
    httpGet: fc.record({ path: fc.constant("/health"), port: fc.oneof(fc.integer({ min: 1, max: 65535 }), dnsLabel) }),
  }),
  fc.record({ tcpSocket: fc.record({ port: fc.integer({ min: 1, max: 65535 }) }) }),
  fc.record({ exec: fc.record({ command: fc.constant(["true"]) }) }),
);

const container = (volumes: string[]) =>
  fc.record(
    {
      name: dnsLabel,
      image: fc.constantFrom("nginx:1.27", `example/app@sha256:${"a".repeat(64)}`, "busybox"),
      ports: fc.uniqueArray(port, { maxLength: 4, selector: (p) => p.name ?? `#${p.containerPort}` }),
      readinessProbe: probe,
      livenessProbe: probe,
      volumeMounts: fc.subarray(volumes).map((names) => names.map((name) => ({ name, mountPath: `/mnt/${name}` }))),
      securityContext: fc.record({
        capabilities: fc.record({
          add: fc.subarray(["NET_BIND_SERVICE", "SYS_TIME"]),
          drop: fc.subarray(["ALL", "NET_RAW"]),
        }),
      }),
    },
    { requiredKeys: ["name", "image"] },
  );

const annotations = fc.dictionary(
  fc.constantFrom(
    "config.linkerd.io/admin-port",
    "config.linkerd.io/proxy-cpu-request",
    "config.linkerd.io/proxy-memory-limit",
    "config.linkerd.io/opaque-ports",
    "config.linkerd.io/skip-inbound-ports",
    "config.linkerd.io/proxy-await",
    "config.linkerd.io/proxy-enable-native-sidecar",
    "config.linkerd.io/enable-debug-sidecar",
    "config.linkerd.io/proxy-log-level",
    "example.com/owner",
  ),
  fc.constantFrom("9998", "250m", "1Gi", "3306,5000-5100", "enabled", "disabled", "true", "false", "debug", "x"),
  { maxKeys: 5 },
);

const podSpec = fc
  .uniqueArray(dnsLabel, { maxLength: 3 })
  .chain((volumes) =>
    fc.record(
      {
        containers: fc.uniqueArray(container(volumes), { minLength: 1, maxLength: 3, selector: (c) => c.name }),
        initContainers: fc.uniqueArray(container(volumes), { maxLength: 2, selector: (c) => c.name }),
        volumes: fc.constant(volumes.map((name) => ({ name, emptyDir: {} }))),
        hostNetwork: fc.constant(false),
      },
      { requiredKeys: ["containers"] },
    ),
  )
  .map((spec) => {
    // Init and app containers share one name space in a pod.
    const seen = new Set<string>();
    const unique = <C extends { name: string }>(list: C[] | undefined) =>
      list?.filter((c) => !seen.has(c.name) && seen.add(c.name));
    const containers = unique(spec.containers) ?? [];
    const initContainers = unique(spec.initContainers) ?? [];
    return {
      ...spec,
      containers,
      initContainers: initContainers.map(({ readinessProbe: _r, livenessProbe: _l, ...c }) => c),
    };
  });

const template = fc.record({
  metadata: fc.record({ labels: fc.constant({ app: "x" }), annotations }),
  spec: podSpec,
});

const workload = fc.oneof(
  template.map((t) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p", namespace: "ns", ...t.metadata },
    spec: t.spec,
  })),
  ...(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"] as const).map((kind) =>
    template.map((t) => ({
      apiVersion: "apps/v1",
      kind,
      metadata: { name: "w", namespace: "ns" },
      spec: { selector: { matchLabels: { app: "x" } }, serviceName: "s", template: t },
    })),
  ),
  template.map((t) => ({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: "j" },
    spec: { template: { ...t, spec: { ...t.spec, restartPolicy: "Never" } } },
  })),
  template.map((t) => ({
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name: "c" },
    spec: {
      schedule: "* * * * *",
      jobTemplate: { spec: { template: { ...t, spec: { ...t.spec, restartPolicy: "Never" } } } },
    },
  })),
);

const values = resolveValues([{ identityTrustAnchorsPEM: TEST_TRUST_ANCHORS }]);
if (!values.ok) throw new Error("values");
const prepared = prepareConfiguration(values.values);
if (!prepared.ok) throw new Error("configuration");
const configuration = prepared.configuration;
const cli: ManifestOptions = { configuration, mode: "full", createdBy: "linkerd/cli test" };

const cliInject = (input: JsonValue) => reinjectManifest(input, cli);

function withoutEmpty(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(withoutEmpty);
  if (value === null || typeof value !== "object") return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    const n = withoutEmpty(v);
    const empty = Array.isArray(n)
      ? n.length === 0
      : typeof n === "object" && n !== null && Object.keys(n).length === 0;
    if (!empty || k === "emptyDir") out[k] = n;
  }
  return out;
}

describe("random workloads", () => {
  it("inject through the CLI path: valid objects, exact patches, idempotent, reversible", () => {
    fc.assert(
      fc.property(workload, (raw) => {
        const input = deepFreeze(raw as unknown as JsonValue);
        const r = cliInject(input);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(r.reports[0]?.outcome).toBe("injected");
        MODELS[(r.object as JsonObject)["kind"] as string]?.validate(r.object);
        expect(applyPatch(input, r.patch)).toEqual(r.object);
        const again = cliInject(deepFreeze(structuredClone(r.object)));
        expect(again.ok && again.object).toEqual(r.object);
        const un = uninjectManifest(deepFreeze(structuredClone(r.object)));
        // An empty map or list the injection filled cannot be told from an absent one afterwards, and zero values
        // Kubernetes' serialisation leaves out are left out of what the CLI prints; Kubernetes reads both alike, so
        // they compare alike here.
        expect(un.ok && withoutEmpty(un.object)).toEqual(withoutEmpty(applyPatch(input, canonicalRemovals(input))));
      }),
      { numRuns: 150 },
    );
  });

  it("inject pods through the webhook path: valid pods, exact patches, a second pass changes nothing", () => {
    fc.assert(
      fc.property(template, (t) => {
        const input = deepFreeze({
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "p", ...t.metadata },
          spec: t.spec,
        } as unknown as JsonValue);
        const options: AdmissionOptions = {
          configuration,
          namespace: "ns",
          namespaceAnnotations: { "linkerd.io/inject": "enabled" },
          createdBy: "linkerd/proxy-injector test",
        };
        const r = injectAdmission(input, options);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        MODELS["Pod"]?.validate(r.object);
        expect(applyPatch(input, JSON.parse(JSON.stringify(r.patch)))).toEqual(r.object);
        const again = injectAdmission(deepFreeze(structuredClone(r.object)), options);
        expect(again.ok && again.patch).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });
});
