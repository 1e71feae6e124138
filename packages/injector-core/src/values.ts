import { CHART_DEFAULTS, FREE_FORM, LINKERD_VERSION } from "./default-values.js";
import { clone, deepFreeze, isObject, jsonType } from "./json.js";
import type { Issue, JsonObject, JsonValue, PathTo, ValueAt, ValuePath, Values, ValuesResult } from "./types.js";

export { LINKERD_VERSION };

/**
 * Linkerd's built-in values: the control-plane chart defaults, with the version set to {@link LINKERD_VERSION}.
 * They carry no identity trust anchors, as Linkerd's own do not.
 *
 * @example
 * DEFAULT_VALUES.proxy // { image: { name: "cr.l5d.io/linkerd/proxy", ... }, ports: { admin: 4191, ... }, ... }
 */
export const DEFAULT_VALUES: Readonly<Values> = deepFreeze(clone(CHART_DEFAULTS));

type FreeForm = (typeof FREE_FORM)[string];

/**
 * Merges value layers (each a parsed values document: a `linkerd-config` ConfigMap, a `--values` file), in order,
 * over the built-in defaults. Maps merge key by key, except the free-form maps Linkerd reads whole (`proxy.inbound`,
 * `podAnnotations`, ...): Linkerd reads `linkerd-config` into empty values, so a layer that gives one replaces it.
 * Lists and scalars replace. Keys the defaults do not know are kept (a newer control plane may write them); a known
 * key of the wrong JSON type is an issue.
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
        path: [],
        message: `values layer ${index + 1} must be a map of values, got ${jsonType(layer)}`,
      });
      return;
    }
    merged = mergeInto(merged, layer as JsonObject, CHART_DEFAULTS, [], issues);
  });
  // Every known key was checked against the defaults' type above.
  return issues.length > 0 ? { ok: false, issues } : { ok: true, values: merged as Values };
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
  if (want === jsonType(value)) return undefined;
  return wrongType(path, want, value);
}

function wrongType(path: readonly string[], want: string, value: JsonValue): Issue {
  return {
    code: "invalid_value_type",
    path: [...path],
    message: `expected ${want}, got ${jsonType(value)} ${JSON.stringify(value)}`,
  };
}

// Keyed by the path's parts joined with NUL, which no key holds, so that a key with a dot in it never matches.
const FREE_FORM_KEYS = new Map(
  Object.entries(FREE_FORM).map(([path, shape]) => [path.split(".").join("\u0000"), shape]),
);
const FREE_FORM_LONGEST = Math.max(...Object.keys(FREE_FORM).map((path) => path.split(".").length));

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
function shapeProblem(
  value: JsonValue,
  depth: number,
  leaf: FreeForm["leaf"],
  path: readonly string[],
): Issue | undefined {
  if (value === null) return undefined;
  if (depth === 0) return leaf === "string" && typeof value !== "string" ? wrongType(path, "string", value) : undefined;
  if (!isObject(value)) return wrongType(path, "object", value);
  for (const [key, child] of Object.entries(value)) {
    const problem = shapeProblem(child, depth - 1, leaf, [...path, key]);
    if (problem) return problem;
  }
  return undefined;
}

/** Splits a dotted values path; `\.` keeps a dot inside a key (as Helm's `--set` does). */
export function splitPath(path: string): readonly string[] {
  // Paths written in code have no escapes: the plain split is the common, fast case.
  return path.includes("\\") ? splitEscaped(path) : path.split(".");
}

