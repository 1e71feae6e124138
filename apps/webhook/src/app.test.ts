import { applyPatch, injectAdmission, type JsonValue } from "@l5d-injector/injector-core";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { createApp } from "./app.js";
import type { AdmissionReview } from "./admission.js";
import { LookupError } from "./kube.js";
import {
  clusterFixture,
  decodePatch,
  linkerdTestValues,
  makeHarness,
  metricValue,
  readJsonFixture,
  tableLookups,
  testConfiguration,
} from "./test-support/harness.js";
import { createPatchEncoder } from "./patch-text.js";

interface Answer extends AdmissionReview {
  response: {
    uid: string;
    allowed: boolean;
    patch?: string;
    patchType?: string;
    warnings?: string[];
    status?: { message: string };
  };
}

async function review(fixture: string, options: { values?: ReturnType<typeof linkerdTestValues> } = {}) {
  const cluster = clusterFixture();
  const lookups = tableLookups(cluster);
  const harness = makeHarness({ lookups, ...(options.values !== undefined ? { values: options.values } : {}) });
  const body = readJsonFixture<AdmissionReview>("reviews", fixture);
  const res = await request(createApp(harness.deps)).post("/").send(body).expect(200);
  const answer = res.body as Answer;
  const object = body.request.object as JsonValue;
  const patch = decodePatch(answer.response);
  return { harness, lookups, cluster, body, answer, object, patch, patched: applyPatch(object, patch as never) };
}

