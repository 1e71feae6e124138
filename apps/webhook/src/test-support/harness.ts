/**
 * Test wiring for `createApp`: real pino (writing into an array), a real prom-client registry, and plain objects
 * for the cluster. No mocking library: the deps are data.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { prepareConfiguration, resolveValues, type Configuration, type Values } from "@l5d-injector/injector-core";
import { Registry } from "prom-client";
import { parse as parseYaml } from "yaml";
import type { AppDeps } from "../app.js";
import type { KubeLookups, ObjectMeta, WebhookEvent } from "../kube.js";
import { createLogger } from "../logger.js";
import { createMetrics } from "../metrics.js";
import { createPatchEncoder } from "../patch-text.js";
import type { ConfigSnapshot } from "../review.js";

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "test", "fixtures");

export function readFixture(...parts: string[]): string {
  return readFileSync(join(FIXTURES, ...parts), "utf8");
}

export function readJsonFixture<T = unknown>(...parts: string[]): T {
  return JSON.parse(readFixture(...parts)) as T;
}

/** A Linkerd fixture as the API server would send it: annotation and label values coerced to strings. */
export function readYamlObject(...parts: string[]): Record<string, unknown> {
  const doc = parseYaml(readFixture(...parts)) as Record<string, unknown>;
  const meta = doc["metadata"] as Record<string, unknown> | undefined;
  for (const field of ["annotations", "labels"]) {
    const map = meta?.[field] as Record<string, unknown> | undefined;
    if (map === undefined) continue;
    for (const [key, value] of Object.entries(map)) map[key] = String(value);
  }
  return doc;
}

export interface ClusterState {
  namespaces: ObjectMeta[];
  replicaSets: ObjectMeta[];
  jobs: ObjectMeta[];
}

export interface LookupLog {
  calls: string[];
}

/** Look-ups served from a table, recording each call (to show caching and which owners were followed). */
export function tableLookups(state: ClusterState, log: LookupLog = { calls: [] }): KubeLookups & LookupLog {
  const find = (items: ObjectMeta[], namespace: string | undefined, name: string) =>
    items.find((item) => item.name === name && (namespace === undefined || item.namespace === namespace)) ?? null;
  return {
    calls: log.calls,
    namespace: async (name) => {
      log.calls.push(`namespace/${name}`);
      return find(state.namespaces, undefined, name);
    },
    replicaSet: async (namespace, name) => {
      log.calls.push(`replicaset/${namespace}/${name}`);
      return find(state.replicaSets, namespace, name);
    },
    job: async (namespace, name) => {
      log.calls.push(`job/${namespace}/${name}`);
      return find(state.jobs, namespace, name);
    },
  };
}

export function clusterFixture(): ClusterState {
  return readJsonFixture<ClusterState>("reviews", "cluster.json");
}

/** Linkerd's webhook-test values (spec §7.1): defaults, version `dev-undefined`, a placeholder trust anchor. */
export function linkerdTestValues(extra: Record<string, unknown> = {}): Values {
  const resolved = resolveValues([
    { linkerdVersion: "dev-undefined", identityTrustAnchorsPEM: "IdentityTrustAnchorsPEM" },
    extra,
  ]);
  if (!resolved.ok) throw new Error(`test values: ${JSON.stringify(resolved.issues)}`);
  return resolved.values;
}

/** Values prepared as the config store prepares them, for a control plane in `linkerdNamespace`. */
export function testConfiguration(values: Values = linkerdTestValues(), linkerdNamespace = "linkerd"): Configuration {
  const prepared = prepareConfiguration(values, { linkerdNamespace });
  if (!prepared.ok) throw new Error(`test values: ${JSON.stringify(prepared.issues)}`);
  return prepared.configuration;
}

export interface Harness {
  deps: AppDeps;
  events: WebhookEvent[];
  logLines: () => Record<string, unknown>[];
  registry: Registry;
  metricsText: () => Promise<string>;
  /** Advance the fake clock (ms). */
  tick: (ms: number) => void;
}

