import { sleep, within, type Budget } from "./deadline.js";
import { describeFailure, METADATA_LIST_ACCEPT, stringMap, type KubeApi } from "./kube-client.js";
import type { NamespaceSource, ObjectMeta } from "./kube.js";

const WATCH_ACCEPT = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";
/** A watch event longer than this is not a namespace's metadata: drop the stream and start again. */
const MAX_LINE_BYTES = 4 * 1024 * 1024;

/**
 * Compares two resourceVersions of namespaces: negative when `a` is older. The API asks clients to treat them as
 * opaque; in practice they are etcd revisions (decimal integers), which is what the API server's own watch cache
 * compares. `undefined` when either is not such a number: callers then take the copy that arrived last.
 */
export function compareResourceVersions(a: string | undefined, b: string | undefined): number | undefined {
  if (a === undefined || b === undefined || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return undefined;
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The namespaces the watch has seen: name, annotations, labels and resourceVersion only, so that memory grows with
 * the number of namespaces and nothing else. Plain data, no I/O: NamespaceWatch feeds it.
 */
export class NamespaceStore implements NamespaceSource {
  readonly #items = new Map<string, ObjectMeta>();
  #synced = false;
  /** Where the watch resumes: the list's resourceVersion, then each event's (bookmarks included). */
  resourceVersion = "";

  get synced(): boolean {
    return this.#synced;
  }

  get size(): number {
    return this.#items.size;
  }

  get(name: string): ObjectMeta | undefined {
    return this.#items.get(name);
  }

  /** A full list: replaces the store, except for copies a direct read made newer than the list's snapshot. */
  replace(items: readonly ObjectMeta[], listResourceVersion: string): void {
    const next = new Map<string, ObjectMeta>();
    for (const item of items) next.set(item.name, slim(item));
    for (const [name, old] of this.#items) {
      const listed = next.get(name);
      const newer = compareResourceVersions(old.resourceVersion, listed?.resourceVersion ?? listResourceVersion);
      if (newer !== undefined && newer > 0) next.set(name, old);
    }
    this.#items.clear();
    for (const [name, item] of next) this.#items.set(name, item);
    this.resourceVersion = listResourceVersion;
    this.#synced = true;
  }

  /** One watch event. A copy older than the one held (a direct read got ahead of the watch) is not applied. */
  apply(type: string, object: ObjectMeta): void {
    if (object.resourceVersion !== undefined && object.resourceVersion !== "")
      this.resourceVersion = object.resourceVersion;
    if (type === "BOOKMARK" || object.name === "") return;
    if (type === "DELETED") {
      this.#items.delete(object.name);
      return;
    }
    if (type !== "ADDED" && type !== "MODIFIED") return;
    const held = this.#items.get(object.name);
    const order = compareResourceVersions(held?.resourceVersion, object.resourceVersion);
    if (order !== undefined && order > 0) return;
    this.#items.set(object.name, slim(object));
  }

  merge(name: string, meta: ObjectMeta | null): void {
    if (meta === null) {
      // The read is newer than anything the watch has delivered: the namespace is gone.
      this.#items.delete(name);
      return;
    }
    const held = this.#items.get(name);
    const order = compareResourceVersions(held?.resourceVersion, meta.resourceVersion);
    if (order !== undefined && order > 0) return;
    this.#items.set(name, slim(meta));
  }
}

function slim(meta: ObjectMeta): ObjectMeta {
  const out: ObjectMeta = { name: meta.name, annotations: { ...meta.annotations }, labels: { ...meta.labels } };
  if (meta.resourceVersion !== undefined) out.resourceVersion = meta.resourceVersion;
  return out;
}

export interface WatchLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface NamespaceWatchOptions {
  api: Pick<KubeApi, "request" | "stream">;
  log: WatchLog;
  /** Milliseconds, monotonic. */
  now: () => number;
  store?: NamespaceStore;
  /** A full re-list at least this often: a safety net against an event lost on the way (default 5 min). */
  resyncMs?: number;
  /** Back-off after a failure: doubles from `minBackoffMs` up to `maxBackoffMs`, with jitter. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Each list call (one page) gives up after this long (default 30 s). */
  listTimeoutMs?: number;
  pageSize?: number;
  random?: () => number;
}

type WatchEnd = { kind: "gone" } | { kind: "closed"; events: number; durationMs: number };

/** The API server said the resourceVersion is too old (410 Gone): only a new list can continue. */
class Gone extends Error {
  readonly code = "ERR_WATCH_GONE";
}

/**
 * A metadata-only list+watch of Namespaces (Linkerd keeps a namespace informer; this is the same idea without
 * client-go): list, then watch from the list's resourceVersion with bookmarks; on a closed stream watch again from
 * the last resourceVersion seen; on 410 Gone (HTTP status or ERROR event) list again; on errors back off and retry;
 * re-list every `resyncMs` regardless. It never stops trying until `stop()`. Needs `list` and `watch` on
 * namespaces (deploy/base/rbac.yaml).
 */
export class NamespaceWatch {
  readonly store: NamespaceStore;
  readonly #options: NamespaceWatchOptions;
  readonly #stop = new AbortController();
  readonly #stopBudget: Budget;
  #running: Promise<void> | undefined;
  #listedAt = 0;
  readonly #syncWaiters = new Set<() => void>();

  constructor(options: NamespaceWatchOptions) {
    this.#options = options;
    this.store = options.store ?? new NamespaceStore();
    this.#stopBudget = { signal: this.#stop.signal, remainingMs: () => Number.POSITIVE_INFINITY };
  }

  start(): void {
    this.#running ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stop.abort(new Error("namespace watch stopped"));
    await this.#running;
  }

  /** True once the first list has loaded, false if that takes longer than `timeoutMs`. */
  whenSynced(timeoutMs: number): Promise<boolean> {
    if (this.store.synced) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#syncWaiters.delete(done);
        resolve(this.store.synced);
      };
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      this.#syncWaiters.add(done);
    });
  }

  async #run(): Promise<void> {
    const { log, now } = this.#options;
    const resyncMs = this.#options.resyncMs ?? 300_000;
    let failures = 0;
    let relist = true;
    while (!this.#stop.signal.aborted) {
      try {
        if (relist) {
          const first = !this.store.synced;
          await this.#list();
          relist = false;
          this.#listedAt = now();
          if (first) {
            log.info({ namespaces: this.store.size }, "namespace watch synced");
            for (const waiter of [...this.#syncWaiters]) waiter();
          }
        }
        const end = await this.#watch(resyncMs);
        if (end.kind === "gone") {
          log.info(
            { resourceVersion: this.store.resourceVersion },
            "namespace watch expired (410 Gone); listing again",
          );
          relist = true;
          failures = 0;
          continue;
        }
        if (now() - this.#listedAt >= resyncMs) relist = true;
        // A stream the server closes at once, with nothing in it, is a failure in disguise: do not spin on it.
        if (end.events === 0 && end.durationMs < 1000 && !relist) {
          failures++;
          await this.#backoff(failures);
        } else {
          failures = 0;
        }
      } catch (error) {
        if (this.#stop.signal.aborted) break;
        failures++;
        if (error instanceof Gone) relist = true;
        log.warn(
          { err: error instanceof Error ? error.message : String(error), attempt: failures, synced: this.store.synced },
          "namespace watch failed; retrying",
        );
        await this.#backoff(failures);
      }
    }
  }

  async #backoff(failures: number): Promise<void> {
    const min = this.#options.minBackoffMs ?? 200;
    const max = this.#options.maxBackoffMs ?? 30_000;
    const base = Math.min(max, min * 2 ** Math.min(failures - 1, 20));
    const jittered = base * (0.5 + (this.#options.random ?? Math.random)() / 2);
    await sleep(jittered, this.#stop.signal).catch(() => undefined);
  }

  async #list(): Promise<void> {
    const pageSize = this.#options.pageSize ?? 500;
    const items: ObjectMeta[] = [];
    let listResourceVersion = "";
    let token = "";
    do {
      const budget = within(this.#stopBudget, this.#options.listTimeoutMs ?? 30_000, this.#options.now);
      let res;
      try {
        const query = `limit=${pageSize}${token !== "" ? `&continue=${encodeURIComponent(token)}` : ""}`;
        res = await this.#options.api.request("GET", `/api/v1/namespaces?${query}`, {
          accept: METADATA_LIST_ACCEPT,
          signal: budget.signal,
        });
      } finally {
        budget.dispose();
      }
      // An expired continue token: the list must start over.
      if (res.status === 410) throw new Gone(`listing namespaces: ${describeFailure(res)}`);
      if (res.status !== 200) {
        const hint =
          res.status === 403 ? " (the ClusterRole needs list and watch on namespaces: deploy/base/rbac.yaml)" : "";
        throw new Error(`cannot list namespaces: ${describeFailure(res)}${hint}`);
      }
      const body = isRecord(res.body) ? res.body : {};
      const meta = isRecord(body["metadata"]) ? body["metadata"] : {};
      // Every page of one list is the same snapshot: the first page's resourceVersion is the list's.
      if (listResourceVersion === "" && typeof meta["resourceVersion"] === "string")
        listResourceVersion = meta["resourceVersion"];
      token = typeof meta["continue"] === "string" ? meta["continue"] : "";
      for (const item of Array.isArray(body["items"]) ? body["items"] : []) {
        const parsed = readNamespace(item);
        if (parsed !== undefined) items.push(parsed);
      }
    } while (token !== "");
    this.store.replace(items, listResourceVersion);
  }

  async #watch(resyncMs: number): Promise<WatchEnd> {
    const { api, now } = this.#options;
    const started = now();
    // The server ends the watch when the next re-list is due; the local guard catches a stream that went silent
    // without the connection noticing.
    const timeoutSeconds = Math.max(1, Math.ceil((this.#listedAt + resyncMs - started) / 1000));
    const guard = within(this.#stopBudget, timeoutSeconds * 1000 + 30_000, now);
    try {
      const query =
        `watch=1&resourceVersion=${encodeURIComponent(this.store.resourceVersion)}` +
        `&allowWatchBookmarks=true&timeoutSeconds=${timeoutSeconds}`;
      const res = await api.stream(`/api/v1/namespaces?${query}`, { accept: WATCH_ACCEPT, signal: guard.signal });
      if (res.status !== 200) {
        const text = await readSome(res.body, 64 * 1024);
        if (res.status === 410) return { kind: "gone" };
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // Not JSON: the text is the message.
        }
        throw new Error(`cannot watch namespaces: ${describeFailure({ status: res.status, body })}`);
      }
      let events = 0;
      let pending = "";
      try {
        for await (const chunk of res.body) {
          pending += (chunk as Buffer).toString("utf8");
          let newline = pending.indexOf("\n");
          while (newline >= 0) {
            const line = pending.slice(0, newline).trim();
            pending = pending.slice(newline + 1);
            newline = pending.indexOf("\n");
            if (line === "") continue;
            const outcome = this.#event(line);
            events++;
            if (outcome === "gone") {
              res.body.destroy();
              return { kind: "gone" };
            }
          }
          if (pending.length > MAX_LINE_BYTES)
            throw new Error("a namespace watch event over 4 MiB: dropping the stream");
        }
      } catch (error) {
        // The guard ending a silent stream is a normal end, not a failure.
        if (guard.signal.aborted && !this.#stop.signal.aborted)
          return { kind: "closed", events, durationMs: now() - started };
        throw error;
      }
      return { kind: "closed", events, durationMs: now() - started };
    } finally {
      guard.dispose();
    }
  }

  #event(line: string): "gone" | undefined {
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      throw new Error("the namespace watch sent something that is not JSON");
    }
    if (!isRecord(event) || typeof event["type"] !== "string") return undefined;
    const type = event["type"];
    const object = event["object"];
    if (type === "ERROR") {
      const status = isRecord(object) ? object : {};
      if (status["code"] === 410) return "gone";
      throw new Error(
        `the namespace watch reported an error: ${describeFailure({ status: Number(status["code"] ?? 0), body: status })}`,
      );
    }
    const parsed = readNamespace(object);
    if (parsed !== undefined) this.store.apply(type, parsed);
    return undefined;
  }
}

/** A Namespace (or its PartialObjectMetadata) from the API: only what the store keeps. */
function readNamespace(value: unknown): ObjectMeta | undefined {
  if (!isRecord(value) || !isRecord(value["metadata"])) return undefined;
  const meta = value["metadata"];
  const out: ObjectMeta = {
    name: typeof meta["name"] === "string" ? meta["name"] : "",
    annotations: stringMap(meta["annotations"]),
    labels: stringMap(meta["labels"]),
  };
  if (typeof meta["resourceVersion"] === "string") out.resourceVersion = meta["resourceVersion"];
  return out;
}

async function readSome(stream: AsyncIterable<unknown> & { destroy(): void }, limit: number): Promise<string> {
  let text = "";
  for await (const chunk of stream) {
    text += (chunk as Buffer).toString("utf8");
    if (text.length > limit) {
      stream.destroy();
      break;
    }
  }
  return text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
