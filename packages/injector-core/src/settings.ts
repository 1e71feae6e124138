/**
 * Every Linkerd proxy setting the injector knows, once: where it lives in the values, the annotation a workload
 * overrides it with (and that annotation's old spellings), how the annotation's text is read, how a changed value is
 * written back as an annotation by the CLI, its CLI flags, whether a pod inherits it from its Namespace, and whether
 * it labels the webhook's metrics. Everything else is derived from this table: the annotation parsing
 * (`applyOverrides`), the override annotations (`overrideAnnotations`), the inherited list, `PROXY_ANNOTATIONS`, and
 * the CLI's proxy flags. Adding a Linkerd setting is one entry here (and a golden case showing it).
 */
import { DEFAULT_INBOUND_POLICIES, INJECT_ANNOTATION } from "./annotations.js";
import {
  cpuCores,
  formatGoDuration,
  parseGoBool,
  parseGoDuration,
  parseInt32,
  parseInt64,
  parsePortRange,
  parseQuantity,
} from "./parse.js";
import type { JsonObject, JsonValue, ValuePath } from "./types.js";
import { objects } from "./workload.js";

/** One change to the values. */
export interface ValueChange {
  path: ValuePath;
  value: JsonValue;
}

/** An annotation's or a flag's text, read: the value, or why it cannot be used. */
export type Parsed = { ok: true; value: JsonValue; warnings?: readonly string[] } | { ok: false; message: string };

export interface ParseContext {
  /** The pod spec, for settings that name its ports (opaque ports). */
  podSpec: JsonObject;
}

/** A value as a command-line flag gives it. */
export type FlagInput = string | number | boolean;

export type FlagOutcome =
  | { ok: true; changes: readonly ValueChange[]; annotations?: Readonly<Record<string, string>> }
  | { ok: false; message: string };

/** A `linkerd inject` flag (spec §5.1). */
export interface Flag {
  /** Long name, as typed: `proxy-cpu-request`. */
  readonly name: string;
  readonly alias?: string;
  /** `list` flags repeat or take commas (`--skip-inbound-ports 22,8100-8102 --skip-inbound-ports 9000`). */
  readonly type: "string" | "integer" | "boolean" | "list";
  readonly describe: string;
  readonly choices?: readonly string[];
  readonly hidden?: boolean;
  readonly deprecated?: string;
  /** What the flag's value does: values it changes, or (for settings that exist only as annotations) annotations. */
  readonly apply: (value: FlagInput, read: (path: ValuePath) => JsonValue | undefined) => FlagOutcome;
}

/** A flag as an entry declares it: how its text becomes the setting's value, or what else it changes. */
interface FlagSpec extends Omit<Flag, "apply"> {
  /** The flag's text → the setting's value, checked as Linkerd's flag parsing checks it. */
  readonly parse?: (value: FlagInput) => Parsed;
  /** For a flag that changes more than its setting (`--registry`, `--image-pull-policy`). */
  readonly apply?: Flag["apply"];
}

/** An old spelling of an annotation, read when the current one is absent. */
interface Spelling {
  readonly name: string;
  readonly inherited: boolean;
}

export interface Setting {
  /** Where the setting lives in the values; null for the debug sidecar, which only its annotation turns on. */
  readonly path: ValuePath | null;
  /** The annotation a workload overrides the setting with (spec §2.2). */
  readonly annotation: string;
  /** Old spellings, in order of precedence after the current one (spec §2.2: the stable key wins). */
  readonly legacy: readonly Spelling[];
  /** Whether a pod inherits the annotation from its Namespace in the webhook (spec §1.7). */
  readonly inherited: boolean;
  /** Whether the annotation labels the webhook's admission metrics (spec §6.6: Linkerd's `ProxyAnnotations`). */
  readonly metricLabel: boolean;
  /** The annotation's text → the value; absent when the annotation has no effect of its own (see the entry). */
  readonly parse?: (text: string, context: ParseContext) => Parsed;
  /** Values the setting drives besides its own. */
  readonly drives?: (value: JsonValue) => readonly ValueChange[];
  /**
   * The annotation text that records a changed value, when Linkerd's CLI records this setting's flags as annotations
   * (spec §5.5, `getOverrideAnnotations`); `undefined` records nothing.
   */
  readonly record?: (value: JsonValue) => string | undefined;
  readonly flags: readonly Flag[];
  /**
   * Whether the setting's flags write its annotation (their parsed text) rather than a value: Linkerd's CLI has no
   * value for them (`--enable-debug-sidecar`, `--close-wait-timeout`).
   */
  readonly flagsWriteAnnotation: boolean;
}

