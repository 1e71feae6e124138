import { TtlCache } from "./ttl-cache.js";

/** The part of an object's metadata the webhook reads (what a PartialObjectMetadata GET returns). */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

/**
 * Reads from the Kubernetes API that the webhook needs. `null` means "not found"; other failures reject.
 * This is the seam between the testable app and the network: tests pass plain objects.
 */
export interface KubeLookups {
  namespace(name: string): Promise<ObjectMeta | null>;
  replicaSet(namespace: string, name: string): Promise<ObjectMeta | null>;
  job(namespace: string, name: string): Promise<ObjectMeta | null>;
}

/** The object an event is about (core/v1 ObjectReference). */
export interface InvolvedObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid: string;
}

export interface WebhookEvent {
  involvedObject: InvolvedObject;
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

/** Fire-and-forget: an event must never delay or fail an admission review. */
export interface EventRecorder {
  record(event: WebhookEvent): void;
}

export interface CachedLookupsOptions {
  now: () => number;
  maxEntries?: number;
  /** Namespaces change (an annotation added before a rollout): keep them briefly. */
  namespaceTtlMs?: number;
  /** ReplicaSets and Jobs never change owner: keep them longer. */
  ownerTtlMs?: number;
  /** A "not found" is remembered only briefly, in case the object is being created. */
  notFoundTtlMs?: number;
}

/**
 * Wraps direct GETs in a bounded LRU cache with TTL. A burst of pods from one ReplicaSet costs one GET of the
 * ReplicaSet and one of the Namespace, whatever the burst size.
 */
export function cachedLookups(source: KubeLookups, options: CachedLookupsOptions): KubeLookups {
  const maxEntries = options.maxEntries ?? 1000;
  const notFoundTtl = options.notFoundTtlMs ?? 1000;
  const namespaces = new TtlCache<ObjectMeta | null>({
    maxEntries,
    ttlMs: options.namespaceTtlMs ?? 5000,
    now: options.now,
  });
  const owners = new TtlCache<ObjectMeta | null>({
    maxEntries,
    ttlMs: options.ownerTtlMs ?? 300_000,
    now: options.now,
  });
  const ttlFor = (cache: "ns" | "owner") => (value: ObjectMeta | null) =>
    value === null ? notFoundTtl : cache === "ns" ? (options.namespaceTtlMs ?? 5000) : (options.ownerTtlMs ?? 300_000);
  return {
    namespace: (name) => namespaces.getOrLoad(name, () => source.namespace(name), ttlFor("ns")),
    replicaSet: (namespace, name) =>
      owners.getOrLoad(`rs/${namespace}/${name}`, () => source.replicaSet(namespace, name), ttlFor("owner")),
    job: (namespace, name) =>
      owners.getOrLoad(`job/${namespace}/${name}`, () => source.job(namespace, name), ttlFor("owner")),
  };
}