/** What the core gives for the same object with the same namespace configuration and owner. */
function coreResult(
  body: AdmissionReview,
  owner: { kind: string; name: string } | undefined,
  values = linkerdTestValues(),
) {
  const namespace = clusterFixture().namespaces.find((ns) => ns.name === body.request.namespace);
  const result = injectAdmission(body.request.object as JsonValue, {
    configuration: testConfiguration(values),
    namespace: body.request.namespace ?? "",
    namespaceAnnotations: namespace?.annotations ?? {},
    owner,
    createdBy: "l5d-injector/webhook 0.1.0",
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result;
}

function labelsOf(object: JsonValue): Record<string, string> {
  return (object as { metadata: { labels?: Record<string, string> } }).metadata.labels ?? {};
}

function annotationsOf(object: JsonValue): Record<string, string> {
  return (object as { metadata: { annotations?: Record<string, string> } }).metadata.annotations ?? {};
}

function containerNames(object: JsonValue, field: "containers" | "initContainers"): string[] {
  const spec = (object as { spec: Record<string, { name: string }[] | undefined> }).spec;
  return (spec[field] ?? []).map((c) => c.name);
}

describe("pods, by owner", () => {
  const cases = [
    {
      fixture: "pod-deployment.json",
      owner: { kind: "deployment", name: "web" },
      label: ["linkerd.io/proxy-deployment", "web"],
      event: { kind: "Deployment", name: "web", uid: "c08eaca1-437d-441f-9f08-facf6cb6a426" },
      // The owner first: a ReplicaSet or Job just read is what tells the namespace look-up to read through.
      lookups: ["replicaset/shop/web-55966c78fc", "namespace/shop"],
    },
    {
      fixture: "pod-statefulset.json",
      owner: { kind: "statefulset", name: "db" },
      label: ["linkerd.io/proxy-statefulset", "db"],
      event: { kind: "StatefulSet", name: "db" },
      lookups: ["namespace/shop"],
    },
    {
      fixture: "pod-daemonset.json",
      owner: { kind: "daemonset", name: "node-agent" },
      label: ["linkerd.io/proxy-daemonset", "node-agent"],
      event: { kind: "DaemonSet", name: "node-agent" },
      lookups: ["namespace/shop"],
    },
    {
      fixture: "pod-job.json",
      owner: { kind: "job", name: "migrate" },
      label: ["linkerd.io/proxy-job", "migrate"],
      event: { kind: "Job", name: "migrate" },
      lookups: ["job/shop/migrate", "namespace/shop"],
    },
    {
      // Linkerd has no owner label for a CronJob's pods (spec §8 item 13); the event goes to the CronJob.
      fixture: "pod-cronjob.json",
      owner: { kind: "cronjob", name: "backup" },
      label: undefined,
      event: { kind: "CronJob", name: "backup", uid: "44702d41-7ca3-4303-a71b-821c36d0b72f" },
      lookups: ["job/shop/backup-29016180", "namespace/shop"],
    },
    {
      // A bare pod does not exist yet at admission: no object to put an event on.
      fixture: "pod-bare.json",
      owner: { kind: "pod", name: "debug" },
      label: undefined,
      event: undefined,
      lookups: ["namespace/shop"],
    },
    {
      // A CRD owner gets no label (Linkerd has no type for it) but, unlike Linkerd, does get the event.
      fixture: "pod-crd-owner.json",
      owner: { kind: "rollout", name: "canary" },
      label: undefined,
      event: { kind: "Rollout", name: "canary", uid: "0b8e3f1c-4a57-4c1e-9d3e-2f6a8b1c7d90" },
      lookups: ["namespace/shop"],
    },
  ];

  for (const c of cases) {
    it(`injects ${c.fixture} with owner ${c.owner.kind}/${c.owner.name}, as the core does`, async () => {
      const { answer, body, patched, harness, lookups } = await review(c.fixture);
      expect(answer.apiVersion).toBe("admission.k8s.io/v1");
      // The API server reads only `response`; the request is not echoed back (see answerReview).
      expect(answer.request).toBeUndefined();
      expect(answer.response.uid).toBe(body.request.uid);
      expect(answer.response.allowed).toBe(true);
      expect(answer.response.patchType).toBe("JSONPatch");
      expect(patched).toEqual(coreResult(body, c.owner).object);

      expect(containerNames(patched, "initContainers").slice(0, 2)).toEqual(["linkerd-init", "linkerd-proxy"]);
      expect(annotationsOf(patched)["linkerd.io/created-by"]).toBe("l5d-injector/webhook 0.1.0");
      expect(labelsOf(patched)["linkerd.io/workload-ns"]).toBe("shop");
      const ownerLabels = Object.keys(labelsOf(patched)).filter((k) => k.startsWith("linkerd.io/proxy-"));
      if (c.label === undefined) expect(ownerLabels).toEqual([]);
      else {
        expect(ownerLabels).toEqual([c.label[0]]);
        expect(labelsOf(patched)[c.label[0] as string]).toBe(c.label[1]);
      }
      expect(lookups.calls).toEqual(c.lookups);

      if (c.event === undefined) expect(harness.events).toEqual([]);
      else {
        expect(harness.events).toHaveLength(1);
        expect(harness.events[0]).toMatchObject({
          type: "Normal",
          reason: "Injected",
          message: "Linkerd sidecar proxy injected",
          involvedObject: { ...c.event, namespace: "shop" },
        });
      }
      // Linkerd reports owners it has no type for (CRDs) with an empty owner_kind.
      const ownerKind = c.owner.kind === "rollout" ? "" : c.owner.kind;
      const labels = { owner_kind: ownerKind, namespace: "shop", annotation_at: "namespace" };
      expect(await metricValue(harness.registry, "proxy_inject_admission_requests_total", labels)).toBe(1);
      expect(
        await metricValue(harness.registry, "proxy_inject_admission_responses_total", {
          ...labels,
          skip: "false",
          skip_reason: "",
        }),
      ).toBe(1);
    });
  }
});

describe("namespaces", () => {
  it("inherits the namespace's config annotations, the pod's own winning", async () => {
    const { patched, body, answer } = await review("pod-namespace-config.json");
    expect(answer.response.allowed).toBe(true);
    expect(patched).toEqual(coreResult(body, { kind: "deployment", name: "api" }).object);
    const annotations = annotationsOf(patched);
    expect(annotations["config.linkerd.io/proxy-cpu-request"]).toBe("100m");
    expect(annotations["config.alpha.linkerd.io/proxy-wait-before-exit-seconds"]).toBe("10");
    // The pod says 5432; the namespace's 3306 must not override it.
    expect(annotations["config.linkerd.io/skip-outbound-ports"]).toBe("5432");
    // The namespace's opaque ports are copied verbatim; unknown config keys are not.
    expect(annotations["config.linkerd.io/opaque-ports"]).toBe("4000");
    expect(annotations["config.linkerd.io/invalid-key"]).toBeUndefined();
  });

  it("skips a pod in a namespace without the inject annotation, and only annotates its opaque ports", async () => {
    const { patched, body, answer, harness } = await review("pod-unannotated-namespace.json");
    expect(answer.response.allowed).toBe(true);
    expect(patched).toEqual(coreResult(body, { kind: "pod", name: "cache" }).object);
    expect(annotationsOf(patched)["config.linkerd.io/opaque-ports"]).toBe("11211");
    expect(containerNames(patched, "containers")).toEqual(["memcached"]);
    // No warning: nobody asked for this pod to be injected.
    expect(answer.response.warnings).toBeUndefined();
    const labels = { owner_kind: "pod", namespace: "plain", annotation_at: "", skip: "false", skip_reason: "" };
    expect(await metricValue(harness.registry, "proxy_inject_admission_responses_total", labels)).toBe(1);
  });

  it("answers with no patch and a warning when an enabled namespace's pod cannot be injected", async () => {
    const { answer, harness, body } = await review("pod-host-network.json");
    expect(answer.response).toEqual({
      uid: body.request.uid,
      allowed: true,
      warnings: ['linkerd-proxy-injector: pod "host-agent" not injected: hostNetwork is enabled'],
    });
    expect(answer.response.patch).toBeUndefined();
    const labels = { owner_kind: "pod", namespace: "shop", skip: "true", skip_reason: "host_network_enabled" };
    expect(await metricValue(harness.registry, "proxy_inject_admission_responses_total", labels)).toBe(1);
    // A bare pod has no parent to put the InjectionSkipped event on.
    expect(harness.events).toEqual([]);
  });

  it("refuses a pod whose namespace cannot be found, as Linkerd does", async () => {
    const harness = makeHarness({ lookups: tableLookups({ namespaces: [], replicaSets: [], jobs: [] }) });
    const body = readJsonFixture<AdmissionReview>("reviews", "pod-bare.json");
    const res = await request(createApp(harness.deps)).post("/").send(body).expect(200);
    expect(res.body.response).toEqual({
      uid: body.request.uid,
      allowed: false,
      status: { message: 'namespace "shop" not found' },
    });
  });

  it("treats namespaces as unannotated and owners as direct parents when look-ups are off", async () => {
    const harness = makeHarness({});
    const body = readJsonFixture<AdmissionReview>("reviews", "pod-deployment.json");
    const res = await request(createApp(harness.deps)).post("/").send(body).expect(200);
    // Without the namespace's inject annotation the pod is skipped; port 8080 is not a default opaque port.
    expect(res.body.response).toEqual({ uid: body.request.uid, allowed: true });
    expect(harness.events).toMatchObject([
      { reason: "InjectionSkipped", involvedObject: { kind: "ReplicaSet", name: "web-55966c78fc" } },
    ]);
  });
});

describe("services", () => {
  it("annotates a service whose target port is a default opaque port", async () => {
    const { patched, patch, answer, body } = await review("service-opaque-target-port.json");
    expect(answer.response.allowed).toBe(true);
    expect(patched).toEqual(coreResult(body, undefined).object);
    // kubectl apply left its last-applied annotation, so the annotations map exists already.
    expect(patch).toEqual([
      { op: "add", path: "/metadata/annotations/config.linkerd.io~1opaque-ports", value: "9090" },
    ]);
  });

  it("copies the namespace's opaque ports onto a service", async () => {
    const { patched } = await review("service-namespace-opaque-ports.json");
    expect(annotationsOf(patched)["config.linkerd.io/opaque-ports"]).toBe("4000");
  });

  it("leaves an annotated service alone, without events or warnings", async () => {
    const { answer, harness, body } = await review("service-annotated.json");
    expect(answer.response).toEqual({ uid: body.request.uid, allowed: true });
    expect(harness.events).toEqual([]);
    const labels = { owner_kind: "", namespace: "shop", annotation_at: "", opaque_ports: "8080" };
    expect(await metricValue(harness.registry, "proxy_inject_admission_requests_total", labels)).toBe(1);
    // Linkerd counts no response for a service left alone.
    expect(await metricValue(harness.registry, "proxy_inject_admission_responses_total", {})).toBe(0);
  });
});

describe("review versions and dry runs", () => {
  it("answers a v1beta1 review in v1beta1", async () => {
    const { answer, body } = await review("pod-v1beta1.json");
    expect(body.apiVersion).toBe("admission.k8s.io/v1beta1");
    expect(answer.apiVersion).toBe("admission.k8s.io/v1beta1");
    expect(answer.kind).toBe("AdmissionReview");
    expect(answer.response.allowed).toBe(true);
    expect(answer.response.patchType).toBe("JSONPatch");
  });

  it("injects on a dry run (kubectl apply --dry-run=server shows the proxy)", async () => {
    const { answer, body, patched } = await review("pod-dry-run.json");
    expect(body.request["dryRun"]).toBe(true);
    expect(answer.response.patchType).toBe("JSONPatch");
    expect(containerNames(patched, "initContainers")).toEqual(["linkerd-init", "linkerd-proxy"]);
  });

  it("writes no event for a dry run (sideEffects: None), though the pod has an owner", async () => {
    const harness = makeHarness({ lookups: tableLookups(clusterFixture()) });
    const body = readJsonFixture<AdmissionReview>("reviews", "pod-deployment.json");
    body.request.dryRun = true;
    const res = await request(createApp(harness.deps)).post("/").send(body).expect(200);
    expect(res.body.response.patchType).toBe("JSONPatch");
    expect(harness.events).toEqual([]);
    // The same review for real does write one.
    body.request.dryRun = false;
    await request(createApp(harness.deps)).post("/").send(body).expect(200);
    expect(harness.events).toHaveLength(1);
  });
});

describe("errors and logs", () => {
  it("refuses the pod with the core's message when rendering fails", async () => {
    const harness = makeHarness({ lookups: tableLookups(clusterFixture()) });
    const body = readJsonFixture<AdmissionReview>("reviews", "pod-bare.json");
    const object = body.request.object as { metadata: { annotations?: Record<string, string> } };
    object.metadata.annotations = { "config.linkerd.io/proxy-log-http-headers": "verbose" };
    const res = await request(createApp(harness.deps)).post("/").send(body).expect(200);
    expect(res.body.response.allowed).toBe(false);
    expect(res.body.response.status.message).toContain("logHTTPHeaders must be one of: insecure | off");
  });

  it("refuses with the configuration's problem when no values could be loaded", async () => {
    const harness = makeHarness({ snapshot: { ok: false, message: "failed to parse values: bad indentation" } });
    const body = readJsonFixture<AdmissionReview>("reviews", "pod-bare.json");
    const res = await request(createApp(harness.deps)).post("/").send(body).expect(200);
    expect(res.body.response).toEqual({
      uid: body.request.uid,
      allowed: false,
      status: { message: "failed to parse values: bad indentation" },
    });
  });

  it("refuses a pod whose namespace the API cannot give, naming the cause, and logs it", async () => {
    const harness = makeHarness({
      lookups: {
        namespace: () =>
          Promise.reject(
            new LookupError("server_error", 'failed to get namespace "shop": 503 etcdserver: leader changed'),
          ),
        replicaSet: () => Promise.resolve(null),
        job: () => Promise.resolve(null),
      },
    });
    const body = readJsonFixture<AdmissionReview>("reviews", "pod-bare.json");
    const res = await request(createApp(harness.deps)).post("/").send(body).expect(200);
    expect(res.body.response).toEqual({
      uid: body.request.uid,
      allowed: false,
      status: { message: 'failed to get namespace "shop": 503 etcdserver: leader changed' },
    });
    const line = harness.logLines().find((l) => l["msg"] === "admission review");
    expect(line).toMatchObject({
      level: "warn",
      outcome: "error",
      reason: 'failed to get namespace "shop": 503 etcdserver: leader changed',
    });
  });

  it("injects without an owner label when the owner look-up fails, logs it and counts it", async () => {
    const cluster = clusterFixture();
    const lookups = tableLookups(cluster);
    lookups.replicaSet = () =>
      Promise.reject(new LookupError("throttled", "failed to get replicaset shop/web-55966c78fc: 429 slow down"));
    const harness = makeHarness({ lookups });
    const body = readJsonFixture<AdmissionReview>("reviews", "pod-deployment.json");
    const res = await request(createApp(harness.deps)).post("/").send(body).expect(200);
    expect(res.body.response.allowed).toBe(true);
    const patched = applyPatch(body.request.object as JsonValue, decodePatch(res.body.response) as never);
    expect(containerNames(patched, "initContainers")).toContain("linkerd-proxy");
    expect(Object.keys(labelsOf(patched)).filter((k) => k.startsWith("linkerd.io/proxy-"))).toEqual([]);
    expect(harness.logLines().some((l) => String(l["msg"]).includes("owner look-up failed (throttled)"))).toBe(true);
    expect(
      await metricValue(harness.registry, "proxy_inject_owner_lookup_failures_total", {
        kind: "replicaset",
        reason: "throttled",
      }),
    ).toBe(1);
    expect(await metricValue(harness.registry, "proxy_inject_admission_requests_total", { owner_kind: "" })).toBe(1);
  });

  it("logs one structured line per review with uid, kind, namespace, name, outcome, reason and duration", async () => {
    // The review takes 2.5 ms: the clock moves while the namespace is looked up.
    let t = 0;
    const lookups = tableLookups(clusterFixture());
    const namespace = lookups.namespace;
    lookups.namespace = (name, options) => {
      t += 2.5;
      return namespace(name, options);
    };
    const harness = makeHarness({ lookups });
    harness.deps.clock = () => t;
    const body = readJsonFixture<AdmissionReview>("reviews", "pod-host-network.json");
    await request(createApp(harness.deps)).post("/").send(body).expect(200);
    const lines = harness.logLines().filter((l) => l["msg"] === "admission review");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: "info",
      uid: body.request.uid,
      kind: "pod",
      namespace: "shop",
      name: "host-agent",
      outcome: "skipped",
      reason: "host_network_enabled",
      durationMs: 2.5,
    });
    expect(await harness.metricsText()).toMatch(
      /proxy_inject_admission_duration_seconds_bucket\{le="0.0025",kind="pod",outcome="skipped"\} 1/,
    );
  });
});