interface SettingSpec extends Omit<Setting, "legacy" | "flags" | "flagsWriteAnnotation"> {
  readonly legacy?: readonly Spelling[];
  readonly flags?: readonly FlagSpec[];
  readonly flagsWriteAnnotation?: boolean;
}

const C = "config.linkerd.io/";

// Annotation parsers. A value that does not parse is a warning, and the configured value stays (spec §2.2).

const ok = (value: JsonValue, warnings?: readonly string[]): Parsed =>
  warnings === undefined || warnings.length === 0 ? { ok: true, value } : { ok: true, value, warnings };
const bad = (message: string): Parsed => ({ ok: false, message });

const text = (v: string): Parsed => ok(v);

const parsedWith =
  <T extends JsonValue>(parse: (text: string) => T | undefined, what: string) =>
  (v: string): Parsed => {
    const value = parse(v);
    return value === undefined ? bad(`unable to parse "${v}" as ${what}`) : ok(value);
  };

const int32 = parsedWith(parseInt32, "a 32-bit integer");
const int64 = parsedWith(parseInt64, "an integer");
const bool = parsedWith(parseGoBool, "a boolean");

function enabledDisabled(v: string): Parsed {
  if (v === "enabled") return ok(true);
  if (v === "disabled") return ok(false);
  return bad(`unrecognized value "${v}": expected "enabled" or "disabled"`);
}

/**
 * The quantity is written as it was validated, trimmed: the API server would accept `" 2 "` in a pod, but the proxy's
 * resources and the cores derived from them must be what was checked.
 */
function quantity(v: string): Parsed {
  return parseQuantity(v) === undefined ? bad(`unable to parse "${v}" as a quantity`) : ok(v.trim());
}

/** A CPU quantity must also give a whole number of cores the proxy can run as worker threads. */
function cpuQuantity(v: string): Parsed {
  const parsed = quantity(v);
  if (parsed.ok && cpuCores(v) === undefined) return bad(`"${v}" is more CPU cores than the proxy can be given`);
  return parsed;
}

/** Durations are handed to the proxy in whole milliseconds or seconds (spec §2.2). */
const duration =
  (unit: "ms" | "s") =>
  (v: string): Parsed => {
    const ns = parseGoDuration(v);
    if (ns === undefined) return bad(`unable to parse "${v}" as a duration`);
    return ok(unit === "ms" ? `${Math.trunc(ns / 1e6)}ms` : `${Math.trunc(ns / 1e9)}s`);
  };

/**
 * The proxy's worker threads follow its CPU resources, in whole cores rounded up (spec §2.2): a CPU request sets
 * the minimum, a limit the maximum, whether it comes from an annotation or a flag.
 */
const workers =
  (path: "proxy.runtime.workers.minimum" | "proxy.runtime.workers.maximum") =>
  (value: JsonValue): readonly ValueChange[] => {
    // The parsers let through only CPU quantities whose cores are a safe integer.
    const cores = typeof value === "string" ? cpuCores(value) : undefined;
    return cores === undefined ? [] : [{ path, value: cores }];
  };

/**
 * Resolves an opaque-ports list (spec §3.6): named container ports become their numbers, ranges stay as written,
 * invalid tokens are dropped with a warning.
 */
function opaquePorts(list: string, c: ParseContext): Parsed {
  const named = new Map<string, number>();
  for (const container of [...objects(c.podSpec["initContainers"]), ...objects(c.podSpec["containers"])]) {
    for (const p of objects(container["ports"])) {
      if (typeof p["name"] === "string" && typeof p["containerPort"] === "number")
        named.set(p["name"], p["containerPort"]);
    }
  }
  const out: string[] = [];
  const warnings: string[] = [];
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
      warnings.push(`invalid port "${token}", ignored`);
      continue;
    }
    out.push(range.lower === range.upper ? String(range.lower) : `${range.lower}-${range.upper}`);
  }
  return ok(out.join(","), warnings);
}

// How a changed value is written back as an annotation (spec §5.5).

