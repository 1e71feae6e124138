import { A, DEFAULT_INBOUND_POLICIES } from "./annotations.js";
import { isObject } from "./json.js";
import { cpuCores, parseGoBool, parseGoDuration, parseInt32, parseInt64, parsePortRange, parseQuantity } from "./parse.js";
import type { Issue, JsonObject, JsonValue, Values } from "./types.js";
import { objects, str } from "./workload.js";

/** Values after the workload's `config.*` annotations were applied (Linkerd's `applyAnnotationOverrides`). */
export interface ProxyConfig {
  values: Values;
  debugSidecar: boolean;
  warnings: Issue[];
}

type Setter = (text: string, ctx: OverrideContext) => void;

interface OverrideContext {
  set: (path: string, value: JsonValue) => void;
  key: string;
  warn: (message: string) => void;
  podSpec: JsonObject;
  debug: { enabled: boolean };
}

/**
 * Applies override annotations to a copy of the values (spec §2.2). A value that does not parse never fails the
 * injection: it is reported as a warning and the configured value stays, as in Linkerd.
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
  // Copy-on-write: the maps along a changed path are copied once, so the base values are shared, never changed.
  const fresh = new WeakSet<JsonObject>();
  const values = { ...base } as JsonObject;
  fresh.add(values);
  const setValue = (path: string, value: JsonValue) => {
    const parts = path.split(".");
    let node = values;
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
  const warnings: Issue[] = [];
  const debug = { enabled: false };
  const ctx = (key: string): OverrideContext => ({
    set: setValue,
    key,
    podSpec,
    debug,
    warn: (message) => warnings.push({ code: "invalid_annotation", path: key, message }),
  });
  for (const [key, text] of Object.entries(annotations)) {
    const setter = SETTERS[key];
    if (setter !== undefined && Object.hasOwn(SETTERS, key)) setter(text, ctx(key));
  }
  nativeSidecar(annotations, ctx(A.nativeSidecar));
  if (additionalEnvLayers.length > 0) mergeAdditionalEnv(values, additionalEnvLayers, ctx(A.additionalEnv));
  return { values, debugSidecar: debug.enabled, warnings };
}

const text =
  (path: string): Setter =>
  (v, c) =>
    c.set(path, v);

/** A setter for values that parse from the annotation's text; text that does not parse is a warning. */
const parsedWith =
  <T extends JsonValue>(parse: (text: string) => T | undefined, what: string) =>
  (path: string): Setter =>
  (v, c) => {
    const value = parse(v);
    if (value === undefined) c.warn(`unable to parse ${c.key} "${v}" as ${what}`);
    else c.set(path, value);
  };

const int32 = parsedWith(parseInt32, "a 32-bit integer");
const int64 = parsedWith(parseInt64, "an integer");
const bool = parsedWith(parseGoBool, "a boolean");

const enabledDisabled =
  (path: string): Setter =>
  (v, c) => {
    if (v === "enabled") c.set(path, true);
    else if (v === "disabled") c.set(path, false);
    else c.warn(`unrecognized value for ${c.key} "${v}": expected "enabled" or "disabled"`);
  };

/**
 * The quantity is written as it was validated, trimmed: the API server would accept `" 2 "` in a pod, but the proxy's
 * resources and the cores derived from them must be what was checked. `workers` takes the whole cores of a CPU value.
 */
const quantity =
  (path: string, workers?: string): Setter =>
  (v, c) => {
    if (parseQuantity(v) === undefined) {
      c.warn(`unable to parse ${c.key} "${v}" as a quantity`);
      return;
    }
    const cores = workers === undefined ? undefined : cpuCores(v);
    if (workers !== undefined && cores === undefined) {
      c.warn(`${c.key} "${v}" is more CPU cores than the proxy can be given`);
      return;
    }
    c.set(path, v.trim());
    if (workers !== undefined) c.set(workers, cores as number);
  };

/** Durations are handed to the proxy in whole milliseconds or seconds (spec §2.2). */
const duration =
  (path: string, unit: "ms" | "s"): Setter =>
  (v, c) => {
    const ns = parseGoDuration(v);
    if (ns === undefined) {
      c.warn(`unable to parse ${c.key} "${v}" as a duration`);
      return;
    }
    c.set(path, unit === "ms" ? `${Math.trunc(ns / 1e6)}ms` : `${Math.trunc(ns / 1e9)}s`);
  };

