import { SA_MOUNT_PATH } from "./decision.js";
import { clone, isObject, sortedKeys } from "./json.js";
import type { Issue, JsonObject, JsonValue, PathTo, ValuePath, Values } from "./types.js";
import { goUpper, snakeCase } from "./snake-case.js";
import { getValue, readBoolean, readNumber, readString, readText } from "./values.js";
import { objects, str } from "./workload.js";

/** The containers and volumes Linkerd's patch template adds to a pod (spec §3). */
export interface ProxySpec {
  nativeSidecar: boolean;
  await: boolean;
  /** `linkerd-init`, or `linkerd-network-validator` in CNI mode. */
  init: JsonObject;
  proxy: JsonObject;
  debug: JsonObject | undefined;
  xtablesVolume: JsonObject | undefined;
  endEntityVolume: JsonObject;
  podinfoVolume: JsonObject | undefined;
  tokenVolume: JsonObject | undefined;
  proxyVersion: string;
}

export interface RenderInput {
  values: Values;
  podSpec: JsonObject;
  debugSidecar: boolean;
  linkerdNamespace: string;
  /** Labels and annotations of the pod, for tracing attributes. */
  podLabels: Readonly<Record<string, string>>;
  podAnnotations: Readonly<Record<string, string>>;
}

export type RenderResult = { ok: true; spec: ProxySpec } | { ok: false; issues: Issue[] };

class RenderError extends Error {
  constructor(
    message: string,
    readonly path: (string | number)[] = [],
  ) {
    super(message);
  }
}

/** Renders the proxy spec from effective values; the failures Linkerd's templates raise come back as issues. */
export function renderProxySpec(input: RenderInput): RenderResult {
  try {
    return { ok: true, spec: render(input) };
  } catch (e) {
    if (e instanceof RenderError) return { ok: false, issues: [{ code: "render_failed", path: e.path, message: e.message }] };
    throw e;
  }
}

