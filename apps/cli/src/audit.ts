/**
 * `l5d-injector audit`: every pod of a namespace (or of the cluster) against the injection it would get now, added up
 * by workload. The pods are read one page at a time and only per-workload counters are kept, so memory follows the
 * number of workloads, not of pods. Gather (pages, namespaces, owners) → core (`auditPod`, the tally) → print.
 */
import { setFlagsFromString } from "node:v8";
import {
  auditPod,
  createAuditTally,
  formatIssue,
  needsRestart,
  ownerNeedsLookup,
  prepareConfiguration,
  resolveValues,
  resolveWorkload,
  singleOwner,
  type AuditItem,
  type Configuration,
  type JsonValue,
  type KubeObjectLike,
  type OwnerRef,
} from "@l5d-injector/injector-core";
import { readValues } from "./cluster.js";
import { type CliIo, type ClusterFlags, clusterRequest } from "./io.js";
import type { KubeApi, KubeObject } from "./kube-api.js";
import { restartWorkloads } from "./restart.js";

export interface AuditArgs extends ClusterFlags {
  /** `-n`: the namespace to audit; ignored with `allNamespaces`. */
  namespace: string;
  /** `-A`. */
  allNamespaces: boolean;
  output: "table" | "json";
  /** `--verbose`: the table gets a DETAIL column. */
  verbose: boolean;
  restart: boolean;
  dryRun: boolean;
  /** `--pause`: between two restarts. */
  pauseMs: number;
}

/** What the command takes from the process besides `CliIo`: a clock and a timer, so that tests control both. */
export interface AuditDeps {
  now(): Date;
  sleep(ms: number): Promise<void>;
  /** Pods per LIST page. */
  pageSize?: number;
  /**
   * Called once before anything is read: the CLI sets V8's --optimize-for-size there (see `favourMemory`). Tests
   * leave it out, so that their process keeps its own settings.
   */
  favourMemory?: () => void;
}

/**
 * Makes V8 favour memory over speed for the rest of the process, as `node --optimize-for-size` does: a smaller young
 * generation and a heap limit that grows less after each full collection. Why: every pod's classification keeps a
 * few MB of young objects alive across scavenges, which V8 promotes; by default it lets such garbage pile up in the
 * old generation until the heap is several times its live size, so the peak RSS of `audit -A` grew with the number of
 * pods (257 MiB at 2,000, ~330 MiB at 8,000) although the live heap stays under 50 MiB. With the flag the old
 * generation is collected close to its live size, and loading @kubernetes/client-node also costs less (figures in
 * bench/audit.mjs and the README). Pages of 500 pods, smaller pages and a full collection per page were measured
 * too: smaller pages save little (about 20 MiB at 100 pods a page) for many more requests, and a full collection
 * per page is both slower and higher. The flag is set from the code, not by `node` options or the shebang, so that
 * it applies whether the CLI runs as the `l5d-injector` bin or as `node dist/injector.mjs`; V8 reads it at each
 * collection, so setting it while running takes effect.
 */
export function favourMemory(): void {
  setFlagsFromString("--optimize-for-size");
}

/** Exit code when something needs a restart (or, after `--restart`, still needs a manual one). */
export const EXIT_NEEDS_RESTART = 3;
/** ReplicaSets and Jobs remembered while reading pages: a bound, not a size any cluster is expected to reach. */
const OWNER_CACHE_SIZE = 4096;
/** Owner look-ups of one page sent at once. */
const LOOKUP_CONCURRENCY = 8;

