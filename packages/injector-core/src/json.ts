import type { JsonObject, JsonValue } from "./types.js";

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A deep copy of a JSON value; the core never hands out references into its inputs. */
export function clone<T extends JsonValue>(value: T): T {
  return structuredClone(value);
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