function render(input: RenderInput): ProxySpec {
  const V = new ValueReader(input.values);
  const ns = input.linkerdNamespace;
  const clusterDomain = V.str("clusterDomain") || "cluster.local";
  const trustDomain = V.str("identityTrustDomain") || clusterDomain;
  const disableIPv6 = V.bool("disableIPv6");
  const cni = V.bool("cniEnabled");
  const nativeSidecar = V.bool("proxy.nativeSidecar");
  const awaitOn = V.bool("proxy.await");
  const projection = V.raw("identity.serviceAccountTokenProjection") !== false;
  const tracing = V.bool("proxy.tracing.enabled");
  const version = V.str("proxy.image.version") || V.str("linkerdVersion");
  const image = `${V.str("proxy.image.name")}:${version}`;
  const pullPolicy = V.str("proxy.image.pullPolicy") || V.str("imagePullPolicy");
  const ports = {
    admin: V.num("proxy.ports.admin"),
    control: V.num("proxy.ports.control"),
    inbound: V.num("proxy.ports.inbound"),
    outbound: V.num("proxy.ports.outbound"),
  };
  const uid = V.num("proxy.uid");
  const gid = V.num("proxy.gid");

  const badNetwork = invalidNetwork(V.str("clusterNetworks"));
  if (badNetwork !== undefined) {
    throw new RenderError(`cannot parse destination get networks: invalid CIDR address: ${badNetwork}`);
  }
  const trustAnchors = V.str("identityTrustAnchorsPEM");
  if (trustAnchors.trim() === "") throw new RenderError("Please provide the identity trust anchors", ["identityTrustAnchorsPEM"]);

  const first = objects(input.podSpec["containers"])[0];
  const saMount = objects(first?.["volumeMounts"]).find((m) => m["mountPath"] === SA_MOUNT_PATH);
  const saMountCopy: JsonObject | undefined = saMount
    ? { mountPath: SA_MOUNT_PATH, name: str(saMount["name"]), readOnly: saMount["readOnly"] === true }
    : undefined;
  const firstCaps = first && isObject(first["securityContext"]) ? first["securityContext"]["capabilities"] : undefined;
  const capAdd = isObject(firstCaps) && Array.isArray(firstCaps["add"]) ? firstCaps["add"] : [];
  const capDrop = isObject(firstCaps) && Array.isArray(firstCaps["drop"]) ? firstCaps["drop"] : [];
  const resources = renderResources(V);

  // linkerd-init, or the network validator in CNI mode (spec §3.3, §3.4).
  let init: JsonObject;
  if (!cni) {
    const mode = V.str("proxyInit.iptablesMode");
    const args: string[] = [];
    if (mode === "nft") args.push("--firewall-bin-path", "iptables-nft", "--firewall-save-bin-path", "iptables-nft-save");
    else if (mode !== "legacy") {
      throw new RenderError(`Unsupported value "${mode}" for proxyInit.iptablesMode\nValid values: ["nft", "legacy"]`);
    }
    if (disableIPv6) args.push("--ipv6=false");
    args.push("--incoming-proxy-port", String(ports.inbound), "--outgoing-proxy-port", String(ports.outbound));
    args.push("--proxy-uid", String(uid));
    if (gid >= 0) args.push("--proxy-gid", String(gid));
    const ignoreIn = V.text("proxyInit.ignoreInboundPorts");
    args.push("--inbound-ports-to-ignore", `${ports.control},${ports.admin}${ignoreIn ? `,${ignoreIn}` : ""}`);
    const ignoreOut = V.text("proxyInit.ignoreOutboundPorts");
    if (ignoreOut) args.push("--outbound-ports-to-ignore", ignoreOut);
    const closeWait = V.num("proxyInit.closeWaitTimeoutSecs");
    const runAsRoot = V.bool("proxyInit.runAsRoot");
    if (closeWait) {
      if (!runAsRoot) throw new RenderError("proxyInit.runAsRoot must be set to use proxyInit.closeWaitTimeoutSecs");
      args.push("--timeout-close-wait-secs", String(closeWait));
    }
    if (V.str("proxyInit.logFormat")) args.push("--log-format", V.str("proxyInit.logFormat"));
    if (V.str("proxyInit.logLevel")) args.push("--log-level", V.str("proxyInit.logLevel"));
    if (V.text("proxyInit.skipSubnets")) args.push("--subnets-to-ignore", V.text("proxyInit.skipSubnets"));
    const privileged = Boolean(closeWait) || V.bool("proxyInit.privileged");
    const capabilities: JsonObject = { add: ["NET_ADMIN", "NET_RAW", ...capAdd] };
    const drops = capDrop.filter((c) => c !== "NET_ADMIN" && c !== "NET_RAW");
    if (drops.length > 0) capabilities["drop"] = drops;
    const securityContext: JsonObject = {
      allowPrivilegeEscalation: privileged,
      capabilities,
      privileged,
      readOnlyRootFilesystem: true,
    };
    if (runAsRoot) {
      Object.assign(securityContext, { runAsGroup: 0, runAsNonRoot: false, runAsUser: 0 });
    } else {
      Object.assign(securityContext, {
        runAsGroup: V.num("proxyInit.runAsGroup") || 65534,
        runAsNonRoot: true,
        runAsUser: V.num("proxyInit.runAsUser") || 65534,
      });
    }
    securityContext["seccompProfile"] = { type: "RuntimeDefault" };
    const xtMount = V.map("proxyInit.xtMountPath") ?? { mountPath: "/run", name: "linkerd-proxy-init-xtables-lock" };
    const mounts: JsonValue[] = [{ mountPath: str(xtMount["mountPath"]), name: str(xtMount["name"]) }];
    if (saMountCopy) mounts.push(saMountCopy);
    init = {
      args,
      command: ["/usr/lib/linkerd/linkerd2-proxy-init"],
      image,
      imagePullPolicy: pullPolicy,
      name: "linkerd-init",
      resources,
      securityContext,
      terminationMessagePolicy: "FallbackToLogsOnError",
      volumeMounts: mounts,
    };
  } else {
    const connect = V.str("networkValidator.connectAddr") || (disableIPv6 ? "1.1.1.1:20001" : "[fd00::1]:20001");
    const listen = V.str("networkValidator.listenAddr") || (disableIPv6 ? "0.0.0.0:4140" : "[::]:4140");
    const sc = V.map("networkValidator.securityContext");
    init = {
      args: [
        "--log-format",
        V.str("networkValidator.logFormat"),
        "--log-level",
        V.str("networkValidator.logLevel"),
        "--connect-addr",
        connect,
        "--listen-addr",
        listen,
        "--timeout",
        V.str("networkValidator.timeout"),
      ],
      command: ["/usr/lib/linkerd/linkerd2-network-validator"],
      image,
      imagePullPolicy: pullPolicy,
      name: "linkerd-network-validator",
      resources,
      securityContext: sc ? clone(sc) : {},
    };
  }

  const env = renderEnv(input, V, { ns, clusterDomain, trustDomain, disableIPv6, ports, projection, tracing, trustAnchors });
  const probePort = ports.admin;
  const probe = (path: string, key: "proxy.livenessProbe" | "proxy.readinessProbe" | "proxy.startupProbe"): JsonObject => {
    const cfg = V.map(key);
    const out: JsonObject = { httpGet: { path, port: probePort } };
    if (cfg) for (const k of sortedKeys(cfg)) out[k] = cfg[k] as JsonValue;
    return out;
  };

  const proxySecurityContext = V.map("proxy.securityContext");
  let securityContext: JsonObject;
  if (proxySecurityContext && Object.keys(proxySecurityContext).length > 0) {
    securityContext = clone(proxySecurityContext);
  } else {
    securityContext = { allowPrivilegeEscalation: false };
    if (isObject(firstCaps)) {
      const caps: JsonObject = {};
      if (capAdd.length > 0) caps["add"] = clone(capAdd);
      if (capDrop.length > 0) caps["drop"] = clone(capDrop);
      if (Object.keys(caps).length > 0) securityContext["capabilities"] = caps;
    }
    Object.assign(securityContext, { readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: uid });
    if (gid >= 0) securityContext["runAsGroup"] = gid;
    securityContext["seccompProfile"] = { type: "RuntimeDefault" };
  }

  const proxyMounts: JsonValue[] = [
    { mountPath: "/var/run/linkerd/identity/end-entity", name: "linkerd-identity-end-entity" },
  ];
  if (tracing) proxyMounts.push({ mountPath: "/var/run/linkerd/podinfo", name: "linkerd-podinfo" });
  if (projection) proxyMounts.push({ mountPath: "/var/run/secrets/tokens", name: "linkerd-identity-token" });
  if (saMountCopy) proxyMounts.push(clone(saMountCopy));

  const proxy: JsonObject = {
    env,
    image,
    imagePullPolicy: pullPolicy,
    livenessProbe: probe("/live", "proxy.livenessProbe"),
    name: "linkerd-proxy",
    ports: [
      { containerPort: ports.inbound, name: "linkerd-proxy" },
      { containerPort: ports.admin, name: "linkerd-admin" },
    ],
    readinessProbe: probe("/ready", "proxy.readinessProbe"),
    resources: clone(resources),
  };
  if (nativeSidecar) proxy["restartPolicy"] = "Always";
  proxy["securityContext"] = securityContext;
  if (nativeSidecar && awaitOn) proxy["startupProbe"] = probe("/ready", "proxy.startupProbe");
  proxy["terminationMessagePolicy"] = "FallbackToLogsOnError";
  if (!nativeSidecar) {
    // The classic layout has no startup ordering, so the proxy holds the app back with a postStart hook.
    const wait = V.num("proxy.waitBeforeExitSeconds");
    const lifecycle: JsonObject = {};
    if (awaitOn) {
      lifecycle["postStart"] = {
        exec: { command: ["/usr/lib/linkerd/linkerd-await", "--timeout=2m", `--port=${ports.admin}`] },
      };
    }
    if (wait > 0) lifecycle["preStop"] = { exec: { command: ["/bin/sleep", String(wait)] } };
    if (Object.keys(lifecycle).length > 0) proxy["lifecycle"] = lifecycle;
  }
  proxy["volumeMounts"] = proxyMounts;

  let debug: JsonObject | undefined;
  if (input.debugSidecar) {
    const dv = V.str("debugContainer.image.version") || V.str("linkerdVersion");
    debug = {
      image: `${V.str("debugContainer.image.name")}:${dv}`,
      imagePullPolicy: V.str("debugContainer.image.pullPolicy") || V.str("imagePullPolicy"),
      livenessProbe: { exec: { command: ["true"] } },
      name: "linkerd-debug",
      readinessProbe: { exec: { command: ["true"] } },
      terminationMessagePolicy: "FallbackToLogsOnError",
    };
  }

  return {
    nativeSidecar,
    await: awaitOn,
    init,
    proxy,
    debug,
    xtablesVolume: cni ? undefined : { emptyDir: {}, name: "linkerd-proxy-init-xtables-lock" },
    endEntityVolume: { emptyDir: { medium: "Memory" }, name: "linkerd-identity-end-entity" },
    podinfoVolume: tracing
      ? { downwardAPI: { items: [{ fieldRef: { fieldPath: "metadata.labels" }, path: "labels" }] }, name: "linkerd-podinfo" }
      : undefined,
    tokenVolume: projection
      ? {
          name: "linkerd-identity-token",
          projected: {
            sources: [
              {
                serviceAccountToken: {
                  audience: "identity.l5d.io",
                  expirationSeconds: 86400,
                  path: "linkerd-identity-token",
                },
              },
            ],
          },
        }
      : undefined,
    proxyVersion: version,
  };
}

