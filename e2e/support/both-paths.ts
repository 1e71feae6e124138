/**
 * "Both paths, one output": the CLI's `inject --manual` of the pod the API server sent to the webhook must give
 * the pod the API server stored after the webhook's patch. This module builds the CLI's input and reduces both
 * pods to what the injection writes, so that they can be compared with one `toEqual`.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { E2eContext } from "./context.js";
import type { Pod } from "./kube-types.js";
import { CLI_MAIN } from "./paths.js";
import { expectedLayout } from "./pods.js";
import { runOk } from "./process.js";
import { parseYamlDocuments } from "./yaml.js";

export const CREATED_BY = "linkerd.io/created-by";
const OPAQUE_PORTS = "config.linkerd.io/opaque-ports";
// Linkerd's default `proxy.opaquePorts`; the suite's values do not change it.
const DEFAULT_OPAQUE_PORTS = new Set([25, 587, 3306, 4444, 5432, 6379, 9300, 11211]);

/**
 * Which stored pod a recording belongs to. Controllers create pods with `generateName`, and the name is only
 * filled in after admission, so a recording is identified by its namespace, its name or generateName, and its
 * controller's uid (a new ReplicaSet after a rollout restart has a new uid).
 */
export function recordingKey(namespace: string, pod: Pod): string {
  const meta = pod.metadata;
  const owner = meta.ownerReferences?.find((ref) => ref.controller === true) ?? meta.ownerReferences?.[0];
  return [namespace, meta.generateName ?? meta.name ?? "", owner?.uid ?? ""].join("/");
}

/**
 * The CLI's input: the recorded pod plus what the webhook takes from elsewhere than the pod, so that both paths
 * start from the same configuration:
 * - the namespace (spec §1.7): the webhook copies the Namespace's proxy annotations the pod lacks; the CLI sees no
 *   Namespace, so they are copied onto its input as the webhook would. The suite's namespaces carry only keys of
 *   that list (`linkerd.io/inject` and `config.linkerd.io/*` proxy settings), so copying by prefix is exact here.
 * - the default opaque ports (spec §3.6, §6.4): the webhook narrows Linkerd's default list to the ports the pod
 *   exposes and writes that as an annotation; the CLI never does. The narrowed list is computed here from the
 *   pod's ports, independently of the webhook, so the comparison also checks the webhook's annotation.
 * - the request namespace: the webhook reads it from the request, the CLI from `metadata.namespace`, which the API
 *   server only fills in after admission for objects posted without it.
 */
export function cliInput(recorded: Pod, namespace: string, namespaceAnnotations: Record<string, string>): Pod {
  const pod = structuredClone(recorded);
  pod.metadata.namespace ??= namespace;
  const annotations = { ...(pod.metadata.annotations ?? {}) };
  for (const [key, value] of Object.entries(namespaceAnnotations)) {
    const inherited =
      key === "linkerd.io/inject" || key.startsWith("config.linkerd.io/") || key.startsWith("config.alpha.linkerd.io/");
    if (inherited && annotations[key] === undefined) annotations[key] = value;
  }
  if (annotations[OPAQUE_PORTS] === undefined) {
    const exposed = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].flatMap((c) =>
      (c.ports ?? []).map((p) => p.containerPort),
    );
    const opaque = exposed.filter((port) => DEFAULT_OPAQUE_PORTS.has(port));
    if (opaque.length > 0) annotations[OPAQUE_PORTS] = opaque.join(",");
  }
  if (Object.keys(annotations).length > 0) pod.metadata.annotations = annotations;
  return pod;
}

/**
 * `inject --manual` of the CLI with the values the webhook uses. Below Kubernetes 1.29 the webhook layers
 * `proxy.nativeSidecar: false` over those values by itself (the CLI cannot know the cluster), so the CLI gets a
 * values file with that layer added. A values file rather than `--set`: the CLI turns flags that differ from the
 * values into `config.linkerd.io/*` annotations (spec §5.5), which the webhook's values never produce.
 * Input and output stay in the work folder, for a failing comparison.
 */
export async function injectWithCli(ctx: E2eContext, input: Pod, name: string): Promise<Pod> {
  const dir = join(ctx.workDir, "cli");
  await mkdir(dir, { recursive: true });
  const values = JSON.parse(await readFile(ctx.valuesFile, "utf8")) as Record<string, unknown>;
  if (expectedLayout(ctx.server) === "classic") {
    values["proxy"] = { ...(values["proxy"] as Record<string, unknown> | undefined), nativeSidecar: false };
  }
  const valuesFile = join(dir, "values.json");
  await writeFile(valuesFile, `${JSON.stringify(values, null, 2)}\n`);
  const file = join(dir, `${name}.input.json`);
  await writeFile(file, `${JSON.stringify(input, null, 2)}\n`);
  const args = [CLI_MAIN, "inject", "--manual", "--values", valuesFile, "-L", ctx.linkerdNamespace, file];
  const out = await runOk(process.execPath, args, { timeoutMs: 30_000 });
  await writeFile(join(dir, `${name}.output.yaml`), out);
  const docs = parseYamlDocuments(out);
  if (docs.length !== 1) throw new Error(`expected one document from the CLI, got ${docs.length}:\n${out}`);
  return docs[0] as Pod;
}

export interface Comparable {
  annotations: Record<string, string>;
  labels: Record<string, string>;
  initContainers: unknown[];
  containers: unknown[];
  volumes: unknown[];
}

