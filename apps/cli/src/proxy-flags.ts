/**
 * The proxy flags of `linkerd inject` (spec §5.1) as data: how each is declared on the command line and which
 * Linkerd values it changes. `cli.ts` registers them; `configuration.ts` applies the ones given, in this order
 * (Linkerd's order, which matters for `--registry` after `--proxy-image`).
 */
import { cpuCores, DEFAULT_INBOUND_POLICIES, parseQuantity } from "@l5d-injector/injector-core";
import type { JsonValue } from "@l5d-injector/injector-core";

/** One change to the values: `path` is a dotted Linkerd values path. */
export interface ValueChange {
  path: string;
  value: JsonValue;
}

export type FlagOutcome = { ok: true; changes: ValueChange[] } | { ok: false; message: string };

export interface ProxyFlag {
  /** Long name, as typed: `proxy-cpu-request`. */
  name: string;
  alias?: string;
  /** `list` flags repeat or take commas (`--skip-inbound-ports 22,8100-8102 --skip-inbound-ports 9000`). */
  type: "string" | "integer" | "boolean" | "list";
  describe: string;
  choices?: readonly string[];
  hidden?: boolean;
  deprecated?: string;
  /** The values the flag sets; `read` gives the values as configured so far. */
  apply(value: string | number | boolean, read: (path: string) => JsonValue | undefined): FlagOutcome;
}

const set = (...changes: ValueChange[]): FlagOutcome => ({ ok: true, changes });
const fail = (message: string): FlagOutcome => ({ ok: false, message });

function port(path: string) {
  return (value: string | number | boolean): FlagOutcome => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < 0 || number > 65535) return fail(`must be a port number (0-65535), got "${value}"`);
    return set({ path, value: number });
  };
}

function integer(path: string, minimum: number) {
  return (value: string | number | boolean): FlagOutcome => {
    const number = Number(value);
    if (!Number.isSafeInteger(number) || number < minimum) {
      return fail(`must be an integer${minimum === 0 ? " >= 0" : ""}, got "${value}"`);
    }
    return set({ path, value: number });
  };
}

function text(path: string) {
  return (value: string | number | boolean): FlagOutcome => set({ path, value: String(value) });
}

function flag(path: string) {
  return (value: string | number | boolean): FlagOutcome => set({ path, value: value === true });
}

function quantity(path: string, workersPath?: string) {
  return (value: string | number | boolean): FlagOutcome => {
    // Written as validated: the parser ignores surrounding spaces, the pod must not carry them.
    const text = String(value).trim();
    if (parseQuantity(text) === undefined) return fail(`"${value}" is not a Kubernetes quantity (e.g. 100m, 0.5, 64Mi)`);
    const changes: ValueChange[] = [{ path, value: text }];
    if (workersPath !== undefined) {
      // The proxy's worker threads follow its CPU resources, in whole cores rounded up (spec §2.2).
      const cores = cpuCores(text);
      if (cores === undefined) return fail(`"${value}" is more CPU cores than the proxy can be given`);
      changes.push({ path: workersPath, value: cores });
    }
    return set(...changes);
  };
}

/** `<registry>/<last path segment of the image>`, as Linkerd's `registryOverride`. */
export function registryOverride(image: string, registry: string): string {
  const name = image.slice(image.lastIndexOf("/") + 1);
  return registry === "" ? name : `${registry.replace(/\/+$/, "")}/${name}`;
}

/** Linkerd's default inbound policies, as the core validates them. */
export const INBOUND_POLICIES = DEFAULT_INBOUND_POLICIES;

export const PULL_POLICIES = ["Always", "IfNotPresent", "Never"] as const;

