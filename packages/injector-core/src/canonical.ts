import { isObject } from "./json.js";
import { pointer } from "./patch.js";
import type { JsonObject, JsonValue, PatchOperation } from "./types.js";
import { readWorkload } from "./workload.js";

/**
 * `remove` ops that bring a workload's pod spec to what Kubernetes' typed serialisation prints: Go `omitempty`
 * fields holding their zero value (`hostNetwork: false`, `initialDelaySeconds: 0`, env `value: ""`) and `null` or
 * empty container resources are dropped, as `linkerd inject` output has them dropped. Meaning is unchanged: the API server
 * reads absent and zero alike. Handles `List` items. The CLI applies these to its output; the webhook does not need
 * them.
 *
 * @example
 * canonicalRemovals({ kind: "Pod", spec: { hostNetwork: false, containers: [] } })
 * // [{ op: "remove", path: "/spec/hostNetwork" }]
 */
export function canonicalRemovals(object: JsonValue): PatchOperation[] {
  if (isObject(object) && object["kind"] === "List" && Array.isArray(object["items"])) {
    return object["items"].flatMap((item, i) => removalsOf(item, ["items", i]));
  }
  return removalsOf(object, []);
}

const POD_SPEC_FALSE = ["hostNetwork", "hostPID", "hostIPC"];
const CONTAINER_FALSE = ["stdin", "stdinOnce", "tty"];
const PROBES = ["livenessProbe", "readinessProbe", "startupProbe"];
const PROBE_ZERO = ["initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"];

function removalsOf(object: JsonValue, root: readonly (string | number)[]): PatchOperation[] {
  const workload = readWorkload(object);
  if (workload.templatePath === undefined) return [];
  const spec = [...root, ...workload.templatePath, "spec"];
  const ops: PatchOperation[] = [];
  const drop = (node: JsonObject, at: readonly (string | number)[], key: string, zero: JsonValue) => {
    if (Object.hasOwn(node, key) && node[key] === zero) ops.push({ op: "remove", path: pointer(...at, key) });
  };
  for (const key of POD_SPEC_FALSE) drop(workload.podSpec, spec, key, false);
  for (const list of ["initContainers", "containers"]) {
    const containers = workload.podSpec[list];
    if (!Array.isArray(containers)) continue;
    containers.forEach((c, i) => {
      if (!isObject(c)) return;
      const at = [...spec, list, i];
      for (const key of CONTAINER_FALSE) drop(c, at, key, false);
      drop(c, at, "resources", null);
      // An empty `resources` map is Go's zero ResourceRequirements, which Linkerd's output leaves out.
      if (isObject(c["resources"]) && Object.keys(c["resources"]).length === 0)
        ops.push({ op: "remove", path: pointer(...at, "resources") });
      // By index: the pointer names each entry's place in the list, and objects() would lose it.
      const within = (list: string, key: string, zero: JsonValue) => {
        const items = c[list];
        if (!Array.isArray(items)) return;
        items.forEach((item, j) => {
          if (isObject(item)) drop(item, [...at, list, j], key, zero);
        });
      };
      within("env", "value", "");
      within("volumeMounts", "readOnly", false);
      within("ports", "hostPort", 0);
      for (const probe of PROBES) {
        const p = c[probe];
        if (isObject(p)) for (const key of PROBE_ZERO) drop(p, [...at, probe], key, 0);
      }
    });
  }
  return ops;
}
