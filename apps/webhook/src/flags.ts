import { parseArgs } from "node:util";
import { parseQuantity } from "@l5d-injector/injector-core";

/** Process flags, named after Linkerd's proxy-injector (spec §6.1) so that its Deployment args carry over. */
export interface Flags {
  addr: string;
  metricsAddr: string;
  tlsCert: string;
  tlsKey: string;
  /** The `values` key of ConfigMap `linkerd-config`, as a file. */
  values: string;
  /** `valuesExplicit`/`trustRootsExplicit`: a missing file given on the command line is an error; a missing file at
   * the default path only means "not mounted" (values fall back to the built-in defaults). */
  valuesExplicit: boolean;
  trustRoots: string;
  trustRootsExplicit: boolean;
  linkerdNamespace: string;
  kubeconfig: string | undefined;
  logLevel: LogLevel;
  logFormat: "plain" | "json";
  dev: boolean;
  help: boolean;
  /** `--version`: print this webhook's version, the Linkerd version it implements and the configured one. */
  version: boolean;
  /** Seconds SIGTERM waits for in-flight reviews before closing the remaining connections. */
  drainTimeoutSeconds: number;
  /** Seconds between SIGTERM (readiness fails) and closing the listener, serving reviews meanwhile. */
  shutdownDelaySeconds: number;
  /** Open connections to the webhook port at most. */
  maxConnections: number;
  /** Memory budget of the reviews in flight, in bytes (see ServingLimits). */
  maxInflightBytes: number;
  /** Reviews read or reviewed at once at most. */
  maxConcurrentReviews: number;
  /**
   * Seconds within which every review is answered, look-ups included. Must stay below the webhook configuration's
   * timeoutSeconds (10 in deploy/): after that the API server has given up on the answer.
   */
  reviewTimeoutSeconds: number;
  /** Seconds between full re-lists of the namespace watch. */
  namespaceResyncSeconds: number;
  /** Seconds a connection may take to present a request (TLS handshake, then headers and body); slower is cut off. */
  requestTimeoutSeconds: number;
}

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";

export type FlagsResult = { ok: true; flags: Flags } | { ok: false; message: string };

/** Linkerd's mount paths (charts/linkerd-control-plane/templates/proxy-injector.yaml). */
export const DEFAULT_PATHS = {
  tlsCert: "/var/run/linkerd/tls/tls.crt",
  tlsKey: "/var/run/linkerd/tls/tls.key",
  values: "/var/run/linkerd/config/values",
  trustRoots: "/var/run/linkerd/identity/trust-roots/ca-bundle.crt",
} as const;

const OPTIONS = {
  addr: { type: "string" },
  "metrics-addr": { type: "string" },
  "tls-cert": { type: "string", default: DEFAULT_PATHS.tlsCert },
  "tls-key": { type: "string", default: DEFAULT_PATHS.tlsKey },
  values: { type: "string" },
  "trust-roots": { type: "string" },
  "linkerd-namespace": { type: "string", short: "L", default: "linkerd" },
  kubeconfig: { type: "string" },
  "log-level": { type: "string", default: "info" },
  "log-format": { type: "string", default: "plain" },
  "drain-timeout": { type: "string", default: "25" },
  "shutdown-delay": { type: "string", default: "5" },
  "max-connections": { type: "string", default: "1024" },
  "max-inflight-bytes": { type: "string", default: "64Mi" },
  "max-concurrent-reviews": { type: "string", default: "512" },
  "review-timeout": { type: "string", default: "8" },
  "namespace-resync": { type: "string", default: "300" },
  "request-timeout": { type: "string", default: "10" },
  // Accepted so that Linkerd's own proxy-injector args keep working; pprof is not offered.
  "enable-pprof": { type: "boolean" },
  dev: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
  version: { type: "boolean", default: false },
} as const;

/**
 * Linkerd's controller image runs one binary for every controller, the sub-command first: its proxy-injector
 * Deployment's args start with `proxy-injector`. Accepted there, so that this image takes those args unchanged.
 */
export const LINKERD_SUBCOMMAND = "proxy-injector";

// logrus levels (Linkerd's -log-level) mapped onto pino's.
const LOG_LEVELS: Record<string, LogLevel> = {
  panic: "fatal",
  fatal: "fatal",
  error: "error",
  warn: "warn",
  warning: "warn",
  info: "info",
  debug: "debug",
  trace: "trace",
  silent: "silent",
};

