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
  // A place is joined only for a removal: the injected containers hold many entries, and few have anything to drop.
  const remove = (...at: (string | number)[]) => ops.push({ op: "remove", path: pointer(...spec, ...at) });
  for (const key of POD_SPEC_FALSE) if (holds(workload.podSpec, key, false)) remove(key);
  for (const list of ["initContainers", "containers"]) {
    const containers = workload.podSpec[list];
    if (!Array.isArray(containers)) continue;
    containers.forEach((c, i) => {
      if (!isObject(c)) return;
      for (const key of CONTAINER_FALSE) if (holds(c, key, false)) remove(list, i, key);
      if (holds(c, "resources", null)) remove(list, i, "resources");
      // An empty `resources` map is Go's zero ResourceRequirements, which Linkerd's output leaves out.
      if (isObject(c["resources"]) && Object.keys(c["resources"]).length === 0) remove(list, i, "resources");
      // By index: the pointer names each entry's place in the list, and objects() would lose it.
      const within = (field: string, key: string, zero: JsonValue) => {
        const items = c[field];
        if (!Array.isArray(items)) return;
        items.forEach((item, j) => {
          if (isObject(item) && holds(item, key, zero)) remove(list, i, field, j, key);
        });
      };
      within("env", "value", "");
      within("volumeMounts", "readOnly", false);
      within("ports", "hostPort", 0);
      for (const probe of PROBES) {
        const p = c[probe];
        if (isObject(p)) for (const key of PROBE_ZERO) if (holds(p, key, 0)) remove(list, i, probe, key);
      }
    });
  }
  return ops;
}

/** Whether `node` has `key`, holding `zero`. */
function holds(node: JsonObject, key: string, zero: JsonValue): boolean {
  return Object.hasOwn(node, key) && node[key] === zero;
}
