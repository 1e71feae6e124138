import type { AuditReason, AuditStatus, PodAudit } from "./pod.js";
import type { WorkloadRef } from "./workload.js";

/** One line of an audit: a workload, what its pods add up to, and why. The shape of `audit -o json`'s items. */
export interface AuditItem extends WorkloadRef {
  status: AuditStatus;
  /** How many of its pods were seen. */
  pods: number;
  reason: AuditReason;
  detail: string;
}

/**
 * A workload takes the status of its most urgent pod: one pod without a proxy is enough for the workload to need a
 * restart. Pods of one workload differ during a rollout, or when they were created before a change.
 */
const URGENCY: readonly AuditStatus[] = ["unmeshed", "stale", "uninjectable", "skipped", "meshed"];

/** Pod audits added up by workload. */
export interface AuditTally {
  /** Counts one pod of `workload` (`pod` is its name, for the example a line gives). */
  add(workload: WorkloadRef, pod: string, audit: PodAudit): void;
  /** One item per workload, ordered by namespace, kind and name. */
  items(): AuditItem[];
}

interface Entry {
  ref: WorkloadRef;
  pods: number;
  counts: Record<AuditStatus, number>;
  /** The first pod seen with each status, and its audit: the example the line gives. */
  first: Partial<Record<AuditStatus, { pod: string; audit: PodAudit }>>;
}

/**
 * Adds up pod audits by workload, keeping counters and one example per status, never the pods: memory grows with
 * the number of workloads, not of pods.
 *
 * @example
 * const tally = createAuditTally();
 * for (const pod of page) tally.add(workloadOf(pod), pod.metadata.name, auditPod(pod, options));
 * tally.items(); // [{ kind: "Deployment", namespace: "shop", name: "web", status: "stale", pods: 3, ... }]
 */
export function createAuditTally(): AuditTally {
  const entries = new Map<string, Entry>();
  return {
    add(workload, pod, audit) {
      const key = `${workload.namespace}\u0000${workload.kind}\u0000${workload.name}`;
      let entry = entries.get(key);
      if (entry === undefined) {
        entry = {
          ref: { kind: workload.kind, namespace: workload.namespace, name: workload.name },
          pods: 0,
          counts: { meshed: 0, unmeshed: 0, stale: 0, skipped: 0, uninjectable: 0 },
          first: {},
        };
        entries.set(key, entry);
      }
      entry.pods += 1;
      entry.counts[audit.status] += 1;
      entry.first[audit.status] ??= { pod, audit };
    },
    items() {
      return [...entries.values()].map(summarise).sort(byPlace);
    },
  };
}

function summarise(entry: Entry): AuditItem {
  const status = URGENCY.find((s) => entry.counts[s] > 0) ?? "meshed";
  const example = entry.first[status];
  const count = entry.counts[status];
  let detail = example?.audit.detail ?? "";
  // The example pod is named when the workload has more than one, so that it can be looked at.
  if (entry.pods > 1 && detail !== "") detail = `${count} of ${entry.pods} pods, e.g. ${example?.pod}: ${detail}`;
  return { ...entry.ref, status, pods: entry.pods, reason: example?.audit.reason ?? "", detail };
}

function byPlace(a: AuditItem, b: AuditItem): number {
  return compare(a.namespace, b.namespace) || compare(a.kind, b.kind) || compare(a.name, b.name);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether an audit should fail a CI job or a cron job: something needs a restart. */
export function needsRestart(item: Pick<AuditItem, "status">): boolean {
  return item.status === "unmeshed" || item.status === "stale";
}