const SETTERS: Readonly<Record<string, Setter>> = {
  [A.proxyImage]: text("proxy.image.name"),
  [A.proxyVersion]: text("proxy.image.version"),
  [A.imagePullPolicy]: text("proxy.image.pullPolicy"),
  [A.controlPort]: int32("proxy.ports.control"),
  [A.inboundPort]: int32("proxy.ports.inbound"),
  [A.adminPort]: int32("proxy.ports.admin"),
  [A.outboundPort]: int32("proxy.ports.outbound"),
  // pod-inbound-ports is parsed by Linkerd and then overwritten by the ports computed from the pod (spec §3.5.1).
  [A.cpuRequest]: quantity("proxy.resources.cpu.request", "proxy.runtime.workers.minimum"),
  [A.cpuLimit]: quantity("proxy.resources.cpu.limit", "proxy.runtime.workers.maximum"),
  [A.cpuRatioLimit]: (v, c) => {
    const n = Number(v);
    if (v.trim() === "" || !Number.isFinite(n) || n <= 0 || n >= 1) {
      c.warn(`${c.key} "${v}" must be a number strictly between 0 and 1`);
    } else {
      c.set("proxy.runtime.workers.maximumCPURatio", n);
    }
  },
  [A.memoryRequest]: quantity("proxy.resources.memory.request"),
  [A.memoryLimit]: quantity("proxy.resources.memory.limit"),
  [A.ephemeralRequest]: quantity("proxy.resources.ephemeral-storage.request"),
  [A.ephemeralLimit]: quantity("proxy.resources.ephemeral-storage.limit"),
  [A.uid]: int64("proxy.uid"),
  [A.gid]: int64("proxy.gid"),
  [A.logLevel]: text("proxy.logLevel"),
  [A.logFormat]: text("proxy.logFormat"),
  // Checked when rendering: Linkerd fails the injection on any other value (spec §2.2).
  [A.logHttpHeaders]: text("proxy.logHTTPHeaders"),
  [A.adminShutdown]: enabledDisabled("proxy.enableShutdownEndpoint"),
  [A.externalProfiles]: bool("proxy.enableExternalProfiles"),
  [A.requireIdentity]: text("proxy.requireIdentityOnInboundPorts"),
  [A.hostnameLabels]: bool("proxy.metrics.hostnameLabels"),
  [A.outboundConnectTimeout]: duration("proxy.outboundConnectTimeout", "ms"),
  [A.inboundConnectTimeout]: duration("proxy.inboundConnectTimeout", "ms"),
  [A.outboundDiscoveryTimeout]: duration("proxy.outboundDiscoveryCacheUnusedTimeout", "s"),
  [A.inboundDiscoveryTimeout]: duration("proxy.inboundDiscoveryCacheUnusedTimeout", "s"),
  [A.disableOutboundDetect]: bool("proxy.disableOutboundProtocolDetectTimeout"),
  [A.disableInboundDetect]: bool("proxy.disableInboundProtocolDetectTimeout"),
  [A.shutdownGracePeriod]: duration("proxy.shutdownGracePeriod", "ms"),
  [A.await]: enabledDisabled("proxy.await"),
  [A.defaultInboundPolicy]: (v, c) => {
    if (DEFAULT_INBOUND_POLICIES.includes(v)) c.set("proxy.defaultInboundPolicy", v);
    else c.warn(`unrecognized ${c.key} "${v}": expected one of ${DEFAULT_INBOUND_POLICIES.join(", ")}`);
  },
  [A.accessLog]: text("proxy.accessLog"),
  [A.skipInboundPorts]: text("proxyInit.ignoreInboundPorts"),
  [A.skipOutboundPorts]: text("proxyInit.ignoreOutboundPorts"),
  [A.skipSubnets]: text("proxyInit.skipSubnets"),
  [A.opaquePorts]: (v, c) => c.set("proxy.opaquePorts", resolveOpaquePorts(v, c.podSpec, c.warn)),
  [A.debugSidecar]: (v, c) => {
    const b = parseGoBool(v);
    if (b === undefined) c.warn(`unable to parse ${c.key} "${v}" as a boolean`);
    else c.debug.enabled = b;
  },
  [A.debugImage]: text("debugContainer.image.name"),
  [A.debugImageVersion]: text("debugContainer.image.version"),
  [A.debugImagePullPolicy]: text("debugContainer.image.pullPolicy"),
  [A.closeWaitTimeout]: (v, c) => {
    const ns = parseGoDuration(v);
    if (ns === undefined || ns < 0) c.warn(`unable to parse ${c.key} "${v}" as a duration`);
    else c.set("proxyInit.closeWaitTimeoutSecs", Math.trunc(ns / 1e9));
  },
  [A.enableGateway]: bool("proxy.isGateway"),
  [A.waitBeforeExit]: (v, c) => {
    const n = parseInt64(v);
    if (n === undefined || n < 0) c.warn(`unable to parse ${c.key} "${v}" as a non-negative integer`);
    else c.set("proxy.waitBeforeExitSeconds", n);
  },
};

