/**
 * An in-memory `KubeApi`: objects by API path, collections paginated as the API server does, and every PATCH
 * recorded (and merged into the stored object as a JSON merge patch, enough for the CLI's restarts).
 */
import type { KubeApi, KubeObject, KubePage, KubeResponse } from "../kube-api.js";

export interface MemoryKube extends KubeApi {
  /** Every PATCH in order. */
  patches: Array<{ path: string; body: unknown; contentType: string }>;
  /** Every GET and LIST page request in order, with its query. */
  requests: Array<{ path: string; query: Record<string, string> }>;
}

/**
 * `objects` maps an object's path (`/apis/apps/v1/namespaces/shop/deployments/web`) to the object; a collection
 * path (`/api/v1/pods`, `/api/v1/namespaces/shop/pods`) lists the objects whose path is the collection path plus
 * one more segment, or, for a cluster-wide list, any namespaced path of that resource.
 * `failures` maps a path to the error it answers.
 */
export function memoryKube(
  objects: Record<string, KubeObject>,
  failures: Record<string, { status: number; message: string }> = {},
): MemoryKube {
  const store = new Map(Object.entries(objects));
  const patches: MemoryKube["patches"] = [];
  const requests: MemoryKube["requests"] = [];
  const members = (collection: string): KubeObject[] => {
    const resource = collection.split("/").at(-1) ?? "";
    const prefix = `${collection}/`;
    const clusterWide = !collection.includes("/namespaces/");
    const group = clusterWide ? collection.slice(0, -resource.length) : "";
    return [...store.entries()]
      .filter(([path]) =>
        path.startsWith(prefix)
          ? !path.slice(prefix.length).includes("/")
          : clusterWide &&
            new RegExp(`^${escapeRegExp(group)}namespaces/[^/]+/${escapeRegExp(resource)}/[^/]+$`).test(path),
      )
      .map(([, object]) => object);
  };
  const failure = (path: string): KubeResponse | undefined => {
    const f = failures[path];
    return f === undefined ? undefined : { ok: false, ...f };
  };
  return {
    server: "https://memory.test",
    patches,
    requests,
    async get(path, query = {}) {
      requests.push({ path, query: { ...query } });
      const failed = failure(path);
      if (failed !== undefined) return failed;
      const object = store.get(path);
      if (object !== undefined) return { ok: true, status: 200, body: structuredClone(object) };
      const items = members(path);
      if (items.length > 0 || path.split("/").length % 2 === 0) {
        return { ok: true, status: 200, body: { kind: "List", items: structuredClone(items), metadata: {} } };
      }
      return { ok: false, status: 404, message: `${path} not found` };
    },
    async *list(path, query = {}, pageSize = 500): AsyncGenerator<KubePage> {
      const failed = failure(path);
      const all = members(path);
      for (let start = 0; ; start += pageSize) {
        requests.push({ path, query: { ...query, limit: String(pageSize), continue: String(start) } });
        if (failed !== undefined && !failed.ok) {
          yield failed;
          return;
        }
        yield { ok: true, items: structuredClone(all.slice(start, start + pageSize)) };
        if (start + pageSize >= all.length) return;
      }
    },
    async patch(path, body, contentType) {
      patches.push({ path, body: structuredClone(body), contentType });
      const failed = failure(path);
      if (failed !== undefined) return failed;
      const object = store.get(path);
      if (object === undefined) return { ok: false, status: 404, message: `${path} not found` };
      const merged = mergePatch(object, body) as KubeObject;
      store.set(path, merged);
      return { ok: true, status: 200, body: structuredClone(merged) };
    },
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** RFC 7386. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return structuredClone(patch);
  const result: Record<string, unknown> =
    typeof target === "object" && target !== null && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}