describe("clusters without native sidecars", () => {
  it("injects the classic layout when the values say nativeSidecar=false", async () => {
    const values = linkerdTestValues({ proxy: { nativeSidecar: false } });
    const { patched, body } = await review("pod-deployment.json", { values });
    expect(patched).toEqual(coreResult(body, { kind: "deployment", name: "web" }, values).object);
    expect(containerNames(patched, "containers")[0]).toBe("linkerd-proxy");
    expect(containerNames(patched, "initContainers")).toEqual(["linkerd-init"]);
  });

  it("warns when a pod asks for native sidecars anyway", async () => {
    const values = linkerdTestValues({ proxy: { nativeSidecar: false } });
    const harness = makeHarness({
      lookups: tableLookups(clusterFixture()),
      snapshot: {
        ok: true,
        configuration: testConfiguration(values),
        nativeSidecars: false,
        clusterVersion: "v1.20.2",
        encodePatch: createPatchEncoder(),
      },
    });
    const body = readJsonFixture<AdmissionReview>("reviews", "pod-bare.json");
    const object = body.request.object as { metadata: { annotations?: Record<string, string> } };
    object.metadata.annotations = { "config.linkerd.io/proxy-enable-native-sidecar": "true" };
    const res = await request(createApp(harness.deps)).post("/").send(body).expect(200);
    expect(res.body.response.warnings).toEqual([
      "linkerd-proxy-injector: the pod asks for a native sidecar (proxy-enable-native-sidecar), which Kubernetes v1.20.2 does not support (1.29+): the proxy will not start",
    ]);
  });
});