export function makeHarness(options: {
  values?: Values;
  snapshot?: ConfigSnapshot;
  lookups?: KubeLookups | undefined;
  linkerdNamespace?: string;
}): Harness {
  const lines: string[] = [];
  const logger = createLogger({ level: "debug", format: "json", out: { write: (line) => lines.push(line) } });
  const registry = new Registry();
  const events: WebhookEvent[] = [];
  let now = 1000;
  const snapshot: ConfigSnapshot = options.snapshot ?? {
    ok: true,
    configuration: testConfiguration(options.values, options.linkerdNamespace),
    nativeSidecars: true,
    encodePatch: createPatchEncoder(),
  };
  const deps: AppDeps = {
    config: () => snapshot,
    lookups: options.lookups,
    events: { record: (event) => events.push(event) },
    metrics: createMetrics(registry),
    createdBy: "l5d-injector/webhook 0.1.0",
    logger,
    clock: () => now,
  };
  return {
    deps,
    events,
    logLines: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    registry,
    metricsText: () => registry.metrics(),
    tick: (ms) => {
      now += ms;
    },
  };
}

/** An AdmissionReview around `object`, shaped like the API server's. */
export function reviewOf(
  object: Record<string, unknown>,
  options: { uid?: string; namespace?: string; apiVersion?: string; dryRun?: boolean } = {},
): Record<string, unknown> {
  const kind = String(object["kind"] ?? "Pod");
  const meta = (object["metadata"] ?? {}) as Record<string, unknown>;
  return {
    apiVersion: options.apiVersion ?? "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: options.uid ?? "4f8c7d0e-1b2a-4c3d-9e8f-0a1b2c3d4e5f",
      kind: { group: "", version: "v1", kind },
      resource: { group: "", version: "v1", resource: `${kind.toLowerCase()}s` },
      namespace: options.namespace ?? (meta["namespace"] as string | undefined) ?? "default",
      operation: "CREATE",
      userInfo: { username: "system:serviceaccount:kube-system:replicaset-controller" },
      object,
      oldObject: null,
      dryRun: options.dryRun ?? false,
    },
  };
}

/** The JSON patch carried by a response (base64 of a JSON array). */
export function decodePatch(response: { patch?: string }): unknown[] {
  if (response.patch === undefined) return [];
  return JSON.parse(Buffer.from(response.patch, "base64").toString("utf8")) as unknown[];
}

/** Sum of a metric's samples whose labels include `match` (label order in the text format is not fixed). */
export async function metricValue(registry: Registry, name: string, match: Record<string, string>): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  const data = await metric.get();
  let sum = 0;
  for (const sample of data.values) {
    const labels = sample.labels as Record<string, string | number>;
    const sampleName = (sample as { metricName?: string }).metricName;
    if (sampleName !== undefined && sampleName !== name) continue;
    if (Object.entries(match).every(([k, v]) => String(labels[k]) === v)) sum += sample.value;
  }
  return sum;
}

/** A Namespace of Linkerd's fixtures as the namespace look-up returns it. */
export function namespaceMeta(file: string): ObjectMeta {
  const doc = readYamlObject("linkerd", file);
  const meta = doc["metadata"] as { name: string; annotations?: Record<string, string> };
  return { name: meta.name, ...(meta.annotations !== undefined ? { annotations: meta.annotations } : {}) };
}

// Linkerd's test stubs the owner as deployment/owner-deployment; here the pod really is owned by a ReplicaSet of
// that Deployment, resolved through the look-ups as in a cluster.
export const OWNER_RS: ObjectMeta = {
  name: "owner-deployment-7c9f5d8b6",
  namespace: "kube-public",
  uid: "3f2b9c1e-0000-4000-8000-000000000001",
  ownerReferences: [
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: "owner-deployment",
      uid: "3f2b9c1e-0000-4000-8000-000000000002",
    },
  ],
};

/** The pod, owned by {@link OWNER_RS}. */
export function withOwner(pod: Record<string, unknown>): Record<string, unknown> {
  const meta = pod["metadata"] as Record<string, unknown>;
  return {
    ...pod,
    metadata: {
      ...meta,
      ownerReferences: [
        { apiVersion: "apps/v1", kind: "ReplicaSet", name: OWNER_RS.name, uid: OWNER_RS.uid, controller: true },
      ],
    },
  };
}
