import { isObject } from "./json.js";
import { SETTING_BY_ANNOTATION, SETTINGS, type Setting, settingChanges } from "./settings.js";
import type { Issue, JsonObject, JsonValue, ValuePath, Values } from "./types.js";
import { getValue, splitPath } from "./values.js";
import { objects, str } from "./workload.js";

/** Values after the workload's `config.*` annotations were applied (Linkerd's `applyAnnotationOverrides`). */
export interface ProxyConfig {
  /** The base values with `changes` applied; copied on first read (`changes` often say all that is needed). */
  readonly values: Values;
  /** Whether an annotation set a value: if not, `values` are the base values and what was prepared from them holds. */
  readonly changed: boolean;
  /** The values set, in order: a path set twice keeps its last value. */
  readonly changes: ReadonlyMap<ValuePath, JsonValue>;
  readonly debugSidecar: boolean;
  readonly warnings: Issue[];
}

/**
 * Applies override annotations to a copy of the values (spec §2.2), each as its setting in the registry reads it. A
 * value that does not parse never fails the injection: it is reported as a warning and the configured value stays,
 * as in Linkerd.
 *
 * `annotations` are the ones to parse (the pod's own, plus inherited ones in the webhook); `podSpec` names the ports
 * that opaque-ports may refer to; `additionalEnvLayers` are `proxy-additional-env` values, lowest precedence first.
 */
export function applyOverrides(
  base: Values,
  annotations: Readonly<Record<string, string>>,
  podSpec: JsonObject,
  additionalEnvLayers: readonly string[] = [],
): ProxyConfig {
  const copy = copyOnWrite(base);
  const warnings: Issue[] = [];
  const warn = (key: string, message: string) => warnings.push({ code: "invalid_annotation", path: [key], message });
  let debugSidecar = false;

  const read = (setting: Setting, key: string) => {
    const parsed = setting.parse?.(annotations[key] as string, { podSpec });
    if (parsed === undefined) return;
    if (!parsed.ok) {
      warn(key, parsed.message);
      return;
    }
    for (const message of parsed.warnings ?? []) warn(key, message);
    // The debug sidecar is the one setting that is not a value: its annotation alone turns the container on.
    if (setting.path === null) debugSidecar = parsed.value === true;
    for (const change of settingChanges(setting, parsed.value)) copy.set(change.path, change.value);
  };

  for (const key of Object.keys(annotations)) {
    const setting = SETTING_BY_ANNOTATION.get(key);
    if (setting !== undefined && setting.legacy.length === 0) read(setting, key);
  }
  // A setting with several spellings is read once, under the one that wins: the stable key over the deprecated ones.
  for (const setting of SPELLED_SEVERAL_WAYS) {
    const key = [setting.annotation, ...setting.legacy.map((l) => l.name)].find((k) => annotations[k] !== undefined);
    if (key !== undefined) read(setting, key);
  }
  if (additionalEnvLayers.length > 0) {
    const configured = getValue(copy.values(), "proxy.additionalEnv");
    copy.set("proxy.additionalEnv", mergeAdditionalEnv(configured ?? [], additionalEnvLayers, warn));
  }
  return new OverriddenValues(copy, debugSidecar, warnings);
}

/**
 * A class rather than an object literal with a `values` getter: V8 keeps such a literal in dictionary mode, and what it
 * held survived young-generation collections, so under load every pod's values and annotations were promoted (in a
 * loop of injections, 1.3 MB per scavenge and scavenges fifty times longer).
 */
class OverriddenValues implements ProxyConfig {
  readonly debugSidecar: boolean;
  readonly warnings: Issue[];
  readonly #copy: CopyOnWrite;

  constructor(copy: CopyOnWrite, debugSidecar: boolean, warnings: Issue[]) {
    this.#copy = copy;
    this.debugSidecar = debugSidecar;
    this.warnings = warnings;
  }

  get values(): Values {
    return this.#copy.values();
  }

  get changes(): ReadonlyMap<ValuePath, JsonValue> {
    return this.#copy.changes;
  }

