import { describe, expect, it } from "vitest";
import { LookupError, type OwnerReference } from "./kube.js";
import { readOwnerReferences, resolveOwner } from "./owner.js";
import { tableLookups } from "./test-support/harness.js";

const ref = (kind: string, name: string): OwnerReference => ({ apiVersion: "v1", kind, name, uid: `${name}-uid` });

const lookups = tableLookups({
  namespaces: [],
  replicaSets: [
    { name: "rs-of-deploy", namespace: "ns", ownerReferences: [ref("Deployment", "web")] },
    { name: "rs-of-crd", namespace: "ns", ownerReferences: [ref("Rollout", "canary")] },
    { name: "rs-two-owners", namespace: "ns", ownerReferences: [ref("Deployment", "a"), ref("Deployment", "b")] },
    { name: "rs-orphan", namespace: "ns", ownerReferences: [] },
  ],
  jobs: [
    { name: "job-of-cron", namespace: "ns", ownerReferences: [ref("CronJob", "nightly")] },
    { name: "job-of-crd", namespace: "ns", ownerReferences: [ref("Workflow", "wf")] },
  ],
});

describe("resolveOwner (Linkerd's GetOwnerKindAndName)", () => {
  it.each([
    ["no owner", [], { kind: "pod", name: "p" }],
    ["two owners", [ref("ReplicaSet", "rs-of-deploy"), ref("Job", "job-of-cron")], { kind: "pod", name: "p" }],
    ["a ReplicaSet of a Deployment", [ref("ReplicaSet", "rs-of-deploy")], { kind: "deployment", name: "web" }],
    // Only job/statefulset/daemonset/deployment are taken as a ReplicaSet's parent.
    ["a ReplicaSet of a CRD", [ref("ReplicaSet", "rs-of-crd")], { kind: "replicaset", name: "rs-of-crd" }],
    [
      "a ReplicaSet with two owners",
      [ref("ReplicaSet", "rs-two-owners")],
      { kind: "replicaset", name: "rs-two-owners" },
    ],
    ["an orphaned ReplicaSet", [ref("ReplicaSet", "rs-orphan")], { kind: "replicaset", name: "rs-orphan" }],
    ["a missing ReplicaSet", [ref("ReplicaSet", "gone")], { kind: "replicaset", name: "gone" }],
    ["a Job of a CronJob", [ref("Job", "job-of-cron")], { kind: "cronjob", name: "nightly" }],
    // A Job's single owner is taken whatever its kind.
    ["a Job of a CRD", [ref("Job", "job-of-crd")], { kind: "workflow", name: "wf" }],
    ["a StatefulSet", [ref("StatefulSet", "db")], { kind: "statefulset", name: "db" }],
  ])("resolves %s", async (_name, refs, expected) => {
    const owner = await resolveOwner({ name: "p", ownerReferences: refs }, "ns", lookups);
    expect({ kind: owner.kind, name: owner.name }).toEqual(expected);
  });

  it("points events at the resolved owner with its uid", async () => {
    const owner = await resolveOwner(
      { name: "p", ownerReferences: [ref("ReplicaSet", "rs-of-deploy")] },
      "ns",
      lookups,
    );
    expect(owner.parent).toEqual({
      apiVersion: "v1",
      kind: "Deployment",
      name: "web",
      namespace: "ns",
      uid: "web-uid",
    });
  });

  it("reports an owner that cannot be read, with the failure's reason, instead of throwing", async () => {
    const failing = {
      ...lookups,
      replicaSet: () =>
        Promise.reject(
          new LookupError("unreachable", "failed to get replicaset ns/rs-of-deploy: connect ECONNREFUSED"),
        ),
    };
    const owner = await resolveOwner(
      { name: "p", ownerReferences: [ref("ReplicaSet", "rs-of-deploy")] },
      "ns",
      failing,
    );
    expect(owner).toMatchObject({
      kind: "replicaset",
      name: "rs-of-deploy",
      lookupError: {
        reason: "unreachable",
        ownerKind: "replicaset",
        message: "failed to get replicaset ns/rs-of-deploy: connect ECONNREFUSED",
      },
    });
  });

  it("falls back to the direct parent without look-ups", async () => {
    const owner = await resolveOwner(
      { name: "p", ownerReferences: [ref("ReplicaSet", "rs-of-deploy")] },
      "ns",
      undefined,
    );
    expect(owner).toMatchObject({ kind: "replicaset", name: "rs-of-deploy" });
  });

  it("drops malformed owner references from untrusted JSON", () => {
    expect(readOwnerReferences([null, 3, { kind: "Job" }, { kind: "Job", name: "j", uid: 5 }])).toEqual([
      { apiVersion: "", kind: "Job", name: "j", uid: "" },
    ]);
    expect(readOwnerReferences("nope")).toEqual([]);
  });
});
