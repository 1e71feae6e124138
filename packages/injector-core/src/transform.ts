import type { Decision } from "./decision.js";
import { clone, isObject } from "./json.js";
import { applyPatchInPlace } from "./patch.js";
import { assembleReport } from "./report.js";
import type { Issue, JsonValue, KubeObjectLike, PatchOperation, ResourceReport, TransformResult } from "./types.js";
import type { Workload } from "./workload.js";

/** What a transform did to one object: its patch and outcome, or why it refused. */
export type Effect =
  | {
      ok: true;
      patch: PatchOperation[];
      outcome: ResourceReport["outcome"];
      layout?: "native" | "classic";
      warnings?: readonly Issue[];
    }
  | { ok: false; issues: Issue[]; warnings?: readonly Issue[] };

/** One object, read, decided on and transformed: the values its report and its share of the result come from. */
export interface Transformed {
  workload: Workload;
  decision: Decision;
  effect: Effect;
}

/**
 * Runs a per-object transform over a document: once, or once per item of a `List`, and assembles the result and
 * the reports once, from the values the transform returned. A `null` item is kept as it is (spec §5.2) but still
 * gets its report, a document without a kind, as Linkerd's `transformList` gives each item one: its CLI prints
 * `document missing "kind" field, skipped` for it.
 */
export function transformEach<T extends KubeObjectLike | JsonValue>(
  typed: T,
  one: (object: JsonValue, root: readonly (string | number)[]) => Transformed,
): TransformResult<T> {
  // A typed object is read as the JSON data it is made of; the output is built by copying the input, so it has
  // the input's type.
  const input = typed as JsonValue;
  const items =
    isObject(input) && input["kind"] === "List" && Array.isArray(input["items"]) ? input["items"] : undefined;
  const done = items ? items.map((item, i) => one(item, ["items", i])) : [one(input, [])];
  const reports = done.map((d) => assembleReport(d.workload, d.decision, d.effect));
  const issues = done.flatMap((d) => (d.effect.ok ? [] : d.effect.issues));
  if (issues.length > 0) return { ok: false, issues, reports };
  const patch = done.flatMap((d) => (d.effect.ok ? d.effect.patch : []));
  return lazyResult(input, patch, reports);
}

/** A successful result whose object is built from the input and the patch the first time it is read. */
function lazyResult<T>(input: JsonValue, patch: PatchOperation[], reports: ResourceReport[]): TransformResult<T> {
  // The webhook needs only the patch, and building the object is a good part of the work.
  return new LazyResult<T>(input, patch, reports);
}

/**
 * A class rather than an object literal with a getter: such a literal gets a hidden class of its own each time, in
 * the old generation, which keeps the closure, the input and the patch alive through young-generation collections
 * until the next full one (measured in the webhook: about 2 MB promoted per scavenge, and as many milliseconds).
 */
class LazyResult<T> {
  readonly ok = true as const;
  readonly patch: PatchOperation[];
  readonly reports: ResourceReport[];
  #input: JsonValue;
  #object: T | undefined;

  constructor(input: JsonValue, patch: PatchOperation[], reports: ResourceReport[]) {
    this.#input = input;
    this.patch = patch;
    this.reports = reports;
  }

  get object(): T {
    // Copied whole, then patched: `applyPatch` would copy what the patch adds twice.
    this.#object ??= applyPatchInPlace(clone(this.#input), this.patch) as T;
    return this.#object;
  }
}
