import { isObject } from "../json.js";
import type { JsonObject, JsonValue } from "../types.js";

/**
 * A pod as kube-apiserver v1.20 stores and returns it (pkg/apis/core/v1/defaults.go): container and probe defaults
 * filled in, empty strings left out, requests defaulted from limits, volume modes, field references' apiVersion, the ServiceAccount token
 * volume mounted into the app containers, and status and server metadata added. Audits compare such pods with the
 * core's own output, which never has these.
 */
export function asStored(pod: JsonValue): JsonObject {
  const out = structuredClone(pod) as JsonObject;
  const meta = out["metadata"] as JsonObject;
  meta["uid"] = "0b8ce4a4-4f0e-4e5e-9d55-3f9b4f0f1a11";
  meta["resourceVersion"] = "4711";
  meta["creationTimestamp"] = "2026-08-01T10:00:00Z";
  const spec = out["spec"] as JsonObject;
  spec["restartPolicy"] ??= "Always";
  spec["dnsPolicy"] ??= "ClusterFirst";
  spec["schedulerName"] ??= "default-scheduler";
  spec["terminationGracePeriodSeconds"] ??= 30;
  spec["securityContext"] ??= {};
  spec["serviceAccountName"] ??= "default";
  spec["serviceAccount"] ??= "default";
  spec["priority"] ??= 0;
  spec["enableServiceLinks"] ??= true;
  spec["preemptionPolicy"] ??= "PreemptLowerPriority";
  spec["tolerations"] ??= [
    { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
  ];
  for (const list of ["initContainers", "containers"]) {
    for (const container of (spec[list] as JsonObject[] | undefined) ?? []) defaultContainer(container);
  }
  for (const volume of (spec["volumes"] as JsonObject[] | undefined) ?? []) walk(volume, defaultVolumeField);
  out["status"] = { phase: "Pending", qosClass: "BestEffort" };
  return out;
}

function defaultContainer(container: JsonObject): void {
  container["terminationMessagePath"] ??= "/dev/termination-log";
  container["terminationMessagePolicy"] ??= "File";
  container["imagePullPolicy"] ??= String(container["image"]).endsWith(":latest") ? "Always" : "IfNotPresent";
  container["resources"] ??= {};
  const resources = container["resources"] as JsonObject;
  if (isObject(resources["limits"])) {
    resources["requests"] = {
      ...resources["limits"],
      ...(isObject(resources["requests"]) ? resources["requests"] : {}),
    };
  }
  // Go's `omitempty`: an empty string is not written back (an env var's `value: ""` comes back without `value`).
  dropEmptyStrings(container);
  walk(container, (key, value) => {
    if (key === "ports" && Array.isArray(value)) for (const p of value) if (isObject(p)) p["protocol"] ??= "TCP";
    if (key === "fieldRef" && isObject(value)) value["apiVersion"] ??= "v1";
    if (/^(liveness|readiness|startup)Probe$/.test(key) && isObject(value)) {
      value["timeoutSeconds"] ??= 1;
      value["periodSeconds"] ??= 10;
      value["successThreshold"] ??= 1;
      value["failureThreshold"] ??= 3;
      if (isObject(value["httpGet"])) value["httpGet"]["scheme"] ??= "HTTP";
    }
  });
}

function defaultVolumeField(key: string, value: JsonValue): void {
  if ((key === "projected" || key === "secret" || key === "configMap" || key === "downwardAPI") && isObject(value))
    value["defaultMode"] ??= 420;
  if (key === "serviceAccountToken" && isObject(value)) value["expirationSeconds"] ??= 3600;
}

function walk(value: JsonValue, visit: (key: string, value: JsonValue) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, visit);
  } else if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      visit(key, child);
      walk(child, visit);
    }
  }
}

function dropEmptyStrings(value: JsonValue): void {
  if (Array.isArray(value)) for (const item of value) dropEmptyStrings(item);
  else if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (child === "") delete value[key];
      else dropEmptyStrings(child);
    }
  }
}
