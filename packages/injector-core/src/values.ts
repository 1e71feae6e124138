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
 * The parts of the values that Linkerd reads as free-form maps rather than as fixed structs (Go maps in
 * `pkg/charts/linkerd2/values.go`, or Kubernetes objects it copies whole): they take any key, and a map given in a
 * values layer replaces the one below it instead of being merged into it, since Linkerd reads `linkerd-config` into
 * empty values. `depth` is how many levels of maps there are before the leaves; `leaf` is what a leaf may be.
 */
interface FreeForm {
  depth: number;
  leaf: "string" | "any";
}

const FREE_FORM: ReadonlyMap<string, FreeForm> = new Map<string, FreeForm>([
  // `proxy.inbound.<scope>.<proto>.<param>` (Go `ProxyParams`), rendered as LINKERD2_PROXY_INBOUND_<SCOPE>_... (spec §3.5).
  ["proxy.inbound", { depth: 3, leaf: "any" }],
  ["proxy.outbound", { depth: 3, leaf: "any" }],
  ["proxy.tracing.labels", { depth: 1, leaf: "string" }],
  ["proxy.securityContext", { depth: 1, leaf: "any" }],
  ["networkValidator.securityContext", { depth: 1, leaf: "any" }],
  ["podAnnotations", { depth: 1, leaf: "string" }],
  ["podLabels", { depth: 1, leaf: "string" }],
  ["commonLabels", { depth: 1, leaf: "string" }],
  ["nodeSelector", { depth: 1, leaf: "string" }],
  ["deploymentStrategy", { depth: 1, leaf: "any" }],
  ["spValidator", { depth: 1, leaf: "any" }],
  ["destinationController.meshedHttp2ClientProtobuf", { depth: 1, leaf: "any" }],
  ["destinationController.podAnnotations", { depth: 1, leaf: "string" }],
  ["identity.podAnnotations", { depth: 1, leaf: "string" }],
  ["proxyInjector.podAnnotations", { depth: 1, leaf: "string" }],
  ["proxyInjector.namespaceSelector", { depth: 1, leaf: "any" }],
  ["proxyInjector.objectSelector", { depth: 1, leaf: "any" }],
  ["profileValidator.namespaceSelector", { depth: 1, leaf: "any" }],
  ["policyValidator.namespaceSelector", { depth: 1, leaf: "any" }],
  ["podMonitor.labels", { depth: 1, leaf: "string" }],
]);

/**
 * Merges value layers (each a parsed values document: a `linkerd-config` ConfigMap, a `--values` file), in order,
 * over the built-in defaults. Maps merge key by key, except the free-form maps Linkerd reads whole (`proxy.inbound`,
 * `podAnnotations`, ...): a layer that gives one replaces it. Lists and scalars replace. Keys the defaults do not
 * know are kept (a newer control plane may write them); a known key of the wrong JSON type is an issue.
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
    const freeForm = freeFormAt(here);
    if (freeForm !== undefined) {
      // Linkerd reads linkerd-config into empty values: a free-form map given here is the whole map.
      const problem = shapeProblem(value, freeForm.depth, freeForm.leaf, here);
      if (problem) issues.push(problem);
      else out[key] = clone(value);
      continue;
    }
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
  return wrongType(path, want, value);
}

function wrongType(path: readonly string[], want: string, value: JsonValue): Issue {
  return {
    code: "invalid_value_type",
    path: path.join("."),
    message: `${path.join(".")}: expected ${want}, got ${jsonType(value)} ${JSON.stringify(value)}`,
  };
}

// Keyed by the path's parts joined with NUL, which no key can hold, so that a key with a dot in it never matches.
const FREE_FORM_KEYS = new Map([...FREE_FORM].map(([path, shape]) => [path.split(".").join("\u0000"), shape]));
const FREE_FORM_LONGEST = Math.max(...[...FREE_FORM.keys()].map((path) => path.split(".").length));

function freeFormAt(path: readonly string[]): FreeForm | undefined {
  return path.length > FREE_FORM_LONGEST ? undefined : FREE_FORM_KEYS.get(path.join("\u0000"));
}

/** The free-form map a path lies in, and how many of its levels the path goes down. */
function freeFormAbove(parts: readonly string[]): { shape: FreeForm; below: number } | undefined {
  for (let i = 1; i <= Math.min(parts.length, FREE_FORM_LONGEST); i++) {
    const shape = freeFormAt(parts.slice(0, i));
    if (shape !== undefined) return { shape, below: parts.length - i };
  }
  return undefined;
}

/** Checks a free-form value: `depth` levels of maps (a level may be null, as an empty map), then leaves. */
function shapeProblem(value: JsonValue, depth: number, leaf: FreeForm["leaf"], path: readonly string[]): Issue | undefined {
  if (value === null) return undefined;
  if (depth === 0) return leaf === "string" && typeof value !== "string" ? wrongType(path, "string", value) : undefined;
  if (!isObject(value)) return wrongType(path, "object", value);
  for (const [key, child] of Object.entries(value)) {
    const problem = shapeProblem(child, depth - 1, leaf, [...path, key]);
    if (problem) return problem;
  }
  return undefined;
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
 * changed). The path must be one Linkerd knows (present in the defaults, or inside a free-form map such as
 * `podAnnotations` or `proxy.inbound`); the value must have the default's type. Numbers and booleans given for a
 * string setting are read as their text (`--set proxyInit.ignoreInboundPorts=22`). Inside a free-form map only the
 * key named changes, as with Helm's `--set`.
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
  const freeForm = freeFormAbove(parts);
  if (freeForm !== undefined) {
    const { shape, below } = freeForm;
    // Below the leaves there is only more data of an "any" leaf (`proxy.securityContext.capabilities.drop`).
    if (below > shape.depth && shape.leaf !== "any") return fail("unknown_value_path", path, `unknown values path "${path}"`);
    const remaining = Math.max(shape.depth - below, 0);
    let coerced = value;
    if (remaining === 0 && shape.leaf === "string" && (typeof value === "number" || typeof value === "boolean")) {
      coerced = String(value);
    }
    const problem = below > shape.depth ? undefined : shapeProblem(coerced, remaining, shape.leaf, parts);
    if (problem) return { ok: false, issues: [problem] };
    return { ok: true, values: setIn(values as JsonObject, parts, coerced) };
  }
  let def: JsonValue | undefined = CHART_DEFAULTS;
  let known = true;
  for (const part of parts) {
    if (!isObject(def) || !Object.hasOwn(def, part)) {
      known = false;
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