/** A value as annotation text: numbers in full (`1000000`, not `1e+06`), booleans as `true` / `false`. */
function plain(v: JsonValue): string {
  if (typeof v === "string") return v;
  if (typeof v === "number") return Number.isInteger(v) ? v.toFixed(0) : String(v);
  return typeof v === "boolean" ? String(v) : JSON.stringify(v);
}

// Flag parsers, with the CLI's messages.

const flagText = (v: FlagInput): Parsed => ok(String(v));
const flagBool = (v: FlagInput): Parsed => ok(v === true);

function flagPort(v: FlagInput): Parsed {
  const number = Number(v);
  if (!Number.isInteger(number) || number < 0 || number > 65535)
    return bad(`must be a port number (0-65535), got "${v}"`);
  return ok(number);
}

/**
 * A comma-separated list of ports and inclusive port ranges (`22,8100-8102`), checked as Linkerd's
 * `validateRangeSlice` checks the skip-ports flags: otherwise the bad token reaches linkerd-init's arguments.
 */
function flagPortRanges(v: FlagInput): Parsed {
  const text = String(v);
  if (text === "") return ok(text);
  for (const token of text.split(",")) {
    if (parsePortRange(token.trim()) === undefined) {
      return bad(`"${token}" is not a port (0-65535) or a port range (lower-upper, e.g. 8100-8102)`);
    }
  }
  return ok(text);
}

/** A user or group ID the pod's securityContext can hold (Kubernetes allows 0 to 2^31-1); `-1` where it means none. */
const flagId =
  (what: "user" | "group") =>
  (v: FlagInput): Parsed => {
    const number = Number(v);
    const minimum = what === "group" ? -1 : 0;
    if (!Number.isSafeInteger(number) || number < minimum || number > 2 ** 31 - 1) {
      const none = what === "group" ? ", or -1 for none" : "";
      return bad(`must be a ${what} ID, an integer from 0 to 2147483647${none}; got "${v}"`);
    }
    return ok(number);
  };

const flagInteger =
  (minimum: number) =>
  (v: FlagInput): Parsed => {
    const number = Number(v);
    if (!Number.isSafeInteger(number) || number < minimum)
      return bad(`must be an integer${minimum === 0 ? " >= 0" : ""}, got "${v}"`);
    return ok(number);
  };

function flagQuantity(v: FlagInput): Parsed {
  // Written as validated: the parser ignores surrounding spaces, the pod must not carry them.
  const quantityText = String(v).trim();
  if (parseQuantity(quantityText) === undefined)
    return bad(`"${v}" is not a Kubernetes quantity (e.g. 100m, 0.5, 64Mi)`);
  return ok(quantityText);
}

function flagCpuQuantity(v: FlagInput): Parsed {
  const parsed = flagQuantity(v);
  if (parsed.ok && cpuCores(String(v).trim()) === undefined)
    return bad(`"${v}" is more CPU cores than the proxy can be given`);
  return parsed;
}

/** `<registry>/<last path segment of the image>`, as Linkerd's `registryOverride`. */
export function registryOverride(image: string, registry: string): string {
  const name = image.slice(image.lastIndexOf("/") + 1);
  return registry === "" ? name : `${registry.replace(/\/+$/, "")}/${name}`;
}

const PULL_POLICIES = ["Always", "IfNotPresent", "Never"] as const;