/**
 * The annotations not applied one by one from `SETTERS`: the native-sidecar keys (one of them is chosen in
 * `nativeSidecar`), the additional env (only checked here: its layers are merged in `mergeAdditionalEnv`) and
 * pod-inbound-ports (read by Linkerd, then overwritten: any value goes).
 */
const OTHER_SETTERS: Readonly<Record<string, Setter>> = {
  [A.nativeSidecar]: bool("proxy.nativeSidecar"),
  [A.nativeSidecarBeta]: bool("proxy.nativeSidecar"),
  [A.nativeSidecarAlpha]: bool("proxy.nativeSidecar"),
  [A.additionalEnv]: (v, c) => void parseAdditionalEnv(v, c),
  [A.podInboundPorts]: () => undefined,
};

/**
 * Whether the injector would use `value` for the override annotation `key` (spec §2.2): the same setters that apply
 * the annotation decide, and a value is valid when they give no warning. Annotations taken as free text (images, log
 * levels, port lists) accept any value; keys the injector does not read accept none. `podSpec` names the container
 * ports that `opaque-ports` may refer to.
 *
 * @example
 * isValidProxyAnnotationValue("config.linkerd.io/proxy-cpu-limit", "1500m") // true
 * isValidProxyAnnotationValue("config.linkerd.io/admin-port", "http") // false
 */
export function isValidProxyAnnotationValue(key: string, value: string, podSpec: JsonObject = {}): boolean {
  const check = Object.hasOwn(SETTERS, key) ? SETTERS[key] : Object.hasOwn(OTHER_SETTERS, key) ? OTHER_SETTERS[key] : undefined;
  if (check === undefined) return false;
  let valid = true;
  check(value, {
    set: () => undefined,
    key,
    podSpec,
    debug: { enabled: false },
    warn: () => {
      valid = false;
    },
  });
  return valid;
}

/** The stable key wins over the deprecated beta and alpha ones (spec §2.2). */
function nativeSidecar(annotations: Readonly<Record<string, string>>, c: OverrideContext): void {
  const key = [A.nativeSidecar, A.nativeSidecarBeta, A.nativeSidecarAlpha].find((k) => annotations[k] !== undefined);
  if (key === undefined) return;
  (OTHER_SETTERS[key] as Setter)(annotations[key] as string, { ...c, key });
}

/**
 * Resolves an opaque-ports list (spec §3.6): named container ports become their numbers, ranges stay as written,
 * invalid tokens are dropped with a warning.
 */
export function resolveOpaquePorts(list: string, podSpec: JsonObject, warn: (message: string) => void): string {
  const named = new Map<string, number>();
  for (const c of [...objects(podSpec["initContainers"]), ...objects(podSpec["containers"])]) {
    for (const p of objects(c["ports"])) {
      if (typeof p["name"] === "string" && typeof p["containerPort"] === "number") named.set(p["name"], p["containerPort"]);
    }
  }
  const out: string[] = [];
  const trimmed = list.endsWith(",") ? list.slice(0, -1) : list;
  for (const raw of trimmed.split(",")) {
    const token = raw.trim();
    const port = named.get(token);
    if (port !== undefined) {
      out.push(String(port));
      continue;
    }
    const range = parsePortRange(token);
    if (!range) {
      warn(`invalid port "${token}" in ${A.opaquePorts}, ignored`);
      continue;
    }
    out.push(range.lower === range.upper ? String(range.lower) : `${range.lower}-${range.upper}`);
  }
  return out.join(",");
}

/** `proxy-additional-env` layers merged by env-var name: values < namespace < workload (spec §1.7). */
function mergeAdditionalEnv(values: JsonObject, layers: readonly string[], c: OverrideContext): void {
  const proxy = values["proxy"] as JsonObject;
  const merged = new Map<string, JsonObject>();
  for (const e of objects(proxy["additionalEnv"])) merged.set(str(e["name"]), e);
  for (const layer of layers) {
    const parsed = parseAdditionalEnv(layer, c);
    if (parsed !== undefined) for (const e of parsed) merged.set(e["name"] as string, e);
  }
  c.set("proxy.additionalEnv", [...merged.values()]);
}

/** One `proxy-additional-env` layer: a JSON list of env vars with names; anything else is a warning. */
function parseAdditionalEnv(layer: string, c: Pick<OverrideContext, "key" | "warn">): JsonObject[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(layer);
  } catch {
    c.warn(`${c.key} is not valid JSON, ignored`);
    return undefined;
  }
  if (!Array.isArray(parsed) || !parsed.every((e) => isObject(e) && typeof e["name"] === "string")) {
    c.warn(`${c.key} must be a JSON list of environment variables, ignored`);
    return undefined;
  }
  return parsed as JsonObject[];
}
