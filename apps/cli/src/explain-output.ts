import type { Explanation } from "@l5d-injector/injector-core";

/** A live pod of the workload, as it runs now. */
export interface PodState {
  name: string;
  phase: string;
  injected: boolean;
  /** `linkerd.io/proxy-version`, else the proxy image's tag; `""` when not injected. */
  proxyVersion: string;
}

export interface ExplainedItem {
  explanation: Explanation;
  /** Live objects only. */
  pods?: readonly PodState[];
}

/**
 * `-o json`: `{"items": [{kind, namespace, name, inject, reason, reasons, layout?, steps, hints, pods?}]}`;
 * `-o text`: one block per workload, its verdict, numbered steps, hints and (live) pods.
 */
export function renderExplanations(items: readonly ExplainedItem[], format: "text" | "json" | string): string {
  if (format === "json") {
    const json = items.map(({ explanation, pods }) => ({ ...explanation, ...(pods === undefined ? {} : { pods }) }));
    return `${JSON.stringify({ items: json }, null, 2)}\n`;
  }
  if (items.length === 0)
    return "No workloads to explain (Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, Pods).\n";
  return items.map(renderText).join("\n");
}

function renderText({ explanation: e, pods }: ExplainedItem): string {
  const lines: string[] = [];
  const verdict = e.inject
    ? `would be injected (${e.reason}${e.layout === undefined ? "" : `, ${e.layout} sidecar layout`})`
    : `would NOT be injected (${e.reason})`;
  lines.push(`${e.kind}/${e.name} in namespace ${e.namespace}: ${verdict}`);
  const width = String(e.steps.length).length;
  e.steps.forEach((step, index) => {
    const number = String(index + 1).padStart(width);
    lines.push(`  ${number}. ${step.result.padEnd(4)} ${step.check}: ${step.detail}`);
  });
  if (e.hints.length > 0) {
    lines.push("  Hints:");
    for (const hint of e.hints) lines.push(`    - ${hint.message} [${hint.code}]`);
  }
  if (pods !== undefined) {
    lines.push(pods.length === 0 ? "  Pods: none running" : "  Pods:");
    for (const pod of pods) {
      const state = pod.injected ? `injected, proxy ${pod.proxyVersion || "of unknown version"}` : "not injected";
      lines.push(`    - ${pod.name} (${pod.phase || "unknown phase"}): ${state}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
