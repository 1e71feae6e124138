import { A, INJECT_ANNOTATION } from "./annotations.js";
import type { JsonValue, ValuePath, Values } from "./types.js";
import { getValue } from "./values.js";

/** Values paths whose change a CLI flag records as an annotation (spec §5.5, Linkerd's `getOverrideAnnotations`). */
const PLAIN: ReadonlyArray<readonly [ValuePath, string]> = [
  ["proxy.image.version", A.proxyVersion],
  ["proxyInit.ignoreInboundPorts", A.skipInboundPorts],
  ["proxyInit.ignoreOutboundPorts", A.skipOutboundPorts],
  ["proxy.ports.admin", A.adminPort],
  ["proxy.ports.control", A.controlPort],
  ["proxy.ports.inbound", A.inboundPort],
  ["proxy.ports.outbound", A.outboundPort],
  ["proxy.opaquePorts", A.opaquePorts],
  ["proxy.image.name", A.proxyImage],
  ["debugContainer.image.name", A.debugImage],
  ["debugContainer.image.version", A.debugImageVersion],
  ["proxy.image.pullPolicy", A.imagePullPolicy],
  ["proxy.uid", A.uid],
  ["proxy.logLevel", A.logLevel],
  ["proxy.logFormat", A.logFormat],
  ["proxy.requireIdentityOnInboundPorts", A.requireIdentity],
  ["proxy.enableExternalProfiles", A.externalProfiles],
  ["proxy.metrics.hostnameLabels", A.hostnameLabels],
  ["proxy.resources.cpu.request", A.cpuRequest],
  ["proxy.resources.cpu.limit", A.cpuLimit],
  ["proxy.resources.memory.request", A.memoryRequest],
  ["proxy.resources.memory.limit", A.memoryLimit],
  ["proxy.waitBeforeExitSeconds", A.waitBeforeExit],
  ["proxy.defaultInboundPolicy", A.defaultInboundPolicy],
  ["proxy.accessLog", A.accessLog],
  ["proxy.shutdownGracePeriod", A.shutdownGracePeriod],
  ["proxy.nativeSidecar", A.nativeSidecar],
];

/**
 * The annotations that record, on each workload, the settings of `configured` that differ from `base` (the
 * cluster's values): what `linkerd inject` writes for its flags (spec §5.5).
 *
 * @example
 * const configured = setValue(base, "proxy.ports.admin", 1234);
 * overrideAnnotations(configured.values, base) // { "config.linkerd.io/admin-port": "1234" }
 */
export function overrideAnnotations(configured: Values, base: Values): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, annotation] of PLAIN) {
    const now = getValue(configured, path) as JsonValue | undefined;
    if (!sameValue(now, getValue(base, path) as JsonValue | undefined) && now !== undefined && now !== null) out[annotation] = text(now);
  }
  const gid = getValue(configured, "proxy.gid");
  const baseGid = getValue(base, "proxy.gid");
  if (typeof gid === "number" && gid >= 0 && gid !== baseGid) out[A.gid] = String(gid);
  const awaitNow = getValue(configured, "proxy.await");
  if (typeof awaitNow === "boolean" && awaitNow !== getValue(base, "proxy.await")) {
    out[A.await] = awaitNow ? "enabled" : "disabled";
  }
  if (getValue(configured, "proxy.isIngress") === true && getValue(base, "proxy.isIngress") !== true) {
    out[INJECT_ANNOTATION] = "ingress";
  }
  return out;
}

function sameValue(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function text(v: JsonValue): string {
  if (typeof v === "string") return v;
  if (typeof v === "number") return Number.isInteger(v) ? v.toFixed(0) : String(v);
  return typeof v === "boolean" ? String(v) : JSON.stringify(v);
}