export async function runAudit(args: AuditArgs, io: CliIo, deps: AuditDeps): Promise<number> {
  // Before the connection, which loads @kubernetes/client-node: most of the baseline is that load.
  deps.favourMemory?.();
  const connection = await io.connectKube(clusterRequest(args));
  if (!connection.ok) return failure(io, connection.message);
  const api = connection.api;
  const current = await readCurrent(api, args.linkerdNamespace, io);
  if (!current.ok) return failure(io, current.message);

  const audited = await auditPods(api, args, current.current, io, deps.pageSize);
  if (!audited.ok) return failure(io, audited.message);
  const items = audited.items;
  const pending = items.filter(needsRestart);
  // With -o json stdout is the document alone: what else is said goes to stderr.
  const say = args.output === "json" ? io.stderr : io.stdout;
  if (args.output === "json") io.stdout.write(`${JSON.stringify({ items }, null, 2)}\n`);
  else io.stdout.write(renderTable(items, args.verbose));

  if (!args.restart) return pending.length > 0 ? EXIT_NEEDS_RESTART : 0;
  const restarted = await restartWorkloads(pending, api, {
    dryRun: args.dryRun,
    pauseMs: args.pauseMs,
    now: deps.now,
    sleep: deps.sleep,
    write: (line) => say.write(`${line}\n`),
  });
  if (restarted.failed > 0) return 1;
  // A dry run changed nothing; a real one leaves only what needs a manual step.
  if (args.dryRun) return pending.length > 0 ? EXIT_NEEDS_RESTART : 0;
  return restarted.manual > 0 ? EXIT_NEEDS_RESTART : 0;
}

/** What the audit compares with: the configuration, the API server's version, and its webhook configurations. */
interface Current {
  configuration: Configuration;
  serverVersion: string;
  /** Absent when they cannot be read: explain then assumes the chart's. */
  webhooks: JsonValue[] | undefined;
}

type CurrentResult = { ok: true; current: Current } | { ok: false; message: string };

/**
 * The configuration the webhook injects with now: the cluster's `linkerd-config`, with the classic layout on
 * Kubernetes before 1.29, as the webhook chooses it (native sidecars need 1.29).
 */
async function readCurrent(api: KubeApi, linkerdNamespace: string, io: CliIo): Promise<CurrentResult> {
  const [values, version, webhooks] = await Promise.all([
    readValues(api, linkerdNamespace),
    api.get("/version"),
    readWebhooks(api),
  ]);
  if (!values.ok) return values;
  if (!version.ok) return { ok: false, message: `cannot read the Kubernetes version: ${version.message}` };
  const major = Number.parseInt(String(version.body["major"] ?? ""), 10);
  // Managed clusters report minors like "29+": the digits are what count.
  const minor = Number.parseInt(String(version.body["minor"] ?? ""), 10);
  const native = major > 1 || (major === 1 && minor >= 29);
  const layers = native ? [values.values] : [values.values, { proxy: { nativeSidecar: false } }];
  const resolved = resolveValues(layers);
  const prepared = resolved.ok ? prepareConfiguration(resolved.values, { linkerdNamespace }) : resolved;
  if (!prepared.ok) {
    return { ok: false, message: `invalid values in linkerd-config: ${prepared.issues.map(formatIssue).join("; ")}` };
  }
  if (!webhooks.ok) {
    io.stderr.write(
      `warning: ${webhooks.message}; assuming the injector's webhook configuration as the chart installs it\n`,
    );
  }
  const gitVersion = version.body["gitVersion"];
  return {
    ok: true,
    current: {
      configuration: prepared.configuration,
      serverVersion: typeof gitVersion === "string" ? gitVersion : `v${major}.${minor}.0`,
      webhooks: webhooks.ok ? webhooks.items : undefined,
    },
  };
}

/** The cluster's MutatingWebhookConfigurations: which webhooks the API server calls for a pod. */
async function readWebhooks(api: KubeApi): Promise<{ ok: true; items: JsonValue[] } | { ok: false; message: string }> {
  const items: JsonValue[] = [];
  for await (const page of api.list("/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations")) {
    if (!page.ok) return { ok: false, message: `cannot list MutatingWebhookConfigurations: ${page.message}` };
    items.push(...(page.items as JsonValue[]));
  }
  return { ok: true, items };
}

type AuditResult = { ok: true; items: AuditItem[] } | { ok: false; message: string };

