import { isObject } from "./json.js";
import type { JsonObject, JsonValue } from "./types.js";
import { objects, str } from "./workload.js";

/** Where Kubernetes mounts a pod's service-account token (spec §1.5). */
export const SA_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";

/** What the proxy spec takes from the pod it goes into; everything else comes from the values. */
export interface PodFacts {
  podSpec: JsonObject;
  /** The first container's service-account token mount, as the proxy's containers mount it too. */
  saMount: JsonObject | undefined;
  /** The first container's `securityContext.capabilities`, when it is a map. */
  capabilities: { add: readonly JsonValue[]; drop: readonly JsonValue[] } | undefined;
  /** Labels and annotations of the pod, for tracing attributes. */
  podLabels: Readonly<Record<string, string>>;
  podAnnotations: Readonly<Record<string, string>>;
  /** `config.linkerd.io/enable-debug-sidecar`: the one setting that is not a value. */
  debugSidecar: boolean;
}

export function readPodFacts(
  podSpec: JsonObject,
  meta: Pick<PodFacts, "podLabels" | "podAnnotations" | "debugSidecar">,
): PodFacts {
  const first = objects(podSpec["containers"])[0];
  const saMount = objects(first?.["volumeMounts"]).find((m) => m["mountPath"] === SA_MOUNT_PATH);
  const caps = first && isObject(first["securityContext"]) ? first["securityContext"]["capabilities"] : undefined;
  return {
    podSpec,
    saMount: saMount
      ? { mountPath: SA_MOUNT_PATH, name: str(saMount["name"]), readOnly: saMount["readOnly"] === true }
      : undefined,
    capabilities: isObject(caps)
      ? { add: Array.isArray(caps["add"]) ? caps["add"] : [], drop: Array.isArray(caps["drop"]) ? caps["drop"] : [] }
      : undefined,
    ...meta,
  };
}
