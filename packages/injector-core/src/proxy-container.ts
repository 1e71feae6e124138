/** The `linkerd-proxy` container (spec §3.2) and the optional `linkerd-debug` container (spec §3.9). */
import { clone, sortedKeys } from "./json.js";
import type { PodFacts } from "./pod-facts.js";
import type { RenderFacts, ValueReader } from "./render-values.js";
import type { JsonObject, JsonValue } from "./types.js";

export interface ProxyContainerTemplate {
  /** The container with an empty `env`, for a pod whose first container has no capabilities and no token mount. */
  readonly container: JsonObject;
  /** `proxy.securityContext` is configured: it is used as it is, without the app's capabilities. */
  readonly fixedSecurityContext: boolean;
}

type ProbeKey = "proxy.livenessProbe" | "proxy.readinessProbe" | "proxy.startupProbe";

export function renderProxyContainer(V: ValueReader, f: RenderFacts): ProxyContainerTemplate {
  const probe = (path: string, key: ProbeKey): JsonObject => {
    const cfg = V.map(key);
    const out: JsonObject = { httpGet: { path, port: f.ports.admin } };
    if (cfg) for (const k of sortedKeys(cfg)) out[k] = cfg[k] as JsonValue;
    return out;
  };
  const configured = V.map("proxy.securityContext");
  const fixedSecurityContext = configured !== undefined && Object.keys(configured).length > 0;
  const mounts: JsonValue[] = [
    { mountPath: "/var/run/linkerd/identity/end-entity", name: "linkerd-identity-end-entity" },
  ];
  if (f.tracing) mounts.push({ mountPath: "/var/run/linkerd/podinfo", name: "linkerd-podinfo" });
  if (f.projection) mounts.push({ mountPath: "/var/run/secrets/tokens", name: "linkerd-identity-token" });
  const proxy: JsonObject = {
    env: [],
    image: f.image,
    imagePullPolicy: f.pullPolicy,
    livenessProbe: probe("/live", "proxy.livenessProbe"),
    name: "linkerd-proxy",
    ports: [
      { containerPort: f.ports.inbound, name: "linkerd-proxy" },
      { containerPort: f.ports.admin, name: "linkerd-admin" },
    ],
    readinessProbe: probe("/ready", "proxy.readinessProbe"),
    resources: f.resources,
  };
  if (f.nativeSidecar) proxy["restartPolicy"] = "Always";
  proxy["securityContext"] =
    configured !== undefined && fixedSecurityContext ? clone(configured) : defaultSecurityContext(f);
  if (f.nativeSidecar && f.await) proxy["startupProbe"] = probe("/ready", "proxy.startupProbe");
  proxy["terminationMessagePolicy"] = "FallbackToLogsOnError";
  const lifecycle = f.nativeSidecar ? undefined : classicLifecycle(V, f);
  if (lifecycle !== undefined) proxy["lifecycle"] = lifecycle;
  proxy["volumeMounts"] = mounts;
  return { container: proxy, fixedSecurityContext };
}

/** The proxy container of one pod: its environment, and the app's capabilities and token mount. */
export function completeProxyContainer(t: ProxyContainerTemplate, env: JsonValue[], pod: PodFacts): JsonObject {
  const container: JsonObject = { ...t.container, env };
  const capabilities = t.fixedSecurityContext ? undefined : appCapabilities(pod);
  if (capabilities !== undefined) {
    const { allowPrivilegeEscalation, ...rest } = t.container["securityContext"] as JsonObject;
    container["securityContext"] = {
      allowPrivilegeEscalation: allowPrivilegeEscalation as JsonValue,
      capabilities,
      ...rest,
    };
  }
  if (pod.saMount !== undefined)
    container["volumeMounts"] = [...(t.container["volumeMounts"] as JsonValue[]), clone(pod.saMount)];
  return container;
}

export function renderDebugContainer(V: ValueReader): JsonObject {
  const version = V.str("debugContainer.image.version") || V.str("linkerdVersion");
  return {
    image: `${V.str("debugContainer.image.name")}:${version}`,
    imagePullPolicy: V.str("debugContainer.image.pullPolicy") || V.str("imagePullPolicy"),
    livenessProbe: { exec: { command: ["true"] } },
    name: "linkerd-debug",
    readinessProbe: { exec: { command: ["true"] } },
    terminationMessagePolicy: "FallbackToLogsOnError",
  };
}

function defaultSecurityContext(f: RenderFacts): JsonObject {
  const sc: JsonObject = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    runAsUser: f.uid,
  };
  if (f.gid >= 0) sc["runAsGroup"] = f.gid;
  sc["seccompProfile"] = { type: "RuntimeDefault" };
  return sc;
}

/** The app's own capabilities, which the proxy keeps (spec §3.2); `undefined` when it has none to keep. */
function appCapabilities(pod: PodFacts): JsonObject | undefined {
  if (pod.capabilities === undefined) return undefined;
  const caps: JsonObject = {};
  if (pod.capabilities.add.length > 0) caps["add"] = clone([...pod.capabilities.add]);
  if (pod.capabilities.drop.length > 0) caps["drop"] = clone([...pod.capabilities.drop]);
  return Object.keys(caps).length > 0 ? caps : undefined;
}

/** The classic layout has no startup ordering, so the proxy holds the app back with a postStart hook. */
function classicLifecycle(V: ValueReader, f: RenderFacts): JsonObject | undefined {
  const wait = V.num("proxy.waitBeforeExitSeconds");
  const lifecycle: JsonObject = {};
  if (f.await) {
    lifecycle["postStart"] = {
      exec: { command: ["/usr/lib/linkerd/linkerd-await", "--timeout=2m", `--port=${f.ports.admin}`] },
    };
  }
  if (wait > 0) lifecycle["preStop"] = { exec: { command: ["/bin/sleep", String(wait)] } };
  return Object.keys(lifecycle).length > 0 ? lifecycle : undefined;
}