/** The parts of a pod the injection writes (spec §3.2, §3.7, §6.5), with nothing removed yet. */
export function injectedParts(pod: Pod): Comparable {
  return structuredClone({
    annotations: pod.metadata.annotations ?? {},
    labels: pod.metadata.labels ?? {},
    initContainers: pod.spec.initContainers ?? [],
    containers: pod.spec.containers,
    volumes: pod.spec.volumes ?? [],
  });
}

// Kubernetes 1.19 to 1.24 mirror each `securityContext.seccompProfile` into these annotations when a pod is
// created, for older kubelets (pkg/registry/core/pod/strategy.go); the injected containers carry such a profile.
const SECCOMP_MIRROR =
  /^(container\.seccomp\.security\.alpha\.kubernetes\.io\/|seccomp\.security\.alpha\.kubernetes\.io\/pod$)/;

/**
 * Both pods reduced to what the injection decides, ready for one `toEqual`. The caller has checked, and removed,
 * what differs between the paths by design (created-by, the owner label, `linkerd.io/inject`). What remains differs
 * only by what the API server does to every pod it stores:
 * - annotations it adds (the seccomp mirror above) are dropped when the CLI's pod lacks them;
 * - a container's resource requests default to its limits (SetDefaults_Container), so the CLI's containers get the
 *   same defaulting;
 * - fields it fills with defaults, and empty fields, are ignored when present on one side only (`alignDefaults`).
 */
export function normalisedSides(webhook: Comparable, cli: Comparable): [unknown, unknown] {
  for (const key of Object.keys(webhook.annotations)) {
    if (SECCOMP_MIRROR.test(key) && cli.annotations[key] === undefined) delete webhook.annotations[key];
  }
  for (const container of [...cli.initContainers, ...cli.containers]) defaultRequestsFromLimits(container);
  return alignDefaults(webhook, cli);
}

function defaultRequestsFromLimits(container: unknown): void {
  if (!isRecord(container) || !isRecord(container["resources"])) return;
  const resources = container["resources"];
  if (!isRecord(resources["limits"])) return;
  const requests = isRecord(resources["requests"]) ? resources["requests"] : {};
  for (const [name, limit] of Object.entries(resources["limits"])) requests[name] ??= limit;
  resources["requests"] = requests;
}

/**
 * Values the API server fills in when a field is absent (pkg/apis/core/v1/defaults.go): they appear in the stored
 * pod for the containers and volumes the patch added, but not in the CLI's output. Keyed by field name, with the
 * parent fields they apply under when the name alone is ambiguous.
 */
const SERVER_DEFAULTS: { key: string; values: unknown[]; under?: string[] }[] = [
  { key: "terminationMessagePath", values: ["/dev/termination-log"] },
  { key: "terminationMessagePolicy", values: ["File"] },
  // IfNotPresent, or Always for `:latest` and untagged images.
  { key: "imagePullPolicy", values: ["IfNotPresent", "Always"] },
  { key: "protocol", values: ["TCP"] },
  { key: "apiVersion", values: ["v1"], under: ["fieldRef"] },
  { key: "timeoutSeconds", values: [1], under: ["livenessProbe", "readinessProbe", "startupProbe"] },
  { key: "periodSeconds", values: [10], under: ["livenessProbe", "readinessProbe", "startupProbe"] },
  { key: "successThreshold", values: [1], under: ["livenessProbe", "readinessProbe", "startupProbe"] },
  { key: "failureThreshold", values: [3], under: ["livenessProbe", "readinessProbe", "startupProbe"] },
  { key: "scheme", values: ["HTTP"], under: ["httpGet"] },
  { key: "defaultMode", values: [420] },
  { key: "expirationSeconds", values: [3600], under: ["serviceAccountToken"] },
];

function isIgnorableOneSided(parent: string, key: string, value: unknown): boolean {
  // Empty values: the webhook's patch writes `resources: null`, which the API server stores as `{}`, while the
  // CLI, like kubectl, omits empty fields.
  if (value === null || (Array.isArray(value) && value.length === 0)) return true;
  if (isRecord(value) && Object.keys(value).length === 0 && key !== "emptyDir") return true;
  return SERVER_DEFAULTS.some(
    (d) => d.key === key && d.values.includes(value) && (d.under === undefined || d.under.includes(parent)),
  );
}

/**
 * Aligns two JSON values for comparison: a field present on one side only is dropped when it is empty or holds the
 * API server's default at that place (see SERVER_DEFAULTS), so only what the injection decides is compared. A
 * field on both sides is always compared, and a one-sided field with any other value stays and fails the test.
 * Lists are aligned item by item (their order is part of the injection's output).
 */
export function alignDefaults(a: unknown, b: unknown, parent = ""): [unknown, unknown] {
  if (Array.isArray(a) && Array.isArray(b)) {
    const pairs = a.map((item, i) => (i < b.length ? alignDefaults(item, b[i], parent) : [item, undefined]));
    return [pairs.map((p) => p[0]), [...pairs.slice(0, b.length).map((p) => p[1]), ...b.slice(a.length)]];
  }
  if (isRecord(a) && isRecord(b)) {
    const outA: Record<string, unknown> = {};
    const outB: Record<string, unknown> = {};
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const inA = Object.hasOwn(a, key);
      const inB = Object.hasOwn(b, key);
      if (inA && inB) {
        const [x, y] = alignDefaults(a[key], b[key], key);
        outA[key] = x;
        outB[key] = y;
      } else if (inA) {
        if (!isIgnorableOneSided(parent, key, a[key])) outA[key] = a[key];
      } else if (!isIgnorableOneSided(parent, key, b[key])) {
        outB[key] = b[key];
      }
    }
    return [outA, outB];
  }
  return [a, b];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
