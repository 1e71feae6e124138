/**
 * `explain KIND/NAME -n NS`: reads the object, its Namespace, the MutatingWebhookConfigurations, the API server's
 * version and the workload's current pods through the CLI's Kubernetes client, then asks the core.
 */
import {
  describeRequirement,
  explainWorkload,
  readLabelSelector,
  type Configuration,
  type Hint,
  type JsonValue,
} from "@l5d-injector/injector-core";
import type { ExplainArgs } from "./explain.js";
import type { ExplainedItem, PodState } from "./explain-output.js";
import { clusterRequest, type CliIo } from "./io.js";
import type { KubeApi, KubeObject } from "./kube-api.js";

interface KindInfo {
  kind: string;
  names: readonly string[];
  /** API paths to try in order: CronJobs are batch/v1beta1 before Kubernetes 1.21. */
  apis: readonly string[];
  resource: string;
}

/** The kinds explain reads, with kubectl's names for them. */
const KINDS: readonly KindInfo[] = [
  {
    kind: "Deployment",
    names: ["deployment", "deployments", "deploy"],
    apis: ["/apis/apps/v1"],
    resource: "deployments",
  },
  {
    kind: "StatefulSet",
    names: ["statefulset", "statefulsets", "sts"],
    apis: ["/apis/apps/v1"],
    resource: "statefulsets",
  },
  { kind: "DaemonSet", names: ["daemonset", "daemonsets", "ds"], apis: ["/apis/apps/v1"], resource: "daemonsets" },
  { kind: "ReplicaSet", names: ["replicaset", "replicasets", "rs"], apis: ["/apis/apps/v1"], resource: "replicasets" },
  { kind: "Job", names: ["job", "jobs"], apis: ["/apis/batch/v1"], resource: "jobs" },
  {
    kind: "CronJob",
    names: ["cronjob", "cronjobs", "cj"],
    apis: ["/apis/batch/v1", "/apis/batch/v1beta1"],
    resource: "cronjobs",
  },
  { kind: "Pod", names: ["pod", "pods", "po"], apis: ["/api/v1"], resource: "pods" },
];

export interface LiveTarget {
  info: KindInfo;
  name: string;
}

/**
 * Whether the argument names a live object (`deploy/web`, `deployment.apps/web`) rather than a file: it has that
 * shape and no such file exists. `undefined`: a manifest input.
 */
export async function liveTarget(
  target: string,
  io: CliIo,
): Promise<undefined | { ok: true; target: LiveTarget } | { ok: false; message: string }> {
  const match = /^([A-Za-z][A-Za-z0-9.]*)\/([^/]+)$/.exec(target);
  if (match === null) return undefined;
  const exists = await io.stat(target).catch(() => "other" as const);
  if (exists !== "missing") return undefined;
  const word = (match[1] as string).split(".")[0]?.toLowerCase() ?? "";
  const info = KINDS.find((k) => k.names.includes(word));
  if (info === undefined) {
    return {
      ok: false,
      message: `"${target}" is neither a file nor KIND/NAME of a kind explain reads (${KINDS.map((k) => k.names.at(-1)).join(", ")})`,
    };
  }
  return { ok: true, target: { info, name: match[2] as string } };
}

type Result<T> = { ok: true; value: T } | { ok: false; message: string };

export async function explainLive(
  target: LiveTarget,
  args: ExplainArgs,
  configuration: Configuration,
  io: CliIo,
): Promise<{ ok: true; item: ExplainedItem } | { ok: false; message: string }> {
  const connection = await io.connectKube(clusterRequest(args));
  if (!connection.ok) return connection;
  const api = connection.api;
  const namespace = args.namespace ?? "default";
  const what = `${target.info.kind.toLowerCase()} "${target.name}"`;

  const object = await readObject(api, target, namespace);
  if (!object.ok) return object;
  const ns = await api.get(`/api/v1/namespaces/${encodeURIComponent(namespace)}`);
  if (!ns.ok) {
    return {
      ok: false,
      message:
        ns.status === 404
          ? `namespace "${namespace}" not found`
          : `cannot read namespace "${namespace}": ${ns.message}`,
    };
  }
  const webhooks = await listAll(api, "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations");
  if (!webhooks.ok) return { ok: false, message: `cannot list MutatingWebhookConfigurations: ${webhooks.message}` };
  const version = await api.get("/version");
  if (!version.ok) return { ok: false, message: `cannot read the API server's version: ${version.message}` };
  const pods = await currentPods(api, target, object.value, namespace);
  if (!pods.ok) return { ok: false, message: `cannot list the pods of ${what}: ${pods.message}` };

  const nsMeta = metadataOf(ns.body);
  const [explanation] = explainWorkload(object.value as JsonValue, {
    configuration,
    namespace: { name: namespace, labels: strings(nsMeta["labels"]), annotations: strings(nsMeta["annotations"]) },
    webhooks: webhooks.value as JsonValue[],
    serverVersion: typeof version.body["gitVersion"] === "string" ? version.body["gitVersion"] : undefined,
  });
  if (explanation === undefined) return { ok: false, message: `${what} has no pod template to explain` };
  const states = pods.value.map(podState);
  const stale = states.filter((p) => !p.injected);
  const hints: Hint[] = [...explanation.hints];
  if (explanation.inject && stale.length > 0 && target.info.kind !== "Pod") {
    hints.push({
      code: "pods_not_injected_yet",
      message: `${stale.length} of its ${states.length} current pods have no proxy: they were created before injection applied; restart them (kubectl -n ${namespace} rollout restart ${target.info.kind.toLowerCase()}/${target.name}, or delete the pods)`,
    });
  }
  return { ok: true, item: { explanation: { ...explanation, hints }, pods: states } };
}

