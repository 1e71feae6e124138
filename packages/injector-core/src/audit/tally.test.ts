import { describe, expect, it } from "vitest";
import type { PodAudit } from "./pod.js";
import { createAuditTally, needsRestart } from "./tally.js";
import { resolveWorkload, singleOwner } from "./workload.js";

const meshed: PodAudit = { status: "meshed", reason: "proxy_up_to_date", detail: "" };
const missing: PodAudit = { status: "unmeshed", reason: "proxy_missing", detail: "no proxy" };
const web = { kind: "Deployment", namespace: "shop", name: "web" };

function pod(name: string, owners: { kind: string; name: string }[]) {
  return { apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "shop", ownerReferences: owners } };
}

describe("createAuditTally", () => {
  it("adds pods up by workload, and the workload takes its most urgent pod's status with that pod as example", () => {
    const tally = createAuditTally();
    tally.add(web, "web-1", meshed);
    tally.add(web, "web-2", missing);
    tally.add(web, "web-3", missing);
    tally.add({ kind: "Pod", namespace: "admin", name: "debug" }, "debug", meshed);
    expect(tally.items()).toEqual([
      {
        kind: "Pod",
        namespace: "admin",
        name: "debug",
        status: "meshed",
        pods: 1,
        reason: "proxy_up_to_date",
        detail: "",
      },
      { ...web, status: "unmeshed", pods: 3, reason: "proxy_missing", detail: "2 of 3 pods, e.g. web-2: no proxy" },
    ]);
  });

  it("fails a CI job only for workloads that need a restart", () => {
    expect(
      ["meshed", "unmeshed", "stale", "skipped", "uninjectable"].filter((status) =>
        needsRestart({ status: status as PodAudit["status"] }),
      ),
    ).toEqual(["unmeshed", "stale"]);
  });
});

describe("resolveWorkload", () => {
  it("looks through a ReplicaSet to its Deployment, and names the owner the webhook would", () => {
    const p = pod("web-7d9c-x", [{ kind: "ReplicaSet", name: "web-7d9c" }]);
    expect(singleOwner(p)).toEqual({ kind: "ReplicaSet", name: "web-7d9c" });
    expect(resolveWorkload(p, { kind: "Deployment", name: "web" })).toEqual({
      workload: web,
      admissionOwner: { kind: "deployment", name: "web" },
    });
  });

  it("looks through a Job to its CronJob", () => {
    const p = pod("nightly-1-x", [{ kind: "Job", name: "nightly-1" }]);
    expect(resolveWorkload(p, { kind: "CronJob", name: "nightly" }).workload).toEqual({
      kind: "CronJob",
      namespace: "shop",
      name: "nightly",
    });
    expect(resolveWorkload(p, undefined).workload).toEqual({ kind: "Job", namespace: "shop", name: "nightly-1" });
  });

  it("keeps a ReplicaSet whose owner is not a valid parent, unknown owners as they are, and bare pods as Pods", () => {
    const rs = pod("x-1", [{ kind: "ReplicaSet", name: "x" }]);
    expect(resolveWorkload(rs, { kind: "Rollout", name: "x" }).workload.kind).toBe("ReplicaSet");
    expect(resolveWorkload(pod("c-0", [{ kind: "Cluster", name: "c" }])).workload).toEqual({
      kind: "Cluster",
      namespace: "shop",
      name: "c",
    });
    expect(resolveWorkload(pod("lonely", [])).workload).toEqual({ kind: "Pod", namespace: "shop", name: "lonely" });
    // Several owners: Linkerd takes none, and neither does the webhook.
    const two = pod("two", [
      { kind: "StatefulSet", name: "a" },
      { kind: "StatefulSet", name: "b" },
    ]);
    expect(resolveWorkload(two).workload).toEqual({ kind: "Pod", namespace: "shop", name: "two" });
  });
});
