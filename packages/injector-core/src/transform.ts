import { isObject } from "./json.js";
import { applyPatch } from "./patch.js";
import type { Issue, JsonValue, PatchOperation, ResourceReport, TransformResult } from "./types.js";

export type One =
  | { ok: true; patch: PatchOperation[]; report: ResourceReport }
  | { ok: false; issues: Issue[]; report: ResourceReport };

/**
 * Runs a per-object transform over a document: once, or once per item of a `List`, and assembles the result. A
 * `null` item is kept as it is (spec §5.2) but still gets its report, a document without a kind, as Linkerd's
 * `transformList` gives each item one: its CLI prints `document missing "kind" field, skipped` for it.
 */
export function transformEach(input: JsonValue, one: (object: JsonValue, root: readonly (string | number)[]) => One): TransformResult {
  const items = isObject(input) && input["kind"] === "List" && Array.isArray(input["items"]) ? input["items"] : undefined;
  const results = items
    ? items.map((item, i) => one(item, ["items", i]))
    : [one(input, [])];
  const reports = results.map((r) => r.report);
  const issues = results.flatMap((r) => (r.ok ? [] : r.issues));
  if (issues.length > 0) return { ok: false, issues, reports };
  const patch = results.flatMap((r) => (r.ok ? r.patch : []));
  // The object is built on first read: the webhook needs only the patch, and building it is a good part of the work.
  let object: JsonValue | undefined;
  return {
    ok: true,
    get object(): JsonValue {
      object ??= applyPatch(input, patch);
      return object;
    },
    patch,
    reports,
  };
}
