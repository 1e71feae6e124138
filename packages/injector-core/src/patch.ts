import { clone, defineOwn, emptyLike, isObject } from "./json.js";
import type { JsonObject, JsonValue, PatchOperation } from "./types.js";

/**
 * Escapes one RFC 6901 reference token: `~` as `~0`, `/` as `~1`. (Linkerd leaves `~` unescaped; an annotation key
 * containing `~` would then point elsewhere. We escape both.)
 *
 * @example
 * escapePointerSegment("linkerd.io/inject") // "linkerd.io~1inject"
 */
export function escapePointerSegment(segment: string): string {
  // Most segments (field names, indexes) need no escaping; the check is much cheaper than the replacements.
  if (!segment.includes("~") && !segment.includes("/")) return segment;
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

/**
 * Builds a JSON pointer from raw segments.
 *
 * @example
 * pointer("spec", "template", "metadata", "annotations", "linkerd.io/inject")
 * // "/spec/template/metadata/annotations/linkerd.io~1inject"
 */
export function pointer(...segments: readonly (string | number)[]): string {
  // A loop rather than map and join: every op of every patch names its path with it.
  let out = "";
  for (const s of segments) out += typeof s === "number" ? `/${s}` : `/${escapePointerSegment(s)}`;
  return out;
}

function unescapePointerSegment(segment: string): string {
  return segment.includes("~") ? segment.replace(/~1/g, "/").replace(/~0/g, "~") : segment;
}

class PatchError extends Error {
  readonly code = "ERR_PATCH";
}

/**
 * Applies an RFC 6902 patch (`add`, `remove`, `replace`) and returns the new document; `doc` is not changed, and
 * the result shares no mutable structure with it or with the patch: containers on the paths the patch touches are
 * copied, the rest is copied once at the end. Throws an error with code `ERR_PATCH` when an operation does not apply.
 *
 * @example
 * applyPatch({ a: [1] }, [{ op: "add", path: "/a/-", value: 2 }]) // { a: [1, 2] }
 */
export function applyPatch(doc: JsonValue, patch: readonly PatchOperation[]): JsonValue {
  // Copy-on-write: a container is copied (shallowly) the first time a patch op walks through it.
  const fresh = new WeakSet<object>();
  const own = <T extends JsonValue>(value: T): T => {
    if (typeof value !== "object" || value === null || fresh.has(value)) return value;
    const copy = (Array.isArray(value) ? [...value] : shallowObject(value as JsonObject)) as T;
    fresh.add(copy as object);
    return copy;
  };
  // Values copied out of the patch are the result's own to the bottom: neither copied again by a later op that
  // walks through them nor by `detach`.
  const copied = new WeakSet<object>();
  const added = (value: JsonValue) => {
    fresh.add(value as object);
    copied.add(value as object);
  };
  const root = applyOps(own(doc), patch, own, added);
  // What no op walked through is still shared with the input: copy it, so callers may change the result freely.
  return detach(root, fresh, copied);
}

/**
 * Applies a patch by changing `doc` itself, for a document the core has just built and nobody else holds yet (the
 * object a first patch produced, before the next one), so that it is not copied once more. Values are still copied
 * out of the patch.
 */
export function applyPatchInPlace(doc: JsonValue, patch: readonly PatchOperation[]): JsonValue {
  return applyOps(
    doc,
    patch,
    (value) => value,
    () => undefined,
  );
}

/**
 * `own` makes a container on an op's path the result's own; `added` is told of every value copied out of the patch,
 * already the result's own to the bottom, so that it is not copied again.
 */
function applyOps(
  doc: JsonValue,
  patch: readonly PatchOperation[],
  own: <T extends JsonValue>(value: T) => T,
  added: (value: JsonValue) => void,
): JsonValue {
  let root = doc;
  for (const op of patch) {
    if (op.path === "") {
      if (op.op === "remove") throw new PatchError("cannot remove the document root");
      root = own(clone(op.value));
      continue;
    }
    const tokens = op.path.split("/").slice(1).map(unescapePointerSegment);
    const last = tokens.pop() as string;
    let parent: JsonValue = root;
    for (const t of tokens) {
      if (Array.isArray(parent)) {
        const i = index(t, parent.length - 1, op.path);
        parent = parent[i] = own(parent[i] as JsonValue);
      } else if (isObject(parent) && Object.hasOwn(parent, t)) {
        const child = own(parent[t] as JsonValue);
        defineOwn(parent, t, child);
        parent = child;
      } else {
        throw new PatchError(`path not found: ${op.path}`);
      }
    }
    applyLast(parent, last, op, added);
  }
  return root;
}

function applyLast(parent: JsonValue, last: string, op: PatchOperation, added: (value: JsonValue) => void): void {
  const copy = (from: JsonValue): JsonValue => {
    const value = clone(from);
    if (typeof value === "object" && value !== null) added(value);
    return value;
  };
  if (Array.isArray(parent)) {
    if (op.op === "add") {
      const i = last === "-" ? parent.length : index(last, parent.length, op.path);
      parent.splice(i, 0, copy(op.value));
    } else {
      const i = index(last, parent.length - 1, op.path);
      if (op.op === "remove") parent.splice(i, 1);
      else parent[i] = copy(op.value);
    }
  } else if (isObject(parent)) {
    if (op.op !== "add" && !Object.hasOwn(parent, last)) throw new PatchError(`path not found: ${op.path}`);
    if (op.op === "remove") delete parent[last];
    else defineOwn(parent, last, copy(op.value));
  } else {
    throw new PatchError(`path not found: ${op.path}`);
  }
}

function shallowObject(value: JsonObject): JsonObject {
  const out = emptyLike(value);
  for (const key of Object.keys(value)) defineOwn(out, key, value[key] as JsonValue);
  return out;
}

function detach(value: JsonValue, fresh: WeakSet<object>, copied: WeakSet<object>): JsonValue {
  if (typeof value !== "object" || value === null || copied.has(value)) return value;
  if (!fresh.has(value)) return clone(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = detach(value[i] as JsonValue, fresh, copied);
  } else {
    for (const key of Object.keys(value)) defineOwn(value, key, detach(value[key] as JsonValue, fresh, copied));
  }
  return value;
}

function index(token: string, max: number, path: string): number {
  if (!/^(0|[1-9]\d*)$/.test(token)) throw new PatchError(`bad array index in ${path}`);
  const i = Number(token);
  if (i > max) throw new PatchError(`array index out of range in ${path}`);
  return i;
}