  get changed(): boolean {
    return this.#copy.changes.size > 0;
  }
}

interface CopyOnWrite {
  set: (path: ValuePath, value: JsonValue) => void;
  values: () => Values;
  changes: ReadonlyMap<ValuePath, JsonValue>;
}

/**
 * Values changed path by path without touching `base`: the maps along a changed path are copied once, the rest is
 * shared, and nothing is copied until the values are read. Most pods change nothing, or only their opaque ports,
 * and keep the base values and what was prepared from them (copying the values' top two levels was a tenth of an
 * injection).
 */
function copyOnWrite(base: Values): CopyOnWrite {
  const fresh = new WeakSet<JsonObject>();
  const changes = new Map<ValuePath, JsonValue>();
  let values: JsonObject | undefined;
  const set = (path: ValuePath, value: JsonValue) => {
    // Deleted first, so that the map's order stays the order of the last sets.
    changes.delete(path);
    changes.set(path, value);
    if (values !== undefined) apply(values, path, value);
  };
  const read = (): Values => {
    if (values === undefined && changes.size > 0) {
      values = { ...base } as JsonObject;
      fresh.add(values);
      for (const [path, value] of changes) apply(values, path, value);
    }
    return (values ?? base) as Values;
  };
  const apply = (root: JsonObject, path: ValuePath, value: JsonValue) => {
    const parts = splitPath(path);
    let node = root;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      if (!isObject(next) || !fresh.has(next)) {
        const copy: JsonObject = isObject(next) ? { ...next } : {};
        fresh.add(copy);
        node[part] = copy;
      }
      node = node[part] as JsonObject;
    }
    node[parts[parts.length - 1] as string] = value;
  };
  return { set, values: read, changes };
}

const SPELLED_SEVERAL_WAYS: readonly Setting[] = Object.values(SETTINGS).filter((s) => s.legacy.length > 0);

/** `proxy-additional-env` layers merged by env-var name: values < namespace < workload (spec §1.7). */
function mergeAdditionalEnv(
  configured: readonly JsonValue[],
  layers: readonly string[],
  warn: (key: string, message: string) => void,
): JsonObject[] {
  const key = SETTINGS.additionalEnv.annotation;
  const merged = new Map<string, JsonObject>();
  for (const e of objects([...configured])) merged.set(str(e["name"]), e);
  for (const layer of layers) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(layer);
    } catch {
      warn(key, "not valid JSON, ignored");
      continue;
    }
    if (!Array.isArray(parsed) || !parsed.every((e) => isObject(e) && typeof e["name"] === "string")) {
      warn(key, "must be a JSON list of environment variables, ignored");
      continue;
    }
    for (const e of parsed as JsonObject[]) merged.set(e["name"] as string, e);
  }
  return [...merged.values()];
}

/**
 * Whether the injector would use `value` for the override annotation `key` (spec §2.2): the registry's own parser
 * decides, and a value is valid when it parses without a warning. Annotations taken as free text (images, log
 * levels, port lists) accept any value; keys the injector does not read accept none. `podSpec` names the container
 * ports that `opaque-ports` may refer to.
 *
 * @example
 * isValidProxyAnnotationValue("config.linkerd.io/proxy-cpu-limit", "1500m") // true
 * isValidProxyAnnotationValue("config.linkerd.io/admin-port", "http") // false
 */
export function isValidProxyAnnotationValue(key: string, value: string, podSpec: JsonObject = {}): boolean {
  const setting = SETTING_BY_ANNOTATION.get(key);
  if (setting === undefined) return false;
  if (setting === SETTINGS.additionalEnv) {
    let valid = true;
    mergeAdditionalEnv([], [value], () => {
      valid = false;
    });
    return valid;
  }
  // Without a parser of its own a setting is either taken as it is (pod-inbound-ports) or not an override at all
  // (`linkerd.io/inject`, read by the decision): Linkerd's proxy annotations are the former.
  if (setting.parse === undefined) return setting.metricLabel;
  const parsed = setting.parse(value, { podSpec });
  return parsed.ok && (parsed.warnings ?? []).length === 0;
}