interface NamespaceFacts {
  annotations: Record<string, string>;
  labels: Record<string, string>;
}

async function auditPods(
  api: KubeApi,
  args: AuditArgs,
  current: Current,
  io: CliIo,
  pageSize: number | undefined,
): Promise<AuditResult> {
  const tally = createAuditTally();
  const namespaces = new Map<string, NamespaceFacts>();
  const owners = new BoundedCache<string, OwnerRef | undefined>(OWNER_CACHE_SIZE);
  const warned = new Set<string>();
  const warn = (key: string, message: string) => {
    if (!warned.has(key)) io.stderr.write(`warning: ${message}\n`);
    warned.add(key);
  };
  const path = args.allNamespaces ? "/api/v1/pods" : `/api/v1/namespaces/${encodeURIComponent(args.namespace)}/pods`;

  for await (const page of api.list(path, {}, pageSize)) {
    if (!page.ok) return { ok: false, message: `cannot list pods: ${page.message}` };
    const pods = page.items.filter(isRunning);
    // Everything the page needs from the cluster is read before any pod is classified, so that classifying is
    // synchronous: the page is then dropped before the next await, and its objects can die in V8's young
    // generation instead of being promoted and kept until a rare full collection (memory flat in cluster size).
    const lookups = new Map<string, { namespace: string; owner: OwnerRef }>();
    const newNamespaces = new Set<string>();
    for (const pod of pods) {
      const owner = singleOwner(pod as KubeObjectLike);
      const namespace = namespaceOf(pod);
      if (!namespaces.has(namespace)) newNamespaces.add(namespace);
      const key = `${namespace}/${owner?.kind}/${owner?.name}`;
      if (ownerNeedsLookup(owner) && !owners.has(key)) lookups.set(key, { namespace, owner });
    }
    let failed: string | undefined;
    await mapLimit([...newNamespaces], LOOKUP_CONCURRENCY, async (namespace) => {
      const read = await readNamespace(api, namespace);
      if (read.ok) namespaces.set(namespace, read.facts);
      else failed ??= read.message;
    });
    if (failed !== undefined) return { ok: false, message: failed };
    await mapLimit([...lookups], LOOKUP_CONCURRENCY, async ([key, { namespace, owner }]) => {
      const found = await readOwner(api, namespace, owner);
      if (!found.ok)
        warn(`${owner.kind}:${found.message}`, `${found.message}; pods are listed under the ${owner.kind}`);
      owners.set(key, found.ok ? found.owner : undefined);
    });
    for (const item of pods) {
      // Items of a LIST carry no kind: the core reads one to know it has a Pod.
      const pod = { ...item, apiVersion: "v1", kind: "Pod" };
      const namespace = namespaceOf(pod);
      const facts = namespaces.get(namespace) as NamespaceFacts;
      const owner = singleOwner(pod as KubeObjectLike);
      const { workload, admissionOwner } = resolveWorkload(
        pod as KubeObjectLike,
        owners.get(`${namespace}/${owner?.kind}/${owner?.name}`),
      );
      const audit = auditPod(pod as KubeObjectLike, {
        configuration: current.configuration,
        namespace: { name: namespace, labels: facts.labels, annotations: facts.annotations },
        owner: admissionOwner,
        webhooks: current.webhooks,
        serverVersion: current.serverVersion,
      });
      tally.add(workload, nameOf(pod), audit);
    }
  }
  return { ok: true, items: tally.items() };
}

/**
 * Pods that are going away (being deleted) or have finished (a Job's completed pods) are not audited: no restart
 * concerns them, and the pods replacing them are what count.
 */
function isRunning(pod: KubeObject): boolean {
  const meta = pod["metadata"] as { deletionTimestamp?: unknown } | undefined;
  const phase = (pod["status"] as { phase?: unknown } | undefined)?.phase;
  return meta?.deletionTimestamp === undefined && phase !== "Succeeded" && phase !== "Failed";
}