interface EnvContext {
  ns: string;
  clusterDomain: string;
  trustDomain: string;
  disableIPv6: boolean;
  ports: { admin: number; control: number; inbound: number; outbound: number };
  projection: boolean;
  tracing: boolean;
  trustAnchors: string;
}

/** The proxy's environment, in the template's order (spec §3.5). */
function renderEnv(input: RenderInput, V: ValueReader, c: EnvContext): JsonValue[] {
  const env: JsonValue[] = [];
  const add = (name: string, value: string) => env.push({ name, value });
  const field = (name: string, fieldPath: string) => env.push({ name, valueFrom: { fieldRef: { fieldPath } } });
  const td = c.trustDomain;
  const identityName = (sa: string) => `${sa}.${c.ns}.serviceaccount.identity.${c.ns}.${td}`;

  field("_pod_name", "metadata.name");
  field("_pod_ns", "metadata.namespace");
  field("_pod_uid", "metadata.uid");
  field("_pod_ip", "status.podIP");
  field("_pod_nodeName", "spec.nodeName");
  add("_pod_containerName", "linkerd-proxy");
  const workers = V.map("proxy.runtime.workers");
  const cores = V.raw("proxy.cores");
  if (workers && Object.keys(workers).length > 0) {
    const minimum = cores !== null && cores !== undefined && cores !== "" ? cores : workers["minimum"];
    if (minimum !== null && minimum !== undefined) {
      add("LINKERD2_PROXY_CORES", scalar(minimum));
      add("LINKERD2_PROXY_CORES_MIN", scalar(minimum));
    }
    if (workers["maximum"] !== null && workers["maximum"] !== undefined) {
      add("LINKERD2_PROXY_CORES_MAX", scalar(workers["maximum"]));
    }
    if (workers["maximumCPURatio"] !== null && workers["maximumCPURatio"] !== undefined) {
      add("LINKERD2_PROXY_CORES_MAX_RATIO", scalar(workers["maximumCPURatio"]));
    }
  }
  const requireIdentity = V.text("proxy.requireIdentityOnInboundPorts");
  if (requireIdentity) add("LINKERD2_PROXY_INBOUND_PORTS_REQUIRE_IDENTITY", requireIdentity);
  add("LINKERD2_PROXY_SHUTDOWN_ENDPOINT_ENABLED", String(V.bool("proxy.enableShutdownEndpoint")));
  const headers = V.str("proxy.logHTTPHeaders") || "off";
  if (headers !== "off" && headers !== "insecure") throw new RenderError("logHTTPHeaders must be one of: insecure | off");
  add("LINKERD2_PROXY_LOG", `${V.str("proxy.logLevel")}${headers === "insecure" ? "" : ",[{headers}]=off,[{request}]=off"}`);
  add("LINKERD2_PROXY_LOG_FORMAT", V.str("proxy.logFormat"));
  add("LINKERD2_PROXY_DESTINATION_SVC_ADDR", `linkerd-dst-headless.${c.ns}.svc.${c.clusterDomain}.:8086`);
  const networks = V.str("clusterNetworks");
  add("LINKERD2_PROXY_DESTINATION_PROFILE_NETWORKS", networks);
  add("LINKERD2_PROXY_POLICY_SVC_ADDR", `linkerd-policy.${c.ns}.svc.${c.clusterDomain}.:8090`);
  add("LINKERD2_PROXY_POLICY_WORKLOAD", '{"ns":"$(_pod_ns)", "pod":"$(_pod_name)"}\n');
  add("LINKERD2_PROXY_INBOUND_DEFAULT_POLICY", V.str("proxy.defaultInboundPolicy"));
  add("LINKERD2_PROXY_POLICY_CLUSTER_NETWORKS", networks);
  add("LINKERD2_PROXY_CONTROL_STREAM_INITIAL_TIMEOUT", V.str("proxy.control.streams.initialTimeout"));
  add("LINKERD2_PROXY_CONTROL_STREAM_IDLE_TIMEOUT", V.str("proxy.control.streams.idleTimeout"));
  add("LINKERD2_PROXY_CONTROL_STREAM_LIFETIME", V.str("proxy.control.streams.lifetime"));
  const optional = (name: string, path: PathTo<string>) => {
    const value = V.text(path);
    if (value) add(name, value);
  };
  optional("LINKERD2_PROXY_INBOUND_CONNECT_TIMEOUT", "proxy.inboundConnectTimeout");
  optional("LINKERD2_PROXY_OUTBOUND_CONNECT_TIMEOUT", "proxy.outboundConnectTimeout");
  optional("LINKERD2_PROXY_OUTBOUND_DISCOVERY_IDLE_TIMEOUT", "proxy.outboundDiscoveryCacheUnusedTimeout");
  optional("LINKERD2_PROXY_INBOUND_DISCOVERY_IDLE_TIMEOUT", "proxy.inboundDiscoveryCacheUnusedTimeout");
  if (V.bool("proxy.disableOutboundProtocolDetectTimeout")) add("LINKERD2_PROXY_OUTBOUND_DETECT_TIMEOUT", "365d");
  if (V.bool("proxy.disableInboundProtocolDetectTimeout")) add("LINKERD2_PROXY_INBOUND_DETECT_TIMEOUT", "365d");
  add("LINKERD2_PROXY_CONTROL_LISTEN_ADDR", `${c.disableIPv6 ? "0.0.0.0" : "[::]"}:${c.ports.control}`);
  add("LINKERD2_PROXY_ADMIN_LISTEN_ADDR", `${c.disableIPv6 ? "0.0.0.0" : "[::]"}:${c.ports.admin}`);
  add("LINKERD2_PROXY_OUTBOUND_LISTEN_ADDR", `127.0.0.1:${c.ports.outbound}`);
  add(
    "LINKERD2_PROXY_OUTBOUND_LISTEN_ADDRS",
    `127.0.0.1:${c.ports.outbound}${c.disableIPv6 ? "" : `,[::1]:${c.ports.outbound}`}`,
  );
  add("LINKERD2_PROXY_INBOUND_LISTEN_ADDR", `${c.disableIPv6 ? "0.0.0.0" : "[::]"}:${c.ports.inbound}`);
  field("LINKERD2_PROXY_INBOUND_IPS", "status.podIPs");
  add("LINKERD2_PROXY_INBOUND_PORTS", inboundPorts(input.podSpec));
  if (V.bool("proxy.isGateway")) add("LINKERD2_PROXY_INBOUND_GATEWAY_SUFFIXES", `svc.${c.clusterDomain}.`);
  if (V.bool("proxy.isIngress")) add("LINKERD2_PROXY_INGRESS_MODE", "true");
  add(
    "LINKERD2_PROXY_DESTINATION_PROFILE_SUFFIXES",
    V.bool("proxy.enableExternalProfiles") ? "." : `svc.${c.clusterDomain}.`,
  );
  add("LINKERD2_PROXY_INBOUND_ACCEPT_KEEPALIVE", "10000ms");
  add("LINKERD2_PROXY_OUTBOUND_CONNECT_KEEPALIVE", "10000ms");
  add("LINKERD2_PROXY_INBOUND_ACCEPT_USER_TIMEOUT", "30s");
  add("LINKERD2_PROXY_OUTBOUND_CONNECT_USER_TIMEOUT", "30s");
  add("LINKERD2_PROXY_OUTBOUND_METRICS_HOSTNAME_LABELS", String(V.bool("proxy.metrics.hostnameLabels")));
  if (c.tracing) renderTracing(input, V, c, add);
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
          add(`LINKERD2_PROXY_${[dir, scope, proto, param].map(envCase).join("_")}`, scalar(params[param] as JsonValue));
        }
      }
    }
  }
  const opaque = V.text("proxy.opaquePorts");
  if (opaque) add("LINKERD2_PROXY_INBOUND_PORTS_DISABLE_PROTOCOL_DETECTION", opaque);
  add(
    "LINKERD2_PROXY_DESTINATION_CONTEXT",
    '{"ns":"$(_pod_ns)", "nodeName":"$(_pod_nodeName)", "pod":"$(_pod_name)"}\n',
  );
  field("_pod_sa", "spec.serviceAccountName");
  add("_l5d_ns", c.ns);
  add("_l5d_trustdomain", td);
  add("LINKERD2_PROXY_IDENTITY_DIR", "/var/run/linkerd/identity/end-entity");
  add("LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS", `${c.trustAnchors.trim()}\n`);
  add(
    "LINKERD2_PROXY_IDENTITY_TOKEN_FILE",
    c.projection
      ? "/var/run/secrets/tokens/linkerd-identity-token"
      : "/var/run/secrets/kubernetes.io/serviceaccount/token",
  );
  add("LINKERD2_PROXY_IDENTITY_SVC_ADDR", `linkerd-identity-headless.${c.ns}.svc.${c.clusterDomain}.:8080`);
  add("LINKERD2_PROXY_IDENTITY_LOCAL_NAME", `$(_pod_sa).$(_pod_ns).serviceaccount.identity.${c.ns}.${td}`);
  add("LINKERD2_PROXY_IDENTITY_SVC_NAME", identityName("linkerd-identity"));
  add("LINKERD2_PROXY_DESTINATION_SVC_NAME", identityName("linkerd-destination"));
  add("LINKERD2_PROXY_POLICY_SVC_NAME", identityName("linkerd-destination"));
  const accessLog = V.text("proxy.accessLog");
  if (accessLog) add("LINKERD2_PROXY_ACCESS_LOG", accessLog);
  const grace = V.text("proxy.shutdownGracePeriod");
  if (grace) add("LINKERD2_PROXY_SHUTDOWN_GRACE_PERIOD", grace);
  for (const key of ["proxy.additionalEnv", "proxy.experimentalEnv"] as const) {
    const extra = V.raw(key);
    if (Array.isArray(extra)) for (const e of extra) env.push(clone(e));
  }
  return env;
}

