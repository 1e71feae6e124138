import { abortReason, DeadlineExceeded, SharedLoad, within, type Budget } from "./deadline.js";
import { TtlCache } from "./ttl-cache.js";

/** The part of an object's metadata the webhook reads (what a PartialObjectMetadata GET returns). */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

/** Why a look-up failed: the `reason` label of the owner look-up failure counter, and the start of a log line. */
export type LookupFailure =
  | "deadline_exceeded"
  | "throttled"
  | "server_error"
  | "unreachable"
  | "forbidden"
  | "bad_response";

/** A failed look-up: `reason` is stable, `message` says what the API answered (or did not). */
export class LookupError extends Error {
  readonly code = "ERR_KUBE_LOOKUP";
  constructor(
    readonly reason: LookupFailure,
    message: string,
  ) {
    super(message);
    this.name = "LookupError";
  }
}

/** Any rejection of a look-up as a reason and a message (a deadline that fired around it counts as one). */
export function describeLookupFailure(error: unknown): { reason: LookupFailure; message: string } {
  if (error instanceof LookupError) return { reason: error.reason, message: error.message };
  if (error instanceof DeadlineExceeded)
    return { reason: "deadline_exceeded", message: "no answer from the Kubernetes API in time" };
  return { reason: "bad_response", message: error instanceof Error ? error.message : String(error) };
}

export interface LookupOptions {
  /** The review's budget: a look-up gives up (rejects) when its signal fires. */
  budget?: Budget | undefined;
  /** Problems that did not fail the look-up (a cached or watched copy served instead), for the review's log. */
  note?: ((message: string) => void) | undefined;
}

/**
 * Reads from the Kubernetes API that the webhook needs. `null` means "not found"; other failures reject (with a
 * LookupError). This is the seam between the testable app and the network: tests pass plain objects.
 */