async function readNamespace(
  api: KubeApi,
  name: string,
): Promise<{ ok: true; facts: NamespaceFacts } | { ok: false; message: string }> {
  const response = await api.get(`/api/v1/namespaces/${encodeURIComponent(name)}`);
  if (!response.ok) return { ok: false, message: `cannot read namespace ${name}: ${response.message}` };
  const meta = (response.body["metadata"] ?? {}) as { annotations?: unknown; labels?: unknown };
  return { ok: true, facts: { annotations: strings(meta.annotations), labels: strings(meta.labels) } };
}

const OWNER_PATHS: Readonly<Record<string, string>> = { ReplicaSet: "replicasets", Job: "jobs" };
const OWNER_GROUPS: Readonly<Record<string, string>> = { ReplicaSet: "/apis/apps/v1", Job: "/apis/batch/v1" };

/** The single owner of a ReplicaSet or Job; one that no longer exists has none, as the webhook reads it. */
async function readOwner(
  api: KubeApi,
  namespace: string,
  owner: OwnerRef,
): Promise<{ ok: true; owner: OwnerRef | undefined } | { ok: false; message: string }> {
  const path = `${OWNER_GROUPS[owner.kind]}/namespaces/${encodeURIComponent(namespace)}/${OWNER_PATHS[owner.kind]}/${encodeURIComponent(owner.name)}`;
  const response = await api.get(path);
  if (response.ok) return { ok: true, owner: singleOwner(response.body as KubeObjectLike) };
  if (response.status === 404) return { ok: true, owner: undefined };
  return { ok: false, message: `cannot read ${owner.kind} ${namespace}/${owner.name}: ${response.message}` };
}

/** The table `audit` prints: one line per workload, as `kubectl get` lays them out. */
export function renderTable(items: readonly AuditItem[], detail: boolean): string {
  if (items.length === 0) return "No pods found.\n";
  const header = ["NAMESPACE", "WORKLOAD", "STATUS", "PODS", "REASON", ...(detail ? ["DETAIL"] : [])];
  const rows = items.map((item) => [
    item.namespace,
    `${item.kind.toLowerCase()}/${item.name}`,
    item.status,
    String(item.pods),
    item.reason,
    ...(detail ? [item.detail] : []),
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd((widths[i] as number) + 3)))
      .join("")
      .trimEnd();
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item.status, (counts.get(item.status) ?? 0) + 1);
  const summary = ["meshed", "unmeshed", "stale", "skipped", "uninjectable"]
    .filter((status) => counts.has(status))
    .map((status) => `${counts.get(status)} ${status}`)
    .join(", ");
  return `${[line(header), ...rows.map(line)].join("\n")}\n\n${items.length} workload${items.length === 1 ? "" : "s"}: ${summary}\n`;
}

function failure(io: CliIo, message: string): number {
  io.stderr.write(`Error: ${message}\n`);
  return 1;
}

function namespaceOf(pod: KubeObject): string {
  const namespace = (pod["metadata"] as { namespace?: unknown } | undefined)?.namespace;
  return typeof namespace === "string" ? namespace : "";
}

function nameOf(pod: KubeObject): string {
  const name = (pod["metadata"] as { name?: unknown } | undefined)?.name;
  return typeof name === "string" ? name : "";
}

function strings(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value !== "object" || value === null) return out;
  for (const [key, entry] of Object.entries(value)) if (typeof entry === "string") out[key] = entry;
  return out;
}

/** Runs `task` over `items`, at most `limit` at a time. */
async function mapLimit<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** A map that forgets its oldest entry beyond `size`: enough for owners, which pods of a page share. */
class BoundedCache<K, V> {
  readonly #entries = new Map<K, V>();
  constructor(readonly size: number) {}
  has(key: K): boolean {
    return this.#entries.has(key);
  }
  get(key: K): V | undefined {
    return this.#entries.get(key);
  }
  set(key: K, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.size) this.#entries.delete(this.#entries.keys().next().value as K);
  }
}
