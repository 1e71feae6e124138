/** The proxy's init container: `linkerd-init`, or `linkerd-network-validator` in CNI mode (spec §3.3, §3.4). */
import { clone } from "./json.js";
import { RenderError, type RenderFacts, type ValueReader } from "./render-values.js";
import type { JsonObject, JsonValue } from "./types.js";
import type { PodFacts } from "./pod-facts.js";
import { str } from "./workload.js";

/** `linkerd-init` takes the app's capabilities and service-account mount; the network validator takes neither. */
export interface InitTemplate {
  /** The container for a pod whose first container has neither. */
  readonly container: JsonObject;
  readonly takesPodParts: boolean;
}

export function renderInitContainer(V: ValueReader, f: RenderFacts): InitTemplate {
  if (f.cni) return { container: networkValidator(V, f), takesPodParts: false };
  const args = initArgs(V, f);
  const privileged = Boolean(V.num("proxyInit.closeWaitTimeoutSecs")) || V.bool("proxyInit.privileged");
  const securityContext: JsonObject = {
    allowPrivilegeEscalation: privileged,
    capabilities: initCapabilities(undefined),
    privileged,
    readOnlyRootFilesystem: true,
  };
  if (V.bool("proxyInit.runAsRoot")) {
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
  const container: JsonObject = {
    args,
    command: ["/usr/lib/linkerd/linkerd2-proxy-init"],
    image: f.image,
    imagePullPolicy: f.pullPolicy,
    name: "linkerd-init",
    resources: f.resources,
    securityContext,
    terminationMessagePolicy: "FallbackToLogsOnError",
    volumeMounts: [{ mountPath: str(xtMount["mountPath"]), name: str(xtMount["name"]) }],
  };
  return { container, takesPodParts: true };
}

/** The init container of one pod: the template, with the app's capabilities and service-account mount. */
export function completeInitContainer(t: InitTemplate, pod: PodFacts): JsonObject {
  if (!t.takesPodParts || (pod.capabilities === undefined && pod.saMount === undefined)) return t.container;
  const sc = t.container["securityContext"] as JsonObject;
  const mounts = t.container["volumeMounts"] as JsonValue[];
  return {
    ...t.container,
    securityContext: pod.capabilities === undefined ? sc : { ...sc, capabilities: initCapabilities(pod.capabilities) },
    volumeMounts: pod.saMount === undefined ? mounts : [...mounts, clone(pod.saMount)],
  };
}

function initArgs(V: ValueReader, f: RenderFacts): string[] {
  const mode = V.str("proxyInit.iptablesMode");
  const args: string[] = [];
  if (mode === "nft") args.push("--firewall-bin-path", "iptables-nft", "--firewall-save-bin-path", "iptables-nft-save");
  else if (mode !== "legacy") {
    throw new RenderError(`Unsupported value "${mode}" for proxyInit.iptablesMode\nValid values: ["nft", "legacy"]`);
  }
  if (f.disableIPv6) args.push("--ipv6=false");
  args.push("--incoming-proxy-port", String(f.ports.inbound), "--outgoing-proxy-port", String(f.ports.outbound));
  args.push("--proxy-uid", String(f.uid));
  if (f.gid >= 0) args.push("--proxy-gid", String(f.gid));
  const ignoreIn = V.text("proxyInit.ignoreInboundPorts");
  args.push("--inbound-ports-to-ignore", `${f.ports.control},${f.ports.admin}${ignoreIn ? `,${ignoreIn}` : ""}`);
  const ignoreOut = V.text("proxyInit.ignoreOutboundPorts");
  if (ignoreOut) args.push("--outbound-ports-to-ignore", ignoreOut);
  const closeWait = V.num("proxyInit.closeWaitTimeoutSecs");
  if (closeWait) {
    if (!V.bool("proxyInit.runAsRoot"))
      throw new RenderError("proxyInit.runAsRoot must be set to use proxyInit.closeWaitTimeoutSecs");
    args.push("--timeout-close-wait-secs", String(closeWait));
  }
  if (V.str("proxyInit.logFormat")) args.push("--log-format", V.str("proxyInit.logFormat"));
  if (V.str("proxyInit.logLevel")) args.push("--log-level", V.str("proxyInit.logLevel"));
  if (V.text("proxyInit.skipSubnets")) args.push("--subnets-to-ignore", V.text("proxyInit.skipSubnets"));
  return args;
}

/** iptables needs NET_ADMIN and NET_RAW whatever the app drops; the app's other capabilities are kept. */
function initCapabilities(app: PodFacts["capabilities"]): JsonObject {
  // Copied, so that the patch shares nothing with the pod it came from.
  const capabilities: JsonObject = { add: ["NET_ADMIN", "NET_RAW", ...(app?.add ?? []).map((c) => clone(c))] };
  const drops = (app?.drop ?? []).filter((c) => c !== "NET_ADMIN" && c !== "NET_RAW").map((c) => clone(c));
  if (drops.length > 0) capabilities["drop"] = drops;
  return capabilities;
}

function networkValidator(V: ValueReader, f: RenderFacts): JsonObject {
  const connect = V.str("networkValidator.connectAddr") || (f.disableIPv6 ? "1.1.1.1:20001" : "[fd00::1]:20001");
  const listen = V.str("networkValidator.listenAddr") || (f.disableIPv6 ? "0.0.0.0:4140" : "[::]:4140");
  const sc = V.map("networkValidator.securityContext");
  return {
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
    image: f.image,
    imagePullPolicy: f.pullPolicy,
    name: "linkerd-network-validator",
    resources: f.resources,
    securityContext: sc ? clone(sc) : {},
  };
}