export interface KubeLookups {
  namespace(name: string, options?: LookupOptions): Promise<ObjectMeta | null>;
  replicaSet(namespace: string, name: string, options?: LookupOptions): Promise<ObjectMeta | null>;
  job(namespace: string, name: string, options?: LookupOptions): Promise<ObjectMeta | null>;
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

/** What the look-ups need of the namespace watch (namespace-watch.ts): its copies, and a place for fresher ones. */
export interface NamespaceSource {
  /** True once a full list has been loaded: from then on the watch knows every namespace it has been told of. */
  readonly synced: boolean;
  get(name: string): ObjectMeta | undefined;
  /** A direct read's answer (null: not found). Kept only if it is not older than the watch's copy. */
  merge(name: string, meta: ObjectMeta | null): void;
}

export interface ClusterLookupsOptions {
  /** Uncached GETs (kube-client.ts `kubeLookups`). */
  direct: KubeLookups;
  /** The namespace watch; without one every namespace is read from the API (reads are still shared). */
  namespaces?: NamespaceSource | undefined;
  /** Milliseconds, monotonic. */
  now: () => number;
  maxEntries?: number;
  /** ReplicaSets and Jobs never change owner: keep them long. */
  ownerTtlMs?: number;
  /** A "not found" is remembered only briefly, in case the object is being created. */
  notFoundTtlMs?: number;
}

/**
 * The webhook's look-ups. Namespaces come from the watch; owners (ReplicaSets, Jobs) are direct GETs behind a
 * bounded LRU cache with TTL, served stale when the API fails. A burst of pods from one ReplicaSet costs one GET
 * of the ReplicaSet, whatever the burst size.
 *
 * When is the watch's copy of a namespace fresh enough? `kubectl annotate ns shop linkerd.io/inject=enabled &&
 * kubectl rollout restart deploy/web -n shop` must inject the new pods, but nothing orders the watch event of the
 * annotation before the pods' admission: the API server sends it on another stream, usually within milliseconds,
 * with no guarantee. What does order them is causality. The restart creates a new ReplicaSet after the annotation
 * was written, and the pods come from that ReplicaSet. The ReplicaSet is new, so it is not in the owner cache: the
 * review GETs it. Having just learnt of a new owner in namespace N, the look-ups require, for N, one read of the
 * namespace issued after that moment: a GET without resourceVersion is a quorum read, so it returns the annotation
 * (which was written before the ReplicaSet existed). Every pod of that ReplicaSet, and any other pod in N, waits
 * for that one read (shared) instead of the watch until it is done; its answer is merged into the watch's store,
 * never replacing a newer copy (resourceVersions of one object compared). So the e2e "annotate and restart in the
 * same second" is deterministic, at the cost of one namespace GET per new ReplicaSet or Job (what the old TTL cache
 * cost per burst), and admission otherwise never waits on the API for a namespace the watch has seen.
 *
 * What is left to the watch's latency: pods with no ReplicaSet or Job owner (bare pods, StatefulSets,
 * DaemonSets) and pods of a ReplicaSet already cached, e.g. a scale-up right after an annotation. A namespace
 * the watch does not know (not synced yet, or created a moment ago) is read from the API within the review's
 * deadline, and refused with the cause if that fails. A read that fails while the watch has a copy falls back to
 * the copy.
 */
export function clusterLookups(options: ClusterLookupsOptions): KubeLookups {
  const { direct, namespaces, now } = options;
  const maxEntries = options.maxEntries ?? 1000;
  const notFoundTtl = options.notFoundTtlMs ?? 1000;
  const ownerTtl = options.ownerTtlMs ?? 300_000;
  const owners = new TtlCache<ObjectMeta | null>({ maxEntries, ttlMs: ownerTtl, now, keepStale: true });
  // Namespace -> the time (now()) after which a read of it must have been issued before the watch is trusted again.
  const required = new Map<string, number>();
  const reads = new NamespaceReads(direct, now, (name, issuedAt, value) => {
    if (value !== undefined) namespaces?.merge(name, value);
    // Satisfied, or attempted and failed: in both cases the next reviews use the watch (one read per new owner).
    const needed = required.get(name);
    if (needed !== undefined && needed <= issuedAt) required.delete(name);
  });

  const owner = (
    key: string,
    what: string,
    namespace: string,
    load: (budget: Budget) => Promise<ObjectMeta | null>,
    lookup: LookupOptions | undefined,
  ) =>
    owners.getOrLoad(
      key,
      async (budget) => {
        const value = await load(budget);
        if (value !== null) required.set(namespace, now());
        return value;
      },
      {
        budget: lookup?.budget,
        ttlFor: (value) => (value === null ? notFoundTtl : ownerTtl),
        onStale: (error) => {
          lookup?.note?.(`${what}: using the copy cached earlier: ${describeLookupFailure(error).message}`);
        },
      },
    );

  return {
    async namespace(name, lookup) {
      const known = namespaces?.synced === true ? namespaces.get(name) : undefined;
      const needed = required.get(name);
      if (known !== undefined && needed === undefined) return known;
      const budget = lookup?.budget;
      if (known === undefined) {
        // Unknown to the watch: only the API can say, and only a read issued now is sure to include a change
        // made just before this review.
        const value = await reads.read(name, now(), budget);
        return value === null ? null : (namespaces?.get(name) ?? value);
      }
      // A copy to fall back on: the read may use most of what is left, not all of it, so that the review can
      // still answer with the copy before its deadline.
      const readBudget = budget === undefined ? undefined : within(budget, budget.remainingMs() * 0.8, now);
      try {
        const value = await reads.read(name, needed ?? now(), readBudget);
        return value === null ? null : (namespaces?.get(name) ?? value);
      } catch (error) {
        lookup?.note?.(`namespace "${name}": using the watch's copy: ${describeLookupFailure(error).message}`);
        return namespaces?.get(name) ?? known;
      } finally {
        readBudget?.dispose();
      }
    },
    replicaSet: (namespace, name, lookup) =>
      owner(
        `rs/${namespace}/${name}`,
        `replicaset ${namespace}/${name}`,
        namespace,
        (budget) => direct.replicaSet(namespace, name, { budget }),
        lookup,
      ),
    job: (namespace, name, lookup) =>
      owner(
        `job/${namespace}/${name}`,
        `job ${namespace}/${name}`,
        namespace,
        (budget) => direct.job(namespace, name, { budget }),
        lookup,
      ),
  };
}

interface ReadSlot {
  /** When the GET was sent; undefined while it waits for the read before it. */
  issuedAt: number | undefined;
  load: SharedLoad<ObjectMeta | null>;
}

/**
 * Direct namespace reads, shared. A caller needs a read issued at or after `notBefore`: it joins the read in flight
 * if that one is recent enough, else the one queued behind it (which will be). At most two reads per namespace are
 * in flight or queued, however many reviews wait: a slow API server gets one GET per round trip, not one per review.
 */
class NamespaceReads {
  readonly #slots = new Map<string, { current?: ReadSlot | undefined; next?: ReadSlot | undefined }>();