function splitEscaped(path: string): string[] {
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
 * Checks a values path that comes from outside the code (`--set PATH=VALUE`): it must name a setting Linkerd knows
 * (in the defaults, or inside a free-form map such as `podAnnotations` or `proxy.inbound`), or one `values` already
 * hold (a newer control plane's).
 *
 * @example
 * checkValuePath(DEFAULT_VALUES, "proxy.ports.admin") // { ok: true, path: "proxy.ports.admin" }
 * checkValuePath(DEFAULT_VALUES, "proxy.nope")        // { ok: false, issues: [{ code: "unknown_value_path", ... }] }
 */
export function checkValuePath(
  values: Readonly<Values>,
  text: string,
): { ok: true; path: ValuePath } | { ok: false; issues: Issue[] } {
  const parts = splitPath(text);
  const unknown = { ok: false as const, issues: [unknownPath(text)] };
  if (parts.some((p) => p === "" || p === "__proto__" || p === "constructor" || p === "prototype")) return unknown;
  const freeForm = freeFormAbove(parts);
  // Below the leaves there is only more data of an "any" leaf (`proxy.securityContext.capabilities.drop`).
  if (freeForm !== undefined && freeForm.below > freeForm.shape.depth && freeForm.shape.leaf !== "any") return unknown;
  if (freeForm === undefined && defaultAt(parts) === undefined && lookUp(values, parts) === undefined) return unknown;
  return { ok: true, path: text as ValuePath };
}

/**
 * Reads a dotted path from values; `undefined` when any part is missing, `null` when a layer cleared it.
 *
 * @example
 * getValue(DEFAULT_VALUES, "proxy.ports.admin") // 4191
 */
export function getValue<P extends ValuePath>(values: Readonly<Values>, path: P): ValueAt<P> | null | undefined {
  if (path.includes("\\")) return lookUp(values, splitEscaped(path)) as ValueAt<P> | null | undefined;
  // Walked part by part without splitting: the renderer reads a hundred settings per pod whose annotations override
  // some, and the list each split would allocate is a good part of the cost.
  let node: JsonValue | undefined = values as JsonObject;
  let start = 0;
  for (;;) {
    const dot = path.indexOf(".", start);
    const part = dot === -1 ? path.slice(start) : path.slice(start, dot);
    if (!isObject(node) || !Object.hasOwn(node, part)) return undefined;
    node = node[part];
    if (dot === -1) return node as ValueAt<P> | null | undefined;
    start = dot + 1;
  }
}

function lookUp(values: Readonly<Values>, parts: readonly string[]): JsonValue | undefined {
  let node: JsonValue | undefined = values as JsonObject;
  for (const part of parts) {
    if (!isObject(node) || !Object.hasOwn(node, part)) return undefined;
    node = node[part];
  }
  return node;
}

function defaultAt(parts: readonly string[]): JsonValue | undefined {
  return lookUp(CHART_DEFAULTS as Values, parts);
}

/**
 * Sets one value by dotted path, as a Linkerd CLI flag or `--set` does, returning new values (the input is not
 * changed). The value must have the default's type; numbers and booleans given for a string setting are read as
 * their text (`--set proxyInit.ignoreInboundPorts=22`). Inside a free-form map only the key named changes, as with
 * Helm's `--set`; the map's shape is checked (`proxy.inbound.<scope>` must be a map).
 *
 * @example
 * setValue(DEFAULT_VALUES, "proxy.ports.admin", 1234) // { ok: true, values: { ..., proxy: { ports: { admin: 1234 ... } } } }
 * setValue(DEFAULT_VALUES, "proxy.ports.admin", "x")  // { ok: false, issues: [{ code: "invalid_value_type", ... }] }
 */
export function setValue(values: Readonly<Values>, path: ValuePath, value: JsonValue): ValuesResult {
  // A path from a cast, not from checkValuePath, is checked all the same.
  const checked = checkValuePath(values, path);
  if (!checked.ok) return checked;
  const parts = splitPath(path);
  let coerced = value;
  let problem: Issue | undefined;
  const freeForm = freeFormAbove(parts);
  if (freeForm !== undefined) {
    const remaining = freeForm.shape.depth - freeForm.below;
    if (remaining === 0 && freeForm.shape.leaf === "string") coerced = textOf(value);
    if (remaining >= 0) problem = shapeProblem(coerced, remaining, freeForm.shape.leaf, parts);
  } else {
    const def = defaultAt(parts);
    if (typeof def === "string") coerced = textOf(value);
    problem = typeProblem(def, coerced, parts);
  }
  if (problem) return { ok: false, issues: [problem] };
  return { ok: true, values: setIn(values as JsonObject, parts, coerced) as Values };
}

function textOf(value: JsonValue): JsonValue {
  return typeof value === "number" || typeof value === "boolean" ? String(value) : value;
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

function unknownPath(path: string): Issue {
  return { code: "unknown_value_path", path: [...splitPath(path)], message: "unknown values path" };
}

/**
 * Typed reads of settings, for the renderer: a missing, cleared or mistyped setting reads as Go's zero value, as it
 * does in Linkerd's templates. The path's type says which reader fits: `readNumber` takes only number settings.
 */
export function readString(values: Readonly<Values>, path: PathTo<string>): string {
  const v = getValue(values, path);
  return typeof v === "string" ? v : "";
}

/** A string setting that users may also give as a number (`ignoreOutboundPorts: 5432`), as text. */
export function readText(values: Readonly<Values>, path: PathTo<string>): string {
  return valueText(getValue(values, path) as JsonValue | undefined);
}

/** A value as the chart's templates print it: what `readText` gives for the value at its path. */
export function valueText(v: JsonValue | undefined): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isInteger(v) ? v.toFixed(0) : String(v);
  return typeof v === "string" || typeof v === "boolean" ? String(v) : JSON.stringify(v);
}

export function readNumber(values: Readonly<Values>, path: PathTo<number>): number {
  const v = getValue(values, path) as JsonValue | undefined;
  if (typeof v === "number") return v;
  if (typeof v === "string" && /^-?\d+$/.test(v)) return Number(v);
  return 0;
}

export function readBoolean(values: Readonly<Values>, path: PathTo<boolean>): boolean {
  return getValue(values, path) === true;
}
