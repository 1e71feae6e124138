import type { InvolvedObject, KubeLookups, ObjectMeta, OwnerReference } from "./kube.js";

export interface ResolvedOwner {
  /** Lower-cased kind (`deployment`, `cronjob`, `pod` for bare pods, `mycrd` for a CRD owner). */
  kind: string;
  name: string;
  /** The owner object, as the target of events; absent for bare pods (the pod does not exist yet). */
  parent?: InvolvedObject;
  /** Why a look-up fell back to the direct parent, for the log. */
  lookupError?: string;
}

// A ReplicaSet's owner is only taken when it is one of these (Linkerd's isValidRSParent).
const VALID_RS_PARENTS = new Set(["job", "statefulset", "daemonset", "deployment"]);

/**
 * Linkerd's `GetOwnerKindAndName` (spec §6.3 step 3): one owner reference, looked through a ReplicaSet or a Job to
 * its own single owner. A failed look-up falls back to the direct parent, as Linkerd does.
 */
export async function resolveOwner(
  podMeta: { name: string; ownerReferences: readonly OwnerReference[] },
  namespace: string,
  lookups: KubeLookups | undefined,
): Promise<ResolvedOwner> {
  const refs = podMeta.ownerReferences;
  if (refs.length !== 1) return { kind: "pod", name: podMeta.name };
  const parent = refs[0] as OwnerReference;
  const direct: ResolvedOwner = {
    kind: parent.kind.toLowerCase(),
    name: parent.name,
    parent: toInvolved(parent, namespace),
  };
  if (lookups === undefined || (parent.kind !== "Job" && parent.kind !== "ReplicaSet")) return direct;

  let meta: ObjectMeta | null;
  try {
    meta =
      parent.kind === "Job"
        ? await lookups.job(namespace, parent.name)
        : await lookups.replicaSet(namespace, parent.name);
  } catch (error) {
    return { ...direct, lookupError: error instanceof Error ? error.message : String(error) };
  }
  const grandparents = meta?.ownerReferences ?? [];
  if (grandparents.length !== 1) return direct;
  const grandparent = grandparents[0] as OwnerReference;
  if (parent.kind === "ReplicaSet" && !VALID_RS_PARENTS.has(grandparent.kind.toLowerCase())) return direct;
  return {
    kind: grandparent.kind.toLowerCase(),
    name: grandparent.name,
    parent: toInvolved(grandparent, namespace),
  };
}

function toInvolved(ref: OwnerReference, namespace: string): InvolvedObject {
  return { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, namespace, uid: ref.uid };
}

/** Owner references as found in untrusted JSON; malformed entries are dropped rather than trusted. */
export function readOwnerReferences(value: unknown): OwnerReference[] {
  if (!Array.isArray(value)) return [];
  const refs: OwnerReference[] = [];
  for (const item of value) {
    if (typeof item !== "object" || item === null) continue;
    const { apiVersion, kind, name, uid } = item as Record<string, unknown>;
    if (typeof kind !== "string" || typeof name !== "string" || kind === "" || name === "") continue;
    refs.push({
      apiVersion: typeof apiVersion === "string" ? apiVersion : "",
      kind,
      name,
      uid: typeof uid === "string" ? uid : "",
    });
  }
  return refs;
}
