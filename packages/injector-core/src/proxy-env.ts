/** The proxy's environment, in the template's order (spec §3.5). */
import { isObject, sortedKeys } from "./json.js";
import type { PodFacts } from "./pod-facts.js";
import { envCase, RenderError, scalar, type RenderFacts, type ValueReader } from "./render-values.js";
import type { JsonObject, JsonValue, PathTo } from "./types.js";
import { objects } from "./workload.js";

/**
 * The environment from the values, around the two variables that come from the pod: `LINKERD2_PROXY_INBOUND_PORTS`
 * (between `head` and `middle`) and, with tracing, `LINKERD2_PROXY_TRACE_EXTRA_ATTRIBUTES` (between `middle` and
 * `params`); and around the one that comes from `proxy.opaquePorts` (between `params` and `tail`).
 */
export interface EnvTemplate {
  readonly head: readonly JsonValue[];
  readonly middle: readonly JsonValue[];
  /** `proxy.tracing.labels`, as text; `undefined` when tracing is off. */
  readonly traceLabels: Readonly<Record<string, string>> | undefined;
  /** The variables of `proxy.inbound` / `proxy.outbound`. */
  readonly params: readonly JsonValue[];
  /**
   * `proxy.opaquePorts` as text (no variable when empty). Kept apart because the webhook sets it on every pod that
   * exposes a default opaque port (spec §6.4), and it changes nothing else: such a pod keeps the prepared template.
   */
  readonly opaquePorts: string;
  readonly tail: readonly JsonValue[];
}

type Entries = JsonValue[];

const value = (name: string, v: string): JsonValue => ({ name, value: v });
const field = (name: string, fieldPath: string): JsonValue => ({ name, valueFrom: { fieldRef: { fieldPath } } });

/** `proxyParams` are the variables of `proxy.inbound` / `proxy.outbound` (see `renderProxyParams`). */
export function renderEnv(V: ValueReader, f: RenderFacts, proxyParams: readonly JsonValue[]): EnvTemplate {
  const head = [...podEnv(), ...coresEnv(V), ...controlEnv(V, f), ...listenEnv(f)];
  const middle = [...modeEnv(V, f), ...(f.tracing ? tracingEnv(V, f) : [])];
  const traceLabels = f.tracing ? configuredTraceLabels(V) : undefined;
  const tail = [...identityEnv(V, f), ...extraEnv(V)];
  return { head, middle, traceLabels, params: proxyParams, opaquePorts: V.text("proxy.opaquePorts"), tail };
}

/** The environment of one pod's proxy. */
export function completeEnv(t: EnvTemplate, pod: PodFacts): JsonValue[] {
  const env = [...t.head, value("LINKERD2_PROXY_INBOUND_PORTS", inboundPorts(pod.podSpec)), ...t.middle];
  if (t.traceLabels !== undefined)
    env.push(value("LINKERD2_PROXY_TRACE_EXTRA_ATTRIBUTES", traceAttributes(t.traceLabels, pod)));
  env.push(...t.params);
  if (t.opaquePorts) env.push(value("LINKERD2_PROXY_INBOUND_PORTS_DISABLE_PROTOCOL_DETECTION", t.opaquePorts));
  env.push(...t.tail);
  return env;
}

/**
 * `LINKERD2_PROXY_INBOUND_PORTS` (spec §3.5.1): container ports of all containers plus integer HTTP probe ports,
 * de-duplicated and sorted as strings, as Linkerd does.
 */
function inboundPorts(podSpec: JsonObject): string {
  const ports = new Set<string>();
  for (const c of [...objects(podSpec["initContainers"]), ...objects(podSpec["containers"])]) {
    for (const p of objects(c["ports"]))
      if (typeof p["containerPort"] === "number") ports.add(String(p["containerPort"]));
  }
  for (const c of objects(podSpec["containers"])) {
    for (const key of ["readinessProbe", "livenessProbe"]) {
      const probe = c[key];
      const get = isObject(probe) ? probe["httpGet"] : undefined;
      if (isObject(get) && typeof get["port"] === "number") ports.add(String(get["port"]));
    }
  }
  return [...ports].sort().join(",");
}

function podEnv(): Entries {
  return [
    field("_pod_name", "metadata.name"),
    field("_pod_ns", "metadata.namespace"),
    field("_pod_uid", "metadata.uid"),
    field("_pod_ip", "status.podIP"),
    field("_pod_nodeName", "spec.nodeName"),
    value("_pod_containerName", "linkerd-proxy"),
  ];
}