export const PROXY_FLAGS: readonly ProxyFlag[] = [
  {
    name: "proxy-version",
    alias: "v",
    type: "string",
    describe: "Tag of the Linkerd proxy image",
    apply: text("proxy.image.version"),
  },
  { name: "proxy-image", type: "string", describe: "Linkerd proxy image name (without tag)", apply: text("proxy.image.name") },
  {
    name: "registry",
    type: "string",
    describe: "Registry to pull the proxy and debug images from (replaces all but the image's last path segment)",
    apply: (value, read) =>
      set(
        { path: "proxy.image.name", value: registryOverride(String(read("proxy.image.name") ?? ""), String(value)) },
        {
          path: "debugContainer.image.name",
          value: registryOverride(String(read("debugContainer.image.name") ?? ""), String(value)),
        },
      ),
  },
  {
    name: "image-pull-policy",
    type: "string",
    describe: "Pull policy of the proxy, init and debug images",
    choices: PULL_POLICIES,
    apply: (value) =>
      set(
        { path: "imagePullPolicy", value: String(value) },
        { path: "proxy.image.pullPolicy", value: String(value) },
        { path: "debugContainer.image.pullPolicy", value: String(value) },
      ),
  },
  { name: "inbound-port", type: "integer", describe: "Proxy port for inbound traffic", apply: port("proxy.ports.inbound") },
  { name: "outbound-port", type: "integer", describe: "Proxy port for outbound traffic", apply: port("proxy.ports.outbound") },
  {
    name: "skip-inbound-ports",
    type: "list",
    describe: "Ports and port ranges (inclusive) that bypass the proxy on the way in",
    apply: text("proxyInit.ignoreInboundPorts"),
  },
  {
    name: "skip-outbound-ports",
    type: "list",
    describe: "Ports and port ranges (inclusive) that bypass the proxy on the way out",
    apply: text("proxyInit.ignoreOutboundPorts"),
  },
  { name: "proxy-uid", type: "integer", describe: "Run the proxy under this user ID", apply: integer("proxy.uid", -1) },
  { name: "proxy-gid", type: "integer", describe: "Run the proxy under this group ID", apply: integer("proxy.gid", -1) },
  {
    name: "proxy-log-level",
    type: "string",
    describe: "Log filter of the proxy (e.g. warn,linkerd=info)",
    apply: (value) => (String(value) === "" ? fail("must not be empty") : set({ path: "proxy.logLevel", value: String(value) })),
  },
  { name: "proxy-log-format", type: "string", describe: "Log format of the proxy: plain or json", apply: text("proxy.logFormat") },
  { name: "control-port", type: "integer", describe: "Proxy port for control", apply: port("proxy.ports.control") },
  { name: "admin-port", type: "integer", describe: "Proxy port for metrics and probes", apply: port("proxy.ports.admin") },
  {
    name: "proxy-cpu-request",
    type: "string",
    describe: "CPU the proxy requests (also its minimum worker threads, in whole cores)",
    apply: quantity("proxy.resources.cpu.request", "proxy.runtime.workers.minimum"),
  },
  {
    name: "proxy-memory-request",
    type: "string",
    describe: "Memory the proxy requests",
    apply: quantity("proxy.resources.memory.request"),
  },
  {
    name: "proxy-cpu-limit",
    type: "string",
    describe: "CPU limit of the proxy (also its maximum worker threads, in whole cores)",
    apply: quantity("proxy.resources.cpu.limit", "proxy.runtime.workers.maximum"),
  },
  {
    name: "proxy-memory-limit",
    type: "string",
    describe: "Memory limit of the proxy",
    apply: quantity("proxy.resources.memory.limit"),
  },
  {
    name: "enable-external-profiles",
    type: "boolean",
    describe: "Enable service profiles for non-Kubernetes services",
    apply: flag("proxy.enableExternalProfiles"),
  },
  {
    name: "default-inbound-policy",
    type: "string",
    describe: "Inbound policy of the proxy when no Server selects a port",
    choices: INBOUND_POLICIES,
    apply: text("proxy.defaultInboundPolicy"),
  },
  {
    name: "proxy-memory",
    type: "string",
    describe: "Memory the proxy requests",
    hidden: true,
    deprecated: "use --proxy-memory-request",
    apply: quantity("proxy.resources.memory.request"),
  },
  {
    name: "proxy-cpu",
    type: "string",
    describe: "CPU the proxy requests",
    hidden: true,
    deprecated: "use --proxy-cpu-request",
    apply: quantity("proxy.resources.cpu.request", "proxy.runtime.workers.minimum"),
  },
  {
    name: "wait-before-exit-seconds",
    type: "integer",
    describe: "Seconds the proxy stays alive after its pod starts terminating (legacy, non-native sidecars only)",
    apply: integer("proxy.waitBeforeExitSeconds", 0),
  },
  {
    name: "require-identity-on-inbound-ports",
    type: "list",
    describe: "Inbound ports on which the proxy requires a client identity",
    apply: text("proxy.requireIdentityOnInboundPorts"),
  },
  { name: "ingress", type: "boolean", describe: "Run the proxy in ingress mode", apply: flag("proxy.isIngress") },
  {
    name: "opaque-ports",
    type: "list",
    describe: "Ports (or ranges, or named container ports) on which protocol detection is skipped",
    apply: text("proxy.opaquePorts"),
  },
  {
    name: "native-sidecar",
    type: "boolean",
    describe: "Run the proxy as a native sidecar (an init container that keeps running)",
    apply: flag("proxy.nativeSidecar"),
  },
];

/**
 * Checks that span several values (Linkerd's `validateProxyValues`): limits must not be below requests.
 * Returns the problems found.
 */
export function crossCheckResources(read: (path: string) => JsonValue | undefined): string[] {
  const problems: string[] = [];
  for (const resource of ["cpu", "memory"] as const) {
    const request = read(`proxy.resources.${resource}.request`);
    const limit = read(`proxy.resources.${resource}.limit`);
    if (typeof request !== "string" || typeof limit !== "string" || request === "" || limit === "") continue;
    const requested = parseQuantity(request);
    const limited = parseQuantity(limit);
    if (requested !== undefined && limited !== undefined && limited < requested) {
      problems.push(`the ${resource} limit '${limit}' cannot be lower than the ${resource} request '${request}'`);
    }
  }
  return problems;
}