export const USAGE = `Usage: l5d-injector-webhook [flags]

A Linkerd-compatible proxy-injector admission webhook.

  --addr ADDR                 HTTPS address of the webhook (default ":8443"; 127.0.0.1:8443 with --dev)
  --metrics-addr ADDR         address of /metrics, /ping and /ready (default ":9995"; 127.0.0.1:9995 with --dev)
  --tls-cert FILE             serving certificate, reloaded on change (default ${DEFAULT_PATHS.tlsCert})
  --tls-key FILE              serving key, reloaded on change (default ${DEFAULT_PATHS.tlsKey})
  --values FILE               Linkerd values (the "values" key of ConfigMap linkerd-config), reloaded on change
                              (default ${DEFAULT_PATHS.values}; built-in defaults when that is not mounted)
  --trust-roots FILE          PEM bundle of identity trust anchors, reloaded on change
                              (default ${DEFAULT_PATHS.trustRoots})
  -L, --linkerd-namespace NS  control-plane namespace (default "linkerd")
  --kubeconfig FILE           kubeconfig; else the in-cluster service account; else no cluster look-ups
  --log-level LEVEL           trace|debug|info|warn|error|fatal (default "info")
  --log-format FORMAT         plain|json (default "plain")
  --drain-timeout SECONDS     how long SIGTERM waits for in-flight requests (default 25)
  --shutdown-delay SECONDS    after SIGTERM, how long reviews are still served (with Connection: close) while
                              /ready fails, before the listener closes (default 5)
  --max-connections N         open connections to the webhook at most; over it the longest-idle one is closed,
                              or the new one if none is idle (default 1024)
  --max-inflight-bytes SIZE   memory the reviews in flight may hold: body bytes, plus 64 per JSON value once
                              decoded; beyond it, 503 at once (default 64Mi; Ki, Mi, Gi or plain bytes)
  --max-concurrent-reviews N  requests read or reviewed at once; beyond it, 503 at once (default 512)
  --review-timeout SECONDS    every review is answered within this, Kubernetes look-ups included (default 8);
                              keep it below the webhook configuration's timeoutSeconds (10), after which the
                              API server stops waiting and applies the failurePolicy
  --request-timeout SECONDS   how long a connection may take for its TLS handshake, and a request to arrive
                              (headers and body); slower ones are closed, a late body answered 408 (default 10,
                              the API server's own wait)
  --namespace-resync SECONDS  how often the namespace watch lists all namespaces again (default 300)
  --dev                       run locally without a cluster: self-signed certificate, built-in values,
                              a throwaway trust anchor, no look-ups
  --version                   print the version, the Linkerd version implemented and the one configured
  -h, --help                  show this help

Linkerd's own proxy-injector args are accepted as they are: the sub-command "${LINKERD_SUBCOMMAND}" first, and
single-dash flags such as -log-level=info and -enable-pprof=false.
`;

/**
 * Parses the process arguments. Linkerd's Go binaries take single-dash long flags (`-addr=:8443`), so those are
 * accepted too, so that a Linkerd Deployment's args work unchanged.
 */
