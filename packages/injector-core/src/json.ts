import type { JsonObject, JsonValue } from "./types.js";

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A deep copy of a JSON value; the core never hands out references into its inputs. (A plain recursive copy is
 * several times faster than `structuredClone` for the small objects of a pod spec.)
 */
export function clone<T extends JsonValue>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => clone(v)) as T;
  const out = emptyLike(value);
  for (const key of Object.keys(value)) {
    defineOwn(out, key, clone((value as JsonObject)[key] as JsonValue));
  }
  return out as T;
}

/**
 * A new object of `value`'s kind, without its own properties: `{}` for plain data; otherwise an object with the same
 * prototype, so that a typed input (a kubernetes-models `Deployment`, whose class carries `validate()` and `toJSON()`)
 * is copied into the same class and the output has the input's type; a `Date` (@kubernetes/client-node's timestamps)
 * with the same time, which lives in an internal slot rather than an own property.
 */
export function emptyLike(value: object): JsonObject {
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype === Object.prototype) return {};
  if (value instanceof Date) return new Date(value.getTime()) as unknown as JsonObject;
  return Object.create(prototype as object | null) as JsonObject;
}

/** Sets a key as own data even when it is `__proto__`, so that copied data cannot reach an object's prototype. */
export function defineOwn(target: JsonObject, key: string, value: JsonValue): void {
  if (key === "__proto__")
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

export function jsonType(value: unknown): "null" | "boolean" | "number" | "string" | "array" | "object" | "other" {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  switch (typeof value) {
    case "boolean":
      return "boolean";
    case "number":
      return "number";
    case "string":
      return "string";
    case "object":
      return "object";
    default:
      return "other";
  }
}

/** Own string-valued entries of a metadata map (annotations, labels); other values are read as Kubernetes would not. */
export function stringMap(value: JsonValue | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(value)) return out;
  for (const [k, v] of Object.entries(value)) {
    // Annotation values are strings in Kubernetes; fixtures with unquoted booleans/numbers read as their text.
    if (typeof v === "string") out[k] = v;
    else if (typeof v === "boolean" || typeof v === "number") out[k] = String(v);
  }
  return out;
}

export function sortedKeys(record: Readonly<Record<string, unknown>>): string[] {
  return Object.keys(record).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Freezes a value and everything in it, so that any later change throws (in strict mode) instead of spreading. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