function renderTracing(input: RenderInput, V: ValueReader, c: EnvContext, add: (n: string, v: string) => void): void {
  const endpoint = V.str("proxy.tracing.collector.endpoint");
  const sa = V.str("proxy.tracing.collector.meshIdentity.serviceAccountName");
  const saNs = V.str("proxy.tracing.collector.meshIdentity.namespace");
  if (!endpoint) throw new RenderError("proxy.tracing.collector.endpoint must be set when tracing is enabled");
  if (!sa || !saNs) {
    throw new RenderError("proxy.tracing.collector.meshIdentity.serviceAccountName and namespace must be set when tracing is enabled");
  }
  add("LINKERD2_PROXY_TRACE_ATTRIBUTES_PATH", "/var/run/linkerd/podinfo/labels");
  add("LINKERD2_PROXY_TRACE_ANNOTATIONS_PATH", "/var/run/linkerd/podinfo/annotations");
  add("LINKERD2_PROXY_TRACE_PROTOCOL", V.str("proxy.tracing.protocol") || "opentelemetry");
  add("LINKERD2_PROXY_TRACE_SERVICE_NAME", V.str("proxy.tracing.traceServiceName") || "linkerd-proxy");
  add("LINKERD2_PROXY_TRACE_COLLECTOR_SVC_ADDR", endpoint);
  add("LINKERD2_PROXY_TRACE_COLLECTOR_SVC_NAME", `${sa}.${saNs}.serviceaccount.identity.${c.ns}.${c.trustDomain}`);
  const labels: Record<string, string> = {};
  const configured = V.map("proxy.tracing.labels");
  if (configured) for (const [k, v] of Object.entries(configured)) labels[k] = scalar(v);
  const service = input.podLabels["app.kubernetes.io/instance"] ?? input.podLabels["app.kubernetes.io/name"];
  if (service !== undefined) labels["service.name"] = service;
  const prefix = "resource.opentelemetry.io/";
  for (const [k, v] of Object.entries(input.podAnnotations)) if (k.startsWith(prefix)) labels[k.slice(prefix.length)] = v;
  add("LINKERD2_PROXY_TRACE_EXTRA_ATTRIBUTES", sortedKeys(labels).map((k) => `${k}=${labels[k]}\n`).join(""));
}