export function parseFlags(argv: readonly string[]): FlagsResult {
  const rest = argv[0] === LINKERD_SUBCOMMAND ? argv.slice(1) : argv;
  const args: string[] = [];
  for (const arg of rest) {
    const normalised = normaliseBoolean(normaliseSingleDash(arg));
    if (!normalised.ok) return normalised;
    if (normalised.arg !== undefined) args.push(normalised.arg);
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: false, strict: true });
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  const v = parsed.values;
  // --dev listens on loopback only unless told otherwise: a laptop's webhook has no business on the LAN.
  const addr = v.addr ?? (v.dev ? "127.0.0.1:8443" : ":8443");
  const metricsAddr = v["metrics-addr"] ?? (v.dev ? "127.0.0.1:9995" : ":9995");
  const logLevel = LOG_LEVELS[v["log-level"].toLowerCase()];
  if (logLevel === undefined) {
    return { ok: false, message: `invalid --log-level "${v["log-level"]}": use trace, debug, info, warn or error` };
  }
  const logFormat = v["log-format"];
  if (logFormat !== "plain" && logFormat !== "json") {
    return { ok: false, message: `invalid --log-format "${logFormat}": use plain or json` };
  }
  for (const [name, value] of [
    ["--addr", addr],
    ["--metrics-addr", metricsAddr],
  ] as const) {
    if (!parseListenAddress(value).ok)
      return { ok: false, message: `invalid ${name} "${value}": expected [HOST]:PORT` };
  }
  const drain = Number(v["drain-timeout"]);
  if (!Number.isFinite(drain) || drain < 0) {
    return { ok: false, message: `invalid --drain-timeout "${v["drain-timeout"]}": expected seconds` };
  }
  const shutdownDelay = Number(v["shutdown-delay"]);
  if (!Number.isFinite(shutdownDelay) || shutdownDelay < 0) {
    return { ok: false, message: `invalid --shutdown-delay "${v["shutdown-delay"]}": expected seconds` };
  }
  const maxConnections = Number(v["max-connections"]);
  if (!Number.isInteger(maxConnections) || maxConnections < 1) {
    return { ok: false, message: `invalid --max-connections "${v["max-connections"]}": expected a positive integer` };
  }
  const maxInflightBytes = parseQuantity(v["max-inflight-bytes"]);
  if (maxInflightBytes === undefined || !Number.isFinite(maxInflightBytes) || maxInflightBytes < 1) {
    return {
      ok: false,
      message: `invalid --max-inflight-bytes "${v["max-inflight-bytes"]}": expected a size such as 64Mi`,
    };
  }
  const maxConcurrentReviews = Number(v["max-concurrent-reviews"]);
  if (!Number.isInteger(maxConcurrentReviews) || maxConcurrentReviews < 1) {
    return {
      ok: false,
      message: `invalid --max-concurrent-reviews "${v["max-concurrent-reviews"]}": expected a positive integer`,
    };
  }
  const reviewTimeout = Number(v["review-timeout"]);
  // 30 s is the most a webhook configuration's timeoutSeconds may say: a longer review would never be heard.
  if (!Number.isFinite(reviewTimeout) || reviewTimeout <= 0 || reviewTimeout >= 30) {
    return {
      ok: false,
      message: `invalid --review-timeout "${v["review-timeout"]}": expected seconds, more than 0 and below the webhook's timeoutSeconds (at most 30)`,
    };
  }
  const resync = Number(v["namespace-resync"]);
  if (!Number.isFinite(resync) || resync < 1) {
    return {
      ok: false,
      message: `invalid --namespace-resync "${v["namespace-resync"]}": expected seconds (at least 1)`,
    };
  }
  const requestTimeout = Number(v["request-timeout"]);
  if (!Number.isFinite(requestTimeout) || requestTimeout <= 0) {
    return { ok: false, message: `invalid --request-timeout "${v["request-timeout"]}": expected seconds, more than 0` };
  }
  return {
    ok: true,
    flags: {
      addr,
      metricsAddr,
      tlsCert: v["tls-cert"],
      tlsKey: v["tls-key"],
      values: v.values ?? DEFAULT_PATHS.values,
      valuesExplicit: v.values !== undefined,
      trustRoots: v["trust-roots"] ?? DEFAULT_PATHS.trustRoots,
      trustRootsExplicit: v["trust-roots"] !== undefined,
      linkerdNamespace: v["linkerd-namespace"],
      kubeconfig: v.kubeconfig,
      logLevel,
      logFormat,
      dev: v.dev,
      help: v.help,
      version: v.version,
      drainTimeoutSeconds: drain,
      shutdownDelaySeconds: shutdownDelay,
      maxConnections,
      maxInflightBytes: Math.floor(maxInflightBytes),
      maxConcurrentReviews,
      reviewTimeoutSeconds: reviewTimeout,
      namespaceResyncSeconds: resync,
      requestTimeoutSeconds: requestTimeout,
    },
  };
}

const LONG_NAMES = new Set(Object.keys(OPTIONS));

function normaliseSingleDash(arg: string): string {
  const match = /^-([a-z][a-z-]+)(=.*)?$/.exec(arg);
  if (match !== null && LONG_NAMES.has(match[1] ?? "")) return `-${arg}`;
  return arg;
}

const BOOLEAN_NAMES = new Set(
  Object.entries(OPTIONS)
    .filter(([, option]) => option.type === "boolean")
    .map(([name]) => name),
);

/**
 * Go's flag package takes `-flag=false` for a boolean (Linkerd's Deployment says `-enable-pprof=false`); node's
 * parseArgs refuses a value on a boolean. A true value becomes the bare flag, a false one is dropped (every
 * boolean here defaults to false). The values are Go's `strconv.ParseBool`'s.
 */
function normaliseBoolean(arg: string): { ok: true; arg: string | undefined } | { ok: false; message: string } {
  const match = /^--([a-z][a-z-]+)=(.*)$/.exec(arg);
  if (match === null || !BOOLEAN_NAMES.has(match[1] ?? "")) return { ok: true, arg };
  const value = match[2] ?? "";
  if (["1", "t", "T", "true", "TRUE", "True"].includes(value)) return { ok: true, arg: `--${match[1]}` };
  if (["0", "f", "F", "false", "FALSE", "False"].includes(value)) return { ok: true, arg: undefined };
  return { ok: false, message: `invalid --${match[1]} "${value}": expected true or false` };
}

/** `:8443` (all interfaces), `127.0.0.1:0`, `[::1]:8443`, `localhost:9995`. */
export function parseListenAddress(addr: string): { ok: true; host: string | undefined; port: number } | { ok: false } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(addr);
  if (match === null) return { ok: false };
  const port = Number(match[3]);
  if (port > 65535) return { ok: false };
  const host = match[1] ?? match[2];
  return { ok: true, host: host === "" || host === undefined ? undefined : host, port };
}