function coresEnv(V: ValueReader): Entries {
  const workers = V.map("proxy.runtime.workers");
  if (!workers || Object.keys(workers).length === 0) return [];
  const env: Entries = [];
  const cores = V.raw("proxy.cores");
  const minimum = cores !== null && cores !== undefined && cores !== "" ? cores : workers["minimum"];
  if (minimum !== null && minimum !== undefined) {
    env.push(value("LINKERD2_PROXY_CORES", scalar(minimum)), value("LINKERD2_PROXY_CORES_MIN", scalar(minimum)));
  }
  const maximum = workers["maximum"];
  if (maximum !== null && maximum !== undefined) env.push(value("LINKERD2_PROXY_CORES_MAX", scalar(maximum)));
  const ratio = workers["maximumCPURatio"];
  if (ratio !== null && ratio !== undefined) env.push(value("LINKERD2_PROXY_CORES_MAX_RATIO", scalar(ratio)));
  return env;
}

function controlEnv(V: ValueReader, f: RenderFacts): Entries {
  const env: Entries = [];
  const requireIdentity = V.text("proxy.requireIdentityOnInboundPorts");
  if (requireIdentity) env.push(value("LINKERD2_PROXY_INBOUND_PORTS_REQUIRE_IDENTITY", requireIdentity));
  env.push(value("LINKERD2_PROXY_SHUTDOWN_ENDPOINT_ENABLED", String(V.bool("proxy.enableShutdownEndpoint"))));
  const headers = V.str("proxy.logHTTPHeaders") || "off";
  if (headers !== "off" && headers !== "insecure")
    throw new RenderError("logHTTPHeaders must be one of: insecure | off");
  const networks = V.str("clusterNetworks");
  env.push(
    value(
      "LINKERD2_PROXY_LOG",
      `${V.str("proxy.logLevel")}${headers === "insecure" ? "" : ",[{headers}]=off,[{request}]=off"}`,
    ),
    value("LINKERD2_PROXY_LOG_FORMAT", V.str("proxy.logFormat")),
    value("LINKERD2_PROXY_DESTINATION_SVC_ADDR", `linkerd-dst-headless.${f.ns}.svc.${f.clusterDomain}.:8086`),
    value("LINKERD2_PROXY_DESTINATION_PROFILE_NETWORKS", networks),
    value("LINKERD2_PROXY_POLICY_SVC_ADDR", `linkerd-policy.${f.ns}.svc.${f.clusterDomain}.:8090`),
    value("LINKERD2_PROXY_POLICY_WORKLOAD", '{"ns":"$(_pod_ns)", "pod":"$(_pod_name)"}\n'),
    value("LINKERD2_PROXY_INBOUND_DEFAULT_POLICY", V.str("proxy.defaultInboundPolicy")),
    value("LINKERD2_PROXY_POLICY_CLUSTER_NETWORKS", networks),
    value("LINKERD2_PROXY_CONTROL_STREAM_INITIAL_TIMEOUT", V.str("proxy.control.streams.initialTimeout")),
    value("LINKERD2_PROXY_CONTROL_STREAM_IDLE_TIMEOUT", V.str("proxy.control.streams.idleTimeout")),
    value("LINKERD2_PROXY_CONTROL_STREAM_LIFETIME", V.str("proxy.control.streams.lifetime")),
  );
  const optional = (name: string, path: PathTo<string>) => {
    const text = V.text(path);
    if (text) env.push(value(name, text));
  };
  optional("LINKERD2_PROXY_INBOUND_CONNECT_TIMEOUT", "proxy.inboundConnectTimeout");
  optional("LINKERD2_PROXY_OUTBOUND_CONNECT_TIMEOUT", "proxy.outboundConnectTimeout");
  optional("LINKERD2_PROXY_OUTBOUND_DISCOVERY_IDLE_TIMEOUT", "proxy.outboundDiscoveryCacheUnusedTimeout");
  optional("LINKERD2_PROXY_INBOUND_DISCOVERY_IDLE_TIMEOUT", "proxy.inboundDiscoveryCacheUnusedTimeout");
  if (V.bool("proxy.disableOutboundProtocolDetectTimeout"))
    env.push(value("LINKERD2_PROXY_OUTBOUND_DETECT_TIMEOUT", "365d"));
  if (V.bool("proxy.disableInboundProtocolDetectTimeout"))
    env.push(value("LINKERD2_PROXY_INBOUND_DETECT_TIMEOUT", "365d"));
  return env;
}