async function readObject(api: KubeApi, target: LiveTarget, namespace: string): Promise<Result<KubeObject>> {
  const what = `${target.info.kind.toLowerCase()} "${target.name}"`;
  for (const base of target.info.apis) {
    const path = `${base}/namespaces/${encodeURIComponent(namespace)}/${target.info.resource}/${encodeURIComponent(target.name)}`;
    const answer = await api.get(path);
    // Anything but the object itself (a list from a path that names a collection) is no answer.
    if (answer.ok && metadataOf(answer.body)["name"] === target.name) {
      // A GET leaves out kind and apiVersion in some client paths; the core reads the kind.
      return { ok: true, value: { kind: target.info.kind, ...answer.body } };
    }
    if (!answer.ok && answer.status !== 404)
      return { ok: false, message: `cannot read ${what} in namespace "${namespace}": ${answer.message}` };
  }
  return { ok: false, message: `${what} not found in namespace "${namespace}"` };
}

async function listAll(api: KubeApi, path: string, query?: Record<string, string>): Promise<Result<KubeObject[]>> {
  const items: KubeObject[] = [];
  for await (const page of api.list(path, query)) {
    if (!page.ok) return { ok: false, message: page.message };
    items.push(...page.items);
  }
  return { ok: true, value: items };
}

/** The workload's pods now: the Pod itself, the pods its selector picks, or (CronJob) the pods of its Jobs. */
async function currentPods(
  api: KubeApi,
  target: LiveTarget,
  object: KubeObject,
  namespace: string,
): Promise<Result<KubeObject[]>> {
  if (target.info.kind === "Pod") return { ok: true, value: [object] };
  const podsPath = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;
  if (target.info.kind === "CronJob") {
    const jobs = await listAll(api, `/apis/batch/v1/namespaces/${encodeURIComponent(namespace)}/jobs`);
    if (!jobs.ok) return jobs;
    const names = jobs.value
      .filter((job) => owners(job).some((o) => o["kind"] === "CronJob" && o["name"] === target.name))
      .map((job) => metadataOf(job)["name"])
      .filter((name): name is string => typeof name === "string");
    if (names.length === 0) return { ok: true, value: [] };
    return listAll(api, podsPath, { labelSelector: `job-name in (${names.join(",")})` });
  }
  const spec = object["spec"];
  const selector = readLabelSelector(
    typeof spec === "object" && spec !== null
      ? ((spec as Record<string, unknown>)["selector"] as JsonValue)
      : undefined,
  );
  // A workload without a selector would select every pod: show none rather than the wrong ones.
  if (selector === undefined) return { ok: true, value: [] };
  const parts = [
    ...Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(selector.matchExpressions ?? []).map(describeRequirement),
  ];
  if (parts.length === 0) return { ok: true, value: [] };
  return listAll(api, podsPath, { labelSelector: parts.join(",") });
}

function podState(pod: KubeObject): PodState {
  const meta = metadataOf(pod);
  const spec = (typeof pod["spec"] === "object" && pod["spec"] !== null ? pod["spec"] : {}) as Record<string, unknown>;
  const containers = [spec["containers"], spec["initContainers"]].flatMap((list) => (Array.isArray(list) ? list : []));
  const proxy = containers.find(
    (c): c is Record<string, unknown> =>
      typeof c === "object" && c !== null && (c as Record<string, unknown>)["name"] === "linkerd-proxy",
  );
  const annotations = strings(meta["annotations"]);
  const image = typeof proxy?.["image"] === "string" ? proxy["image"] : "";
  const tag = image.includes(":") && !image.includes("@") ? (image.split(":").at(-1) ?? "") : "";
  const status = pod["status"];
  const phase =
    typeof status === "object" && status !== null && typeof (status as Record<string, unknown>)["phase"] === "string"
      ? ((status as Record<string, unknown>)["phase"] as string)
      : "";
  return {
    name: typeof meta["name"] === "string" ? meta["name"] : "",
    phase,
    injected: proxy !== undefined,
    proxyVersion: proxy === undefined ? "" : (annotations["linkerd.io/proxy-version"] ?? tag),
  };
}

function metadataOf(object: KubeObject): Record<string, unknown> {
  const meta = object["metadata"];
  return typeof meta === "object" && meta !== null && !Array.isArray(meta) ? (meta as Record<string, unknown>) : {};
}

function owners(object: KubeObject): Record<string, unknown>[] {
  const refs = metadataOf(object)["ownerReferences"];
  return Array.isArray(refs)
    ? refs.filter((r): r is Record<string, unknown> => typeof r === "object" && r !== null)
    : [];
}

function strings(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value !== "object" || value === null) return out;
  for (const [key, entry] of Object.entries(value)) if (typeof entry === "string") out[key] = entry;
  return out;
}