  constructor(
    private readonly direct: KubeLookups,
    private readonly now: () => number,
    /** After every read: its value (undefined when it failed). */
    private readonly settled: (name: string, issuedAt: number, value: ObjectMeta | null | undefined) => void,
  ) {}

  read(name: string, notBefore: number, budget: Budget | undefined): Promise<ObjectMeta | null> {
    let slots = this.#slots.get(name);
    if (slots === undefined) {
      slots = {};
      this.#slots.set(name, slots);
    }
    const current = usable(slots.current);
    if (current?.issuedAt !== undefined && current.issuedAt >= notBefore) return current.load.join(budget);
    // A queued read is sent after this call, so it is recent enough for anyone.
    const queued = usable(slots.next);
    if (queued !== undefined) return queued.load.join(budget);
    if (current === undefined) {
      const slot = this.#issue(name, slots, budget);
      return slot.load.wait(budget);
    }
    const slot: ReadSlot = { issuedAt: undefined, load: undefined as unknown as SharedLoad<ObjectMeta | null> };
    const group = slots;
    slot.load = new SharedLoad(async (shared) => {
      await current.load.promise.catch(() => undefined);
      if (group.next === slot) group.next = undefined;
      if (shared.signal.aborted) throw abortReason(shared.signal);
      slot.issuedAt = this.now();
      group.current = slot;
      return this.#get(name, group, slot, shared);
    }, budget);
    slots.next = slot;
    return slot.load.wait(budget);
  }

  #issue(name: string, group: { current?: ReadSlot | undefined }, budget: Budget | undefined): ReadSlot {
    const slot: ReadSlot = { issuedAt: this.now(), load: undefined as unknown as SharedLoad<ObjectMeta | null> };
    group.current = slot;
    slot.load = new SharedLoad((shared) => this.#get(name, group, slot, shared), budget);
    return slot;
  }

  async #get(
    name: string,
    group: { current?: ReadSlot | undefined; next?: ReadSlot | undefined },
    slot: ReadSlot,
    budget: Budget,
  ): Promise<ObjectMeta | null> {
    const issuedAt = slot.issuedAt ?? this.now();
    let value: ObjectMeta | null | undefined;
    try {
      value = await this.direct.namespace(name, { budget });
      return value;
    } finally {
      this.settled(name, issuedAt, value);
      if (group.current === slot) group.current = undefined;
      if (group.current === undefined && group.next === undefined && this.#slots.get(name) === group)
        this.#slots.delete(name);
    }
  }
}

/** A slot still worth joining: not settled, and not abandoned by all its waiters. */
function usable(slot: ReadSlot | undefined): ReadSlot | undefined {
  return slot === undefined || slot.load.settled || slot.load.aborted ? undefined : slot;
}