function listenEnv(f: RenderFacts): Entries {
  const any = f.disableIPv6 ? "0.0.0.0" : "[::]";
  const outbound = f.ports.outbound;
  return [
    value("LINKERD2_PROXY_CONTROL_LISTEN_ADDR", `${any}:${f.ports.control}`),
    value("LINKERD2_PROXY_ADMIN_LISTEN_ADDR", `${any}:${f.ports.admin}`),
    value("LINKERD2_PROXY_OUTBOUND_LISTEN_ADDR", `127.0.0.1:${outbound}`),
    value("LINKERD2_PROXY_OUTBOUND_LISTEN_ADDRS", `127.0.0.1:${outbound}${f.disableIPv6 ? "" : `,[::1]:${outbound}`}`),
    value("LINKERD2_PROXY_INBOUND_LISTEN_ADDR", `${any}:${f.ports.inbound}`),
    field("LINKERD2_PROXY_INBOUND_IPS", "status.podIPs"),
  ];
}

function modeEnv(V: ValueReader, f: RenderFacts): Entries {
  const env: Entries = [];
  if (V.bool("proxy.isGateway")) env.push(value("LINKERD2_PROXY_INBOUND_GATEWAY_SUFFIXES", `svc.${f.clusterDomain}.`));
  if (V.bool("proxy.isIngress")) env.push(value("LINKERD2_PROXY_INGRESS_MODE", "true"));
  const suffixes = V.bool("proxy.enableExternalProfiles") ? "." : `svc.${f.clusterDomain}.`;
  env.push(
    value("LINKERD2_PROXY_DESTINATION_PROFILE_SUFFIXES", suffixes),
    value("LINKERD2_PROXY_INBOUND_ACCEPT_KEEPALIVE", "10000ms"),
    value("LINKERD2_PROXY_OUTBOUND_CONNECT_KEEPALIVE", "10000ms"),
    value("LINKERD2_PROXY_INBOUND_ACCEPT_USER_TIMEOUT", "30s"),
    value("LINKERD2_PROXY_OUTBOUND_CONNECT_USER_TIMEOUT", "30s"),
    value("LINKERD2_PROXY_OUTBOUND_METRICS_HOSTNAME_LABELS", String(V.bool("proxy.metrics.hostnameLabels"))),
  );
  return env;
}

function tracingEnv(V: ValueReader, f: RenderFacts): Entries {
  const endpoint = V.str("proxy.tracing.collector.endpoint");
  const sa = V.str("proxy.tracing.collector.meshIdentity.serviceAccountName");
  const saNs = V.str("proxy.tracing.collector.meshIdentity.namespace");
  if (!endpoint) throw new RenderError("proxy.tracing.collector.endpoint must be set when tracing is enabled");
  if (!sa || !saNs) {
    throw new RenderError(
      "proxy.tracing.collector.meshIdentity.serviceAccountName and namespace must be set when tracing is enabled",
    );
  }
  return [
    value("LINKERD2_PROXY_TRACE_ATTRIBUTES_PATH", "/var/run/linkerd/podinfo/labels"),
    value("LINKERD2_PROXY_TRACE_ANNOTATIONS_PATH", "/var/run/linkerd/podinfo/annotations"),
    value("LINKERD2_PROXY_TRACE_PROTOCOL", V.str("proxy.tracing.protocol") || "opentelemetry"),
    value("LINKERD2_PROXY_TRACE_SERVICE_NAME", V.str("proxy.tracing.traceServiceName") || "linkerd-proxy"),
    value("LINKERD2_PROXY_TRACE_COLLECTOR_SVC_ADDR", endpoint),
    value("LINKERD2_PROXY_TRACE_COLLECTOR_SVC_NAME", `${sa}.${saNs}.serviceaccount.identity.${f.ns}.${f.trustDomain}`),
  ];
}

function configuredTraceLabels(V: ValueReader): Record<string, string> {
  const labels: Record<string, string> = {};
  const configured = V.map("proxy.tracing.labels");
  if (configured) for (const [k, v] of Object.entries(configured)) labels[k] = scalar(v);
  return labels;
}

