import { CHART_DEFAULTS } from "./default-values.js";
import { clone, isObject, jsonType } from "./json.js";
import type { Issue, JsonObject, JsonValue, Values, ValuesResult } from "./types.js";

/** The Linkerd release whose behaviour and images this injector follows. */
export const LINKERD_VERSION = "edge-26.8.3";

/**
 * Linkerd's built-in values: the control-plane chart defaults, with the version set to {@link LINKERD_VERSION}.
 * They carry no identity trust anchors, as Linkerd's own do not.
 *
 * @example
 * DEFAULT_VALUES.proxy // { image: { name: "cr.l5d.io/linkerd/proxy", ... }, ports: { admin: 4191, ... }, ... }
 */
export const DEFAULT_VALUES: Readonly<Values> = deepFreeze(clone(CHART_DEFAULTS));

/**
 * Merges value layers (each a parsed values document: a `linkerd-config` ConfigMap, a `--values` file), in order,
 * over the built-in defaults. Maps merge key by key; lists and scalars replace. Keys the defaults do not know are
 * kept (a newer control plane may write them); a known key of the wrong JSON type is an issue.
 *
 * @example
 * const r = resolveValues([{ proxy: { logLevel: "debug" } }]);
 * if (r.ok) r.values.proxy; // logLevel "debug", everything else from the defaults
 */
export function resolveValues(layers: readonly unknown[]): ValuesResult {
  const issues: Issue[] = [];
  let merged: JsonObject = clone(CHART_DEFAULTS);
  layers.forEach((layer, index) => {
    if (layer === null || layer === undefined) return;
    if (!isObject(layer)) {
      issues.push({
        code: "invalid_values",
        message: `values layer ${index + 1} must be a map of values, got ${jsonType(layer)}`,
      });
      return;
    }
    merged = mergeInto(merged, layer as JsonObject, CHART_DEFAULTS, [], issues);
  });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, values: merged };
}

function mergeInto(
  target: JsonObject,
  layer: JsonObject,
  defaults: JsonValue | undefined,
  path: string[],
  issues: Issue[],
): JsonObject {
  const out: JsonObject = { ...target };
  for (const [key, value] of Object.entries(layer)) {
    // A values file is data: never let it reach the prototype chain.
    if (key === "__proto__" || key === "constructor" || key === "prototype") continue;
    const here = [...path, key];
    const def = isObject(defaults) ? defaults[key] : undefined;
    const problem = typeProblem(def, value, here);
    if (problem) {
      issues.push(problem);
      continue;
    }
    const current = out[key];
    if (isObject(value) && isObject(current)) {
      out[key] = mergeInto(current, value, def, here, issues);
    } else {
      out[key] = clone(value);
    }
  }
  return out;
}

function typeProblem(def: JsonValue | undefined, value: JsonValue, path: readonly string[]): Issue | undefined {
  // Unknown keys and keys whose default is null (optional settings) take any type; null clears a setting.
  if (def === undefined || def === null || value === null) return undefined;
  const want = jsonType(def);
  const got = jsonType(value);
  if (want === got) return undefined;
  return {
    code: "invalid_value_type",
    path: path.join("."),
    message: `${path.join(".")}: expected ${want}, got ${got} ${JSON.stringify(value)}`,
  };
}

const splitCache = new Map<string, readonly string[]>();

/** Splits a dotted values path; `\.` keeps a dot inside a key (as Helm's `--set` does). */
export function splitPath(path: string): readonly string[] {
  let parts = splitCache.get(path);
  if (parts === undefined) {
    parts = Object.freeze(splitUncached(path));
    // The core reads a fixed set of paths; the bound only guards against callers with unbounded ones.
    if (splitCache.size > 512) splitCache.clear();
    splitCache.set(path, parts);
  }
  return parts;
}

function splitUncached(path: string): string[] {
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (c === "\\" && path[i + 1] === ".") {
      current += ".";
      i++;
    } else if (c === ".") {
      parts.push(current);
      current = "";
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

/**
 * Reads a dotted path from values; `undefined` when any part is missing.
 *
 * @example
 * getValue(DEFAULT_VALUES, "proxy.ports.admin") // 4191
 */
export function getValue(values: Readonly<Values>, path: string): JsonValue | undefined {
  let node: JsonValue | undefined = values as JsonObject;
  for (const part of splitPath(path)) {
    if (!isObject(node) || !Object.hasOwn(node, part)) return undefined;
    node = node[part];
  }
  return node;
}

/**
 * Sets one value by dotted path, as a Linkerd CLI flag or `--set` does, returning new values (the input is not
 * changed). The path must be one Linkerd knows (present in the defaults, or inside an open map such as
 * `podAnnotations`); the value must have the default's type. Numbers and booleans given for a string setting are
 * read as their text (`--set proxyInit.ignoreInboundPorts=22`).
 *
 * @example
 * setValue(DEFAULT_VALUES, "proxy.ports.admin", 1234) // { ok: true, values: { ..., proxy: { ports: { admin: 1234 ... } } } }
 * setValue(DEFAULT_VALUES, "proxy.nope", 1)          // { ok: false, issues: [{ code: "unknown_value_path", ... }] }
 */
export function setValue(values: Readonly<Values>, path: string, value: JsonValue): ValuesResult {
  const parts = splitPath(path);
  if (parts.some((p) => p === "" || p === "__proto__" || p === "constructor" || p === "prototype")) {
    return fail("unknown_value_path", path, `unknown values path "${path}"`);
  }
  let def: JsonValue | undefined = CHART_DEFAULTS;
  let known = true;
  for (const part of parts) {
    if (!isObject(def)) {
      known = false;
      break;
    }
    if (!Object.hasOwn(def, part)) {
      // Open maps (empty in the defaults, such as podAnnotations or proxy.securityContext) take any key.
      known = Object.keys(def).length === 0;
      def = undefined;
      break;
    }
    def = def[part];
  }
  if (!known && getValue(values, path) === undefined) {
    return fail("unknown_value_path", path, `unknown values path "${path}"`);
  }
  let coerced = value;
  if (typeof def === "string" && (typeof value === "number" || typeof value === "boolean")) coerced = String(value);
  const problem = typeProblem(def, coerced, parts);
  if (problem) return { ok: false, issues: [problem] };
  return { ok: true, values: setIn(values as JsonObject, parts, coerced) };
}

function setIn(node: JsonObject, parts: readonly string[], value: JsonValue): JsonObject {
  const [head, ...rest] = parts as [string, ...string[]];
  const out: JsonObject = { ...node };
  if (rest.length === 0) {
    out[head] = clone(value);
  } else {
    const child = out[head];
    out[head] = setIn(isObject(child) ? child : {}, rest, value);
  }
  return out;
}

function fail(code: Issue["code"], path: string, message: string): ValuesResult {
  return { ok: false, issues: [{ code, path, message }] };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