const SPECS = {
  adminPort: {
    path: "proxy.ports.admin",
    annotation: `${C}admin-port`,
    inherited: true,
    metricLabel: true,
    parse: int32,
    record: plain,
    flags: [{ name: "admin-port", type: "integer", describe: "Proxy port for metrics and probes", parse: flagPort }],
  },
  controlPort: {
    path: "proxy.ports.control",
    annotation: `${C}control-port`,
    inherited: true,
    metricLabel: true,
    parse: int32,
    record: plain,
    flags: [{ name: "control-port", type: "integer", describe: "Proxy port for control", parse: flagPort }],
  },
  debugSidecar: {
    path: null,
    annotation: `${C}enable-debug-sidecar`,
    inherited: true,
    metricLabel: true,
    parse: bool,
    flagsWriteAnnotation: true,
    flags: [
      {
        name: "enable-debug-sidecar",
        type: "boolean",
        describe: "Add the linkerd-debug container",
        // Only `true` is written: without the flag there is no annotation.
        parse: (v) => ok(v === true ? "true" : null),
      },
    ],
  },
  externalProfiles: {
    path: "proxy.enableExternalProfiles",
    annotation: `${C}enable-external-profiles`,
    inherited: true,
    metricLabel: true,
    parse: bool,
    record: plain,
    flags: [
      {
        name: "enable-external-profiles",
        type: "boolean",
        describe: "Enable service profiles for non-Kubernetes services",
        parse: flagBool,
      },
    ],
  },
  imagePullPolicy: {
    path: "proxy.image.pullPolicy",
    annotation: `${C}image-pull-policy`,
    inherited: true,
    metricLabel: true,
    parse: text,
    record: plain,
    flags: [
      {
        name: "image-pull-policy",
        type: "string",
        describe: "Pull policy of the proxy, init and debug images",
        choices: PULL_POLICIES,
        apply: (v) => ({
          ok: true,
          changes: [
            { path: "imagePullPolicy", value: String(v) },
            { path: "proxy.image.pullPolicy", value: String(v) },
            { path: "debugContainer.image.pullPolicy", value: String(v) },
          ],
        }),
      },
    ],
  },
  inboundPort: {
    path: "proxy.ports.inbound",
    annotation: `${C}inbound-port`,
    inherited: true,
    metricLabel: true,
    parse: int32,
    record: plain,
    flags: [{ name: "inbound-port", type: "integer", describe: "Proxy port for inbound traffic", parse: flagPort }],
  },
  outboundPort: {
    path: "proxy.ports.outbound",
    annotation: `${C}outbound-port`,
    inherited: true,
    metricLabel: true,
    parse: int32,
    record: plain,
    flags: [{ name: "outbound-port", type: "integer", describe: "Proxy port for outbound traffic", parse: flagPort }],
  },
  // Linkerd parses it, then overwrites it with the ports computed from the pod (spec §3.5.1): no effect of its own.
  podInboundPorts: {
    path: "proxy.podInboundPorts",
    annotation: `${C}pod-inbound-ports`,
    inherited: true,
    metricLabel: true,
  },
  cpuLimit: {
    path: "proxy.resources.cpu.limit",
    annotation: `${C}proxy-cpu-limit`,
    inherited: true,
    metricLabel: true,
    parse: cpuQuantity,
    drives: workers("proxy.runtime.workers.maximum"),
    record: plain,
    flags: [
      {
        name: "proxy-cpu-limit",
        type: "string",
        describe: "CPU limit of the proxy (also its maximum worker threads, in whole cores)",
        parse: flagCpuQuantity,
      },
    ],
  },
  cpuRequest: {
    path: "proxy.resources.cpu.request",
    annotation: `${C}proxy-cpu-request`,
    inherited: true,
    metricLabel: true,
    parse: cpuQuantity,
    drives: workers("proxy.runtime.workers.minimum"),
    record: plain,
    flags: [
      {
        name: "proxy-cpu-request",
        type: "string",
        describe: "CPU the proxy requests (also its minimum worker threads, in whole cores)",
        parse: flagCpuQuantity,
      },
      {
        name: "proxy-cpu",
        type: "string",
        describe: "CPU the proxy requests",
        hidden: true,
        deprecated: "use --proxy-cpu-request instead",
        parse: flagCpuQuantity,
      },
    ],
  },
  proxyImage: {
    path: "proxy.image.name",
    annotation: `${C}proxy-image`,
    inherited: true,
    metricLabel: true,
    parse: text,
    record: plain,
    flags: [
      { name: "proxy-image", type: "string", describe: "Linkerd proxy image name (without tag)", parse: flagText },
      // After --proxy-image, so that it rewrites the image given there (Linkerd's order).
      {
        name: "registry",
        type: "string",
        describe: "Registry to pull the proxy and debug images from (replaces all but the image's last path segment)",
        apply: (v, read) => ({
          ok: true,
          changes: [
            { path: "proxy.image.name", value: registryOverride(String(read("proxy.image.name") ?? ""), String(v)) },
            {
              path: "debugContainer.image.name",
              value: registryOverride(String(read("debugContainer.image.name") ?? ""), String(v)),
            },
          ],
        }),
      },
    ],
  },
  adminShutdown: {
    path: "proxy.enableShutdownEndpoint",
    annotation: `${C}proxy-admin-shutdown`,
    inherited: true,
    metricLabel: true,
    parse: enabledDisabled,
  },
  logFormat: {
    path: "proxy.logFormat",
    annotation: `${C}proxy-log-format`,
    inherited: true,
    metricLabel: true,
    parse: text,
    record: plain,
    flags: [
      { name: "proxy-log-format", type: "string", describe: "Log format of the proxy: plain or json", parse: flagText },
    ],
  },
  logLevel: {
    path: "proxy.logLevel",
    annotation: `${C}proxy-log-level`,
    inherited: true,
    metricLabel: true,
    parse: text,
    record: plain,
    flags: [
      {
        name: "proxy-log-level",
        type: "string",
        describe: "Log filter of the proxy (e.g. warn,linkerd=info)",
        parse: (v) => (String(v) === "" ? bad("must not be empty") : ok(String(v))),
      },
    ],
  },
  // Checked when rendering: Linkerd fails the injection on any other value than off or insecure (spec §2.2).
  logHttpHeaders: {
    path: "proxy.logHTTPHeaders",
    annotation: `${C}proxy-log-http-headers`,
    inherited: true,
    metricLabel: true,
    parse: text,
  },
  memoryLimit: {
    path: "proxy.resources.memory.limit",
    annotation: `${C}proxy-memory-limit`,
    inherited: true,
    metricLabel: true,
    parse: quantity,
    record: plain,
    flags: [{ name: "proxy-memory-limit", type: "string", describe: "Memory limit of the proxy", parse: flagQuantity }],
  },
  memoryRequest: {
    path: "proxy.resources.memory.request",
    annotation: `${C}proxy-memory-request`,
    inherited: true,
    metricLabel: true,
    parse: quantity,
    record: plain,
    flags: [
      { name: "proxy-memory-request", type: "string", describe: "Memory the proxy requests", parse: flagQuantity },
      {
        name: "proxy-memory",
        type: "string",
        describe: "Memory the proxy requests",
        hidden: true,
        deprecated: "use --proxy-memory-request instead",
        parse: flagQuantity,
      },
    ],
  },
  ephemeralLimit: {
    path: "proxy.resources.ephemeral-storage.limit",
    annotation: `${C}proxy-ephemeral-storage-limit`,
    inherited: true,
    metricLabel: true,
    parse: quantity,
  },
  ephemeralRequest: {
    path: "proxy.resources.ephemeral-storage.request",
    annotation: `${C}proxy-ephemeral-storage-request`,
    inherited: true,
    metricLabel: true,
    parse: quantity,
  },
  uid: {
    path: "proxy.uid",
    annotation: `${C}proxy-uid`,
    inherited: true,
    metricLabel: true,
    parse: int64,
    record: plain,
    flags: [
      { name: "proxy-uid", type: "integer", describe: "Run the proxy under this user ID", parse: flagId("user") },
    ],
  },
  gid: {
    path: "proxy.gid",
    annotation: `${C}proxy-gid`,
    inherited: true,
    metricLabel: true,
    parse: int64,
    // A negative group ID means "none" (spec §5.5): nothing to record.
    record: (v) => (typeof v === "number" && v >= 0 ? String(v) : undefined),
    flags: [
      { name: "proxy-gid", type: "integer", describe: "Run the proxy under this group ID", parse: flagId("group") },
    ],
  },
  proxyVersion: {
    path: "proxy.image.version",
    annotation: `${C}proxy-version`,
    inherited: true,
    metricLabel: true,
    parse: text,
    record: plain,
    flags: [
      {
        name: "proxy-version",
        alias: "v",
        type: "string",
        describe: "Tag of the Linkerd proxy image",
        hidden: true,
        deprecated: "use --set proxy.image.version=VERSION instead",
        parse: flagText,
      },
    ],
  },
  requireIdentity: {
    path: "proxy.requireIdentityOnInboundPorts",
    annotation: `${C}proxy-require-identity-inbound-ports`,
    inherited: true,
    metricLabel: true,
    parse: text,
    record: plain,
    flags: [
      {
        name: "require-identity-on-inbound-ports",
        type: "list",
        describe: "Inbound ports on which the proxy requires a client identity",
        parse: flagPortRanges,
      },
    ],
  },
  skipInboundPorts: {
    path: "proxyInit.ignoreInboundPorts",
    annotation: `${C}skip-inbound-ports`,
    inherited: true,
    metricLabel: true,
    parse: text,
    record: plain,
    flags: [
      {
        name: "skip-inbound-ports",
        type: "list",
        describe: "Ports and port ranges (inclusive) that bypass the proxy on the way in",
        parse: flagPortRanges,
      },
    ],
  },
  opaquePorts: {
    path: "proxy.opaquePorts",
    annotation: `${C}opaque-ports`,
    inherited: true,
    metricLabel: true,
    parse: opaquePorts,
    record: plain,
    flags: [
      {
        name: "opaque-ports",
        type: "list",
        describe: "Ports (or ranges, or named container ports) on which protocol detection is skipped",
        parse: flagText,
      },
    ],
  },
  skipOutboundPorts: {
    path: "proxyInit.ignoreOutboundPorts",
    annotation: `${C}skip-outbound-ports`,
    inherited: true,
    metricLabel: true,
    parse: text,
    record: plain,
    flags: [
      {
        name: "skip-outbound-ports",
        type: "list",
        describe: "Ports and port ranges (inclusive) that bypass the proxy on the way out",
        parse: flagPortRanges,
      },
    ],
  },
  hostnameLabels: {
    path: "proxy.metrics.hostnameLabels",
    annotation: `${C}proxy-metrics-hostname-labels`,
    inherited: true,
    metricLabel: true,
    parse: bool,
    record: plain,
  },
  outboundConnectTimeout: {
    path: "proxy.outboundConnectTimeout",
    annotation: `${C}proxy-outbound-connect-timeout`,
    inherited: true,
    metricLabel: true,
    parse: duration("ms"),
  },
  inboundConnectTimeout: {
    path: "proxy.inboundConnectTimeout",
    annotation: `${C}proxy-inbound-connect-timeout`,
    inherited: true,
    metricLabel: true,
    parse: duration("ms"),
  },
  await: {
    path: "proxy.await",
    annotation: `${C}proxy-await`,
    inherited: true,
    metricLabel: true,
    parse: enabledDisabled,
    record: (v) => (typeof v === "boolean" ? (v ? "enabled" : "disabled") : undefined),
  },
  defaultInboundPolicy: {
    path: "proxy.defaultInboundPolicy",
    annotation: `${C}default-inbound-policy`,
    inherited: true,
    metricLabel: true,
    parse: (v) =>
      DEFAULT_INBOUND_POLICIES.includes(v)
        ? ok(v)
        : bad(`unrecognized value "${v}": expected one of ${DEFAULT_INBOUND_POLICIES.join(", ")}`),
    record: plain,
    flags: [
      {
        name: "default-inbound-policy",
        type: "string",
        describe: "Inbound policy of the proxy when no Server selects a port",
        choices: DEFAULT_INBOUND_POLICIES,
        parse: flagText,
      },
    ],
  },
  skipSubnets: {
    path: "proxyInit.skipSubnets",
    annotation: `${C}skip-subnets`,
    inherited: true,
    metricLabel: true,
    parse: text,
  },
  accessLog: {
    path: "proxy.accessLog",
    annotation: `${C}access-log`,
    inherited: true,
    metricLabel: true,
    parse: text,
    record: plain,
  },
  shutdownGracePeriod: {
    path: "proxy.shutdownGracePeriod",
    annotation: `${C}shutdown-grace-period`,
    inherited: true,
    metricLabel: true,
    parse: duration("ms"),
    record: plain,
  },
  outboundDiscoveryTimeout: {
    path: "proxy.outboundDiscoveryCacheUnusedTimeout",
    annotation: `${C}proxy-outbound-discovery-cache-unused-timeout`,
    inherited: true,
    metricLabel: true,
    parse: duration("s"),
  },
  inboundDiscoveryTimeout: {
    path: "proxy.inboundDiscoveryCacheUnusedTimeout",
    annotation: `${C}proxy-inbound-discovery-cache-unused-timeout`,
    inherited: true,
    metricLabel: true,
    parse: duration("s"),
  },
  disableOutboundDetect: {
    path: "proxy.disableOutboundProtocolDetectTimeout",
    annotation: `${C}proxy-disable-outbound-protocol-detect-timeout`,
    inherited: true,
    metricLabel: true,
    parse: bool,
  },
  disableInboundDetect: {
    path: "proxy.disableInboundProtocolDetectTimeout",
    annotation: `${C}proxy-disable-inbound-protocol-detect-timeout`,
    inherited: true,
    metricLabel: true,
    parse: bool,
  },
  nativeSidecar: {
    path: "proxy.nativeSidecar",
    annotation: `${C}proxy-enable-native-sidecar`,
    legacy: [
      { name: "config.beta.linkerd.io/proxy-enable-native-sidecar", inherited: false },
      { name: "config.alpha.linkerd.io/proxy-enable-native-sidecar", inherited: true },
    ],
    inherited: true,
    metricLabel: true,
    parse: bool,
    record: plain,
    flags: [
      {
        name: "native-sidecar",
        type: "boolean",
        describe: "Run the proxy as a native sidecar (an init container that keeps running)",
        parse: flagBool,
      },
    ],
  },
  // Merged by environment variable name, values < namespace < workload, rather than replaced (spec §1.7).
  additionalEnv: {
    path: "proxy.additionalEnv",
    annotation: `${C}proxy-additional-env`,
    inherited: true,
    metricLabel: true,
  },
  cpuRatioLimit: {
    path: "proxy.runtime.workers.maximumCPURatio",
    annotation: `${C}proxy-cpu-ratio-limit`,
    inherited: false,
    metricLabel: false,
    parse: (v) => {
      const n = Number(v);
      if (v.trim() === "" || !Number.isFinite(n) || n <= 0 || n >= 1)
        return bad(`"${v}" must be a number strictly between 0 and 1`);
      return ok(n);
    },
  },
  debugImage: {
    path: "debugContainer.image.name",
    annotation: `${C}debug-image`,
    inherited: false,
    metricLabel: false,
    parse: text,
    record: plain,
  },
  debugImageVersion: {
    path: "debugContainer.image.version",
    annotation: `${C}debug-image-version`,
    inherited: false,
    metricLabel: false,
    parse: text,
    record: plain,
  },
  debugImagePullPolicy: {
    path: "debugContainer.image.pullPolicy",
    annotation: `${C}debug-image-pull-policy`,
    inherited: false,
    metricLabel: false,
    parse: text,
  },
  closeWaitTimeout: {
    path: "proxyInit.closeWaitTimeoutSecs",
    annotation: `${C}close-wait-timeout`,
    inherited: false,
    metricLabel: false,
    parse: (v) => {
      const ns = parseGoDuration(v);
      return ns === undefined || ns < 0 ? bad(`unable to parse "${v}" as a duration`) : ok(Math.trunc(ns / 1e9));
    },
    flagsWriteAnnotation: true,
    flags: [
      {
        name: "close-wait-timeout",
        type: "string",
        describe: "Go duration for the kernel's nf_conntrack_tcp_timeout_close_wait (e.g. 1m)",
        // The annotation holds the duration's Go string form: `90s` is written `1m30s` (spec §2.1).
        parse: (v) => {
          const ns = parseGoDuration(String(v));
          return ns === undefined ? bad(`"${v}" is not a Go duration (e.g. 90s, 1m30s, 2h)`) : ok(formatGoDuration(ns));
        },
      },
    ],
  },
  enableGateway: {
    path: "proxy.isGateway",
    annotation: `${C}enable-gateway`,
    inherited: false,
    metricLabel: false,
    parse: bool,
  },
  waitBeforeExit: {
    path: "proxy.waitBeforeExitSeconds",
    annotation: "config.alpha.linkerd.io/proxy-wait-before-exit-seconds",
    inherited: true,
    metricLabel: false,
    parse: (v) => {
      const n = parseInt64(v);
      return n === undefined || n < 0 ? bad(`unable to parse "${v}" as a non-negative integer`) : ok(n);
    },
    record: plain,
    flags: [
      {
        name: "wait-before-exit-seconds",
        type: "integer",
        describe: "Seconds the proxy stays alive after its pod starts terminating (legacy, non-native sidecars only)",
        parse: flagInteger(0),
      },
    ],
  },
  // Ingress mode is `linkerd.io/inject: ingress`, which the injection decision reads (spec §1.3), not an override.
  ingress: {
    path: "proxy.isIngress",
    annotation: INJECT_ANNOTATION,
    inherited: true,
    metricLabel: false,
    record: (v) => (v === true ? "ingress" : undefined),
    flags: [{ name: "ingress", type: "boolean", describe: "Run the proxy in ingress mode", parse: flagBool }],
  },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SPECS;

/**
 * The registry, in Linkerd's order of `ProxyAnnotations` (which the webhook's metric labels keep), then the settings
 * outside that list.
 *
 * @example
 * SETTINGS.adminPort.annotation // "config.linkerd.io/admin-port"
 * SETTINGS.adminPort.path       // "proxy.ports.admin"
 */
export const SETTINGS: { readonly [K in SettingName]: Setting } = Object.freeze(
  Object.fromEntries(Object.entries(SPECS).map(([name, spec]) => [name, buildSetting(spec)])) as {
    [K in SettingName]: Setting;
  },
);

function buildSetting(spec: SettingSpec): Setting {
  const { flags = [], legacy = [], flagsWriteAnnotation = false, ...rest } = spec;
  const setting: Setting = { ...rest, legacy, flagsWriteAnnotation, flags: [] };
  return Object.freeze({ ...setting, flags: flags.map((flag) => buildFlag(flag, setting)) });
}

function buildFlag(spec: FlagSpec, setting: Setting): Flag {
  const { parse, apply, ...declared } = spec;
  if (apply !== undefined) return { ...declared, apply };
  if (parse === undefined) throw new Error(`ERR_SETTINGS: flag --${spec.name} needs parse or apply`);
  return {
    ...declared,
    apply: (input) => {
      const parsed = parse(input);
      if (!parsed.ok) return parsed;
      if (!setting.flagsWriteAnnotation) return { ok: true, changes: settingChanges(setting, parsed.value) };
      const annotations = typeof parsed.value === "string" ? { [setting.annotation]: parsed.value } : {};
      return { ok: true, changes: [], annotations };
    },
  };
}

/** The values a setting's new value changes: its own, and those it drives. */
export function settingChanges(setting: Setting, value: JsonValue): ValueChange[] {
  const own: ValueChange[] = setting.path === null ? [] : [{ path: setting.path, value }];
  return [...own, ...(setting.drives?.(value) ?? [])];
}

const ALL: readonly Setting[] = Object.values(SETTINGS);

/** Each setting's annotation, by setting name. */
export const A: { readonly [K in SettingName]: string } = Object.freeze(
  Object.fromEntries(Object.entries(SETTINGS).map(([name, setting]) => [name, setting.annotation])) as {
    [K in SettingName]: string;
  },
);

/**
 * Linkerd's `ProxyAnnotations`: they label the webhook's metrics (spec §6.6), in Linkerd's order.
 *
 * @example
 * PROXY_ANNOTATIONS[0] // "config.linkerd.io/admin-port"
 */
export const PROXY_ANNOTATIONS: readonly string[] = Object.freeze(
  ALL.filter((s) => s.metricLabel).map((s) => s.annotation),
);

/** Annotations a pod inherits from its Namespace in the webhook, when it does not carry them (spec §1.7). */
export const NAMESPACE_INHERITED: readonly string[] = Object.freeze(
  ALL.flatMap((s) => [
    ...(s.inherited ? [s.annotation] : []),
    ...s.legacy.filter((l) => l.inherited).map((l) => l.name),
  ]),
);

/**
 * The annotations of settings whose CLI flags write the annotation rather than a value (`--enable-debug-sidecar`,
 * `--close-wait-timeout`): with `--manual` the CLI reads them as a workload's own.
 */
export const FLAG_ANNOTATIONS: readonly string[] = Object.freeze(
  ALL.filter((s) => s.flagsWriteAnnotation).map((s) => s.annotation),
);

/**
 * The CLI's flags, in the registry's order (which is also the order they apply in: `--registry` after
 * `--proxy-image`, a deprecated flag after the one it stands for).
 *
 * @example
 * const flag = PROXY_FLAGS.find((f) => f.name === "proxy-cpu-request");
 * flag?.apply("1500m", (path) => getValue(values, path));
 * // { ok: true, changes: [{ path: "proxy.resources.cpu.request", value: "1500m" },
 * //                       { path: "proxy.runtime.workers.minimum", value: 2 }] }
 */
export const PROXY_FLAGS: readonly Flag[] = Object.freeze(ALL.flatMap((s) => s.flags));

/** Settings by the annotation that overrides them, and by their old spellings. */
export const SETTING_BY_ANNOTATION: ReadonlyMap<string, Setting> = new Map(
  ALL.flatMap((s) => [[s.annotation, s] as const, ...s.legacy.map((l) => [l.name, s] as const)]),
);