/** The configured labels, the pod's service name and its `resource.opentelemetry.io/` annotations, sorted. */
function traceAttributes(configured: Readonly<Record<string, string>>, pod: PodFacts): string {
  const labels: Record<string, string> = { ...configured };
  const service = pod.podLabels["app.kubernetes.io/instance"] ?? pod.podLabels["app.kubernetes.io/name"];
  if (service !== undefined) labels["service.name"] = service;
  const prefix = "resource.opentelemetry.io/";
  for (const [k, v] of Object.entries(pod.podAnnotations)) if (k.startsWith(prefix)) labels[k.slice(prefix.length)] = v;
  return sortedKeys(labels)
    .map((k) => `${k}=${labels[k]}\n`)
    .join("");
}

/**
 * `proxy.inbound` / `proxy.outbound`: `<direction>.<scope>.<protocol>.<parameter>` as one variable each, named by
 * Helm's snakecase (costly). No annotation sets them: rendered once per configuration.
 */
export function renderProxyParams(V: ValueReader): Entries {
  const env: Entries = [];
  for (const dir of ["inbound", "outbound"] as const) {
    const tree = V.map(`proxy.${dir}`);
    if (!tree) continue;
    for (const scope of sortedKeys(tree)) {
      const protos = tree[scope];
      if (!isObject(protos)) continue;
      for (const proto of sortedKeys(protos)) {
        const params = protos[proto];
        if (!isObject(params)) continue;
        for (const param of sortedKeys(params)) {
          const name = `LINKERD2_PROXY_${[dir, scope, proto, param].map(envCase).join("_")}`;
          env.push(value(name, scalar(params[param] as JsonValue)));
        }
      }
    }
  }
  return env;
}

function identityEnv(V: ValueReader, f: RenderFacts): Entries {
  const identityName = (sa: string) => `${sa}.${f.ns}.serviceaccount.identity.${f.ns}.${f.trustDomain}`;
  const env: Entries = [];
  const tokenFile = f.projection
    ? "/var/run/secrets/tokens/linkerd-identity-token"
    : "/var/run/secrets/kubernetes.io/serviceaccount/token";
  env.push(
    value(
      "LINKERD2_PROXY_DESTINATION_CONTEXT",
      '{"ns":"$(_pod_ns)", "nodeName":"$(_pod_nodeName)", "pod":"$(_pod_name)"}\n',
    ),
    field("_pod_sa", "spec.serviceAccountName"),
    value("_l5d_ns", f.ns),
    value("_l5d_trustdomain", f.trustDomain),
    value("LINKERD2_PROXY_IDENTITY_DIR", "/var/run/linkerd/identity/end-entity"),
    value("LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS", `${f.trustAnchors.trim()}\n`),
    value("LINKERD2_PROXY_IDENTITY_TOKEN_FILE", tokenFile),
    value("LINKERD2_PROXY_IDENTITY_SVC_ADDR", `linkerd-identity-headless.${f.ns}.svc.${f.clusterDomain}.:8080`),
    value(
      "LINKERD2_PROXY_IDENTITY_LOCAL_NAME",
      `$(_pod_sa).$(_pod_ns).serviceaccount.identity.${f.ns}.${f.trustDomain}`,
    ),
    value("LINKERD2_PROXY_IDENTITY_SVC_NAME", identityName("linkerd-identity")),
    value("LINKERD2_PROXY_DESTINATION_SVC_NAME", identityName("linkerd-destination")),
    value("LINKERD2_PROXY_POLICY_SVC_NAME", identityName("linkerd-destination")),
  );
  const accessLog = V.text("proxy.accessLog");
  if (accessLog) env.push(value("LINKERD2_PROXY_ACCESS_LOG", accessLog));
  const grace = V.text("proxy.shutdownGracePeriod");
  if (grace) env.push(value("LINKERD2_PROXY_SHUTDOWN_GRACE_PERIOD", grace));
  return env;
}

/** `proxy.additionalEnv` (merged with the annotation's layers) and `proxy.experimentalEnv`, as given. */
function extraEnv(V: ValueReader): Entries {
  const env: Entries = [];
  for (const key of ["proxy.additionalEnv", "proxy.experimentalEnv"] as const) {
    const extra = V.raw(key);
    if (Array.isArray(extra)) env.push(...extra);
  }
  return env;
}