/**
 * `LINKERD2_PROXY_INBOUND_PORTS` (spec §3.5.1): container ports of all containers plus integer HTTP probe ports,
 * de-duplicated and sorted as strings, as Linkerd does.
 */
export function inboundPorts(podSpec: JsonObject): string {
  const ports = new Set<string>();
  for (const c of [...objects(podSpec["initContainers"]), ...objects(podSpec["containers"])]) {
    for (const p of objects(c["ports"])) if (typeof p["containerPort"] === "number") ports.add(String(p["containerPort"]));
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

/** Resources of the proxy and its init container (spec §3.10); `null` when nothing is configured. */
function renderResources(V: ValueReader): JsonValue {
  const res = V.map("proxy.resources");
  if (!res) return null;
  const requests: JsonObject = {};
  const limits: JsonObject = {};
  for (const kind of ["cpu", "memory", "ephemeral-storage"]) {
    const r = res[kind];
    if (!isObject(r)) continue;
    if (r["request"] !== undefined && r["request"] !== null && r["request"] !== "") requests[kind] = scalar(r["request"]);
    if (r["limit"] !== undefined && r["limit"] !== null && r["limit"] !== "") limits[kind] = scalar(r["limit"]);
  }
  const out: JsonObject = {};
  if (Object.keys(limits).length > 0) out["limits"] = limits;
  if (Object.keys(requests).length > 0) out["requests"] = requests;
  return Object.keys(out).length > 0 ? out : null;
}

const envCaseCache = new Map<string, string>();

/** A key of `proxy.inbound` / `proxy.outbound` as the template names it: `snakecase | upper` (spec §3.5). */
function envCase(part: string): string {
  let out = envCaseCache.get(part);
  if (out === undefined) {
    out = goUpper(snakeCase(part));
    if (envCaseCache.size > 256) envCaseCache.clear();
    envCaseCache.set(part, out);
  }
  return out;
}

/** Numbers are printed in full (Helm's float64 rendering would print `1e+06`; spec §8 item 14). */
function scalar(value: JsonValue): string {
  if (typeof value === "string") return value;
  if (typeof value === "number") return Number.isInteger(value) ? value.toFixed(0) : String(value);
  if (typeof value === "boolean") return String(value);
  return value === null ? "" : JSON.stringify(value);
}

const networksChecked = new Map<string, string | undefined>();

/** The first entry of a comma-separated CIDR list that does not parse; remembered, since it rarely changes. */
function invalidNetwork(list: string): string | undefined {
  if (networksChecked.has(list)) return networksChecked.get(list);
  const bad = list
    .split(",")
    .map((c) => c.trim())
    .find((c) => !isCidr(c));
  if (networksChecked.size > 16) networksChecked.clear();
  networksChecked.set(list, bad);
  return bad;
}

function isCidr(text: string): boolean {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m) return false;
  const addr = m[1] as string;
  const bits = Number(m[2]);
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(addr)) return bits <= 32 && addr.split(".").every((o) => Number(o) <= 255);
  return /^[0-9a-fA-F:]+$/.test(addr) && addr.includes(":") && bits <= 128;
}

/**
 * Typed reads of effective values; missing or mistyped settings read as Go's zero values, as in Helm. Each reader
 * takes only the paths of its type, so a mistyped path does not compile.
 */
class ValueReader {
  constructor(private readonly values: Values) {}
  str(path: PathTo<string>): string {
    return readString(this.values, path);
  }
  /** A string setting that users may also give as a number (`ignoreOutboundPorts: 5432`). */
  text(path: PathTo<string>): string {
    return readText(this.values, path);
  }
  num(path: PathTo<number>): number {
    return readNumber(this.values, path);
  }
  bool(path: PathTo<boolean>): boolean {
    return readBoolean(this.values, path);
  }
  /** A map setting (a struct or a free-form map), when it is one. */
  map(path: ValuePath): JsonObject | undefined {
    const v = getValue(this.values, path) as JsonValue | undefined;
    return isObject(v) ? v : undefined;
  }
  /** Any setting, untyped (a list, or an optional number that may come as text). */
  raw(path: ValuePath): JsonValue | undefined {
    return getValue(this.values, path) as JsonValue | undefined;
  }
}
