/**
 * Empty maps and lists that a transform leaves in a document (`securityContext: {}` from an empty configured
 * security context, `initContainers: []` once uninject took Linkerd's out) are not written: Linkerd's output comes
 * from Kubernetes' typed serialisation, which leaves them out, and they mean nothing to the API server. What the
 * user wrote stays as written: an empty value equal to the input's at the same place is kept. `emptyDir: {}` is
 * never dropped: there the empty map is the volume.
 */
import { pointer, type JsonValue, type PatchOperation } from "@l5d-injector/injector-core";
import { jsonEqual } from "./yaml-patch.js";

type JsonObject = { [key: string]: JsonValue };

/** `remove` operations that take the empty values `after` gained over `before` out of `after`. */
export function emptyValueRemovals(before: JsonValue, after: JsonValue): PatchOperation[] {
  const ops: PatchOperation[] = [];
  clean(after, before, [], ops);
  return ops;
}

/** Keys whose empty value says something. */
const MEANINGFUL_WHEN_EMPTY = new Set(["emptyDir"]);

/**
 * Appends to `ops` the removals inside `after` (at `path`, a stack shared by the whole walk: the injected containers
 * make the output large, and a path copied at every node was most of this walk's time); returns whether every key of
 * a non-empty map went.
 */
function clean(
  after: JsonValue,
  before: JsonValue | undefined,
  path: Array<string | number>,
  ops: PatchOperation[],
): boolean {
  if (Array.isArray(after)) {
    for (let index = 0; index < after.length; index += 1) {
      const item = after[index] as JsonValue;
      path.push(index);
      clean(item, counterpart(item, before, index), path, ops);
      path.pop();
    }
    return false;
  }
  if (!isObject(after)) return false;
  let kept = 0;
  let keys = 0;
  for (const key of Object.keys(after)) {
    keys += 1;
    const value = after[key] as JsonValue;
    const had = isObject(before) && Object.hasOwn(before, key);
    const old = had ? (before as JsonObject)[key] : undefined;
    const keepAsWritten = MEANINGFUL_WHEN_EMPTY.has(key) || (had && jsonEqual(old, value));
    path.push(key);
    if (isEmptyCollection(value) && !keepAsWritten) {
      ops.push({ op: "remove", path: pointer(...path) });
    } else {
      const mark = ops.length;
      if (clean(value, old, path, ops) && !keepAsWritten) {
        // Every key of this map went: the map goes, rather than staying as `{}`.
        ops.length = mark;
        ops.push({ op: "remove", path: pointer(...path) });
      } else {
        kept += 1;
      }
    }
    path.pop();
  }
  return kept === 0 && keys > 0;
}

/**
 * The input's version of a list item: the item with the same `name` (containers, volumes), else an equal item, else
 * the item at the same place (a List's items, which the transform edits but does not move).
 */
function counterpart(item: JsonValue, before: JsonValue | undefined, index: number): JsonValue | undefined {
  if (!Array.isArray(before)) return undefined;
  if (isObject(item) && typeof item["name"] === "string") {
    return before.find((candidate) => isObject(candidate) && candidate["name"] === item["name"]);
  }
  return before.find((candidate) => jsonEqual(candidate, item)) ?? before[index];
}

function isEmptyCollection(value: JsonValue): boolean {
  return Array.isArray(value) ? value.length === 0 : isObject(value) && Object.keys(value).length === 0;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
