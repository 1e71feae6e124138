import { isObject } from "./json.js";
import { applyPatch } from "./patch.js";
import type { Issue, JsonValue, KubeObjectLike, PatchOperation, ResourceReport, TransformResult } from "./types.js";

export type One =
  | { ok: true; patch: PatchOperation[]; report: ResourceReport }
  | { ok: false; issues: Issue[]; report: ResourceReport };

/**
 * Runs a per-object transform over a document: once, or once per item of a `List`, and assembles the result. A
 * `null` item is kept as it is (spec §5.2) but still gets its report, a document without a kind, as Linkerd's
 * `transformList` gives each item one: its CLI prints `document missing "kind" field, skipped` for it.
 */
export function transformEach<T extends KubeObjectLike | JsonValue>(
  typed: T,
  one: (object: JsonValue, root: readonly (string | number)[]) => One,
): TransformResult<T> {
  // A typed object is read as the JSON data it is made of; the output is built by copying the input, so it has
  // the input's type.
  const input = typed as JsonValue;
  const items = isObject(input) && input["kind"] === "List" && Array.isArray(input["items"]) ? input["items"] : undefined;
  const results = items
    ? items.map((item, i) => one(item, ["items", i]))
    : [one(input, [])];
  const reports = results.map((r) => r.report);
  const issues = results.flatMap((r) => (r.ok ? [] : r.issues));
  if (issues.length > 0) return { ok: false, issues, reports };
  const patch = results.flatMap((r) => (r.ok ? r.patch : []));
  // The object is built on first read: the webhook needs only the patch, and building it is a good part of the work.
  let object: T | undefined;
  return {
    ok: true,
    get object(): T {
      object ??= applyPatch(input, patch) as T;
      return object;
    },
    patch,
    reports,
  };
}
