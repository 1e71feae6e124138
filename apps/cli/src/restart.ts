/**
 * `audit --restart`: restarts the workloads an audit found `unmeshed` or `stale` as `kubectl rollout restart` does,
 * by stamping `kubectl.kubernetes.io/restartedAt` on the pod template, so that the controller replaces the pods and
 * the webhook injects the new ones. One workload at a time, with a pause between, so that a cluster-wide restart does
 * not replace every pod at once. Jobs, CronJobs and bare Pods have no rollout: they are listed for a manual step and
 * never deleted.
 */
import type { AuditItem } from "@l5d-injector/injector-core";
import type { KubeApi } from "./kube-api.js";

export const RESTARTED_AT = "kubectl.kubernetes.io/restartedAt";

/** The kinds with a rollout, and their API paths. */
const ROLLOUT_PATHS: Readonly<Record<string, string>> = {
  Deployment: "/apis/apps/v1/namespaces/{ns}/deployments/{name}",
  StatefulSet: "/apis/apps/v1/namespaces/{ns}/statefulsets/{name}",
  DaemonSet: "/apis/apps/v1/namespaces/{ns}/daemonsets/{name}",
};

/** What a restart of something without a rollout takes instead. */
const MANUAL_STEPS: Readonly<Record<string, string>> = {
  Job: "a Job's pods are not replaced: delete and re-create the Job once its pods may go",
  CronJob: "the CronJob's next Job gets the proxy; delete the running Job's pods to replace them now",
  Pod: "a bare Pod has no controller: delete and re-create it",
};

export interface RestartOptions {
  dryRun: boolean;
  pauseMs: number;
  now(): Date;
  sleep(ms: number): Promise<void>;
  write(line: string): void;
}

export interface RestartSummary {
  restarted: number;
  /** Workloads that need a manual step. */
  manual: number;
  failed: number;
}

/**
 * Restarts `items` in order. A failed patch is reported and the next workload is still restarted: one workload the
 * user may not patch should not hold up the others.
 */
export async function restartWorkloads(
  items: readonly AuditItem[],
  api: KubeApi,
  options: RestartOptions,
): Promise<RestartSummary> {
  const summary: RestartSummary = { restarted: 0, manual: 0, failed: 0 };
  const what = (item: AuditItem) => `${item.kind.toLowerCase()}/${item.name} in ${item.namespace} (${item.status})`;
  let first = true;
  for (const item of items) {
    const template = ROLLOUT_PATHS[item.kind];
    if (template === undefined) {
      summary.manual += 1;
      const step = MANUAL_STEPS[item.kind] ?? `${item.kind} is not a kind this command restarts: replace its pods`;
      options.write(`manual step needed for ${what(item)}: ${step}`);
      continue;
    }
    if (options.dryRun) {
      options.write(`would restart ${what(item)}`);
      summary.restarted += 1;
      continue;
    }
    if (!first) await options.sleep(options.pauseMs);
    first = false;
    const path = template
      .replace("{ns}", encodeURIComponent(item.namespace))
      .replace("{name}", encodeURIComponent(item.name));
    const body = { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: rfc3339(options.now()) } } } } };
    const response = await api.patch(path, body, "application/strategic-merge-patch+json");
    if (response.ok) {
      summary.restarted += 1;
      options.write(`restarted ${what(item)}`);
    } else {
      summary.failed += 1;
      options.write(`failed to restart ${what(item)}: ${response.message}`);
    }
  }
  return summary;
}

/** kubectl writes the time in RFC 3339 with the local offset; UTC without fractions says the same. */
function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
