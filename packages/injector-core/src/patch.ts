import { isObject } from "./json.js";
import type { JsonObject, JsonValue, PatchOperation } from "./types.js";

/**
 * Escapes one RFC 6901 reference token: `~` as `~0`, `/` as `~1`. (Linkerd leaves `~` unescaped; an annotation key
 * containing `~` would then point elsewhere. We escape both.)
 *
 * @example
 * escapePointerSegment("linkerd.io/inject") // "linkerd.io~1inject"
 */
export function escapePointerSegment(segment: string): string {
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
  return segments.map((s) => `/${escapePointerSegment(String(s))}`).join("");
}

function unescape(segment: string): string {
  return segment.replace(/~1/g, "/").replace(/~0/g, "~");
}

class PatchError extends Error {
  readonly code = "ERR_PATCH";
}

/**
 * Applies an RFC 6902 patch (`add`, `remove`, `replace`) to a copy of `doc` and returns the copy; `doc` is not
 * changed. Throws an error with code `ERR_PATCH` when an operation does not apply.
 *
 * @example
 * applyPatch({ a: [1] }, [{ op: "add", path: "/a/-", value: 2 }]) // { a: [1, 2] }
 */
export function applyPatch(doc: JsonValue, patch: readonly PatchOperation[]): JsonValue {
  let root: JsonValue = structuredClone(doc);
  for (const op of patch) {
    if (op.path === "") {
      if (op.op === "remove") throw new PatchError("cannot remove the document root");
      root = structuredClone(op.value);
      continue;
    }
    const tokens = op.path.split("/").slice(1).map(unescape);
    const last = tokens.pop() as string;
    let parent: JsonValue | undefined = root;
    for (const t of tokens) {
      if (Array.isArray(parent)) parent = parent[index(t, parent.length - 1, op.path)];
      else if (isObject(parent) && Object.hasOwn(parent, t)) parent = parent[t];
      else throw new PatchError(`path not found: ${op.path}`);
    }
    if (Array.isArray(parent)) {
      if (op.op === "add") {
        const i = last === "-" ? parent.length : index(last, parent.length, op.path);
        parent.splice(i, 0, structuredClone(op.value));
      } else {
        const i = index(last, parent.length - 1, op.path);
        if (op.op === "remove") parent.splice(i, 1);
        else parent[i] = structuredClone(op.value);
      }
    } else if (isObject(parent)) {
      if (op.op !== "add" && !Object.hasOwn(parent, last)) throw new PatchError(`path not found: ${op.path}`);
      if (op.op === "remove") delete parent[last];
      else defineKey(parent, last, structuredClone(op.value));
    } else {
      throw new PatchError(`path not found: ${op.path}`);
    }
  }
  return root;
}

/** Sets a key as own data even when it is `__proto__`, so that a patch cannot reach an object's prototype. */
function defineKey(target: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function index(token: string, max: number, path: string): number {
  if (!/^(0|[1-9]\d*)$/.test(token)) throw new PatchError(`bad array index in ${path}`);
  const i = Number(token);
  if (i > max) throw new PatchError(`array index out of range in ${path}`);
  return i;
}
