import { CONTROL_PLANE_COMPONENT_LABEL, INJECT_ANNOTATION } from "./annotations.js";
import { decide } from "./decision.js";
import { isObject, stringMap } from "./json.js";
import { pointer } from "./patch.js";
import { transformEach, type Transformed } from "./transform.js";
import type { JsonObject, JsonValue, KubeObjectLike, PatchOperation, TransformResult } from "./types.js";
import { readWorkload, str, type Workload } from "./workload.js";

// Linkerd leaves linkerd-network-validator, linkerd-debug and linkerd-podinfo behind (spec §5.7), so that injecting
// an injected object duplicates them. We remove everything the injection adds, so that injection is idempotent.
const INIT_NAMES = new Set(["linkerd-init", "linkerd-proxy", "linkerd-network-validator"]);
const CONTAINER_NAMES = new Set(["linkerd-proxy", "linkerd-debug"]);
const PROXY_VOLUMES = new Set([
  "linkerd-identity-end-entity",
  "linkerd-proxy-init-xtables-lock",
  "linkerd-identity-token",
  "linkerd-podinfo",
]);

/**
 * Removes what Linkerd's injection added (spec §5.7): the proxy and init containers, their volumes, and the
 * `linkerd.io*` labels and annotations (except `linkerd.io/inject: disabled`). Unlike Linkerd, it also removes
 * `linkerd-debug`, `linkerd-network-validator` and `linkerd-podinfo`. Lists, maps and template metadata emptied by
 * the removal are removed too, so that uninjecting an injected object gives back the original. (`uninjectManifest`
 * adds the canonical removals the CLI prints with.)
 */
export function uninject<T extends KubeObjectLike | JsonValue>(input: T): TransformResult<T> {
  return transformEach(input, uninjectOne);
}

/**
 * The patch of {@link uninject} alone, for a caller that reports something else (re-injection reports the
 * injection): no decision or report is made for it.
 */
export function uninjectPatch(input: KubeObjectLike | JsonValue): PatchOperation[] {
  const object = input as JsonValue;
  if (isObject(object) && object["kind"] === "List" && Array.isArray(object["items"])) {
    return object["items"].flatMap((item, i) => removals(readWorkload(item), ["items", i]).ops);
  }
  return removals(readWorkload(object), []).ops;
}

function uninjectOne(input: JsonValue, root: readonly (string | number)[]): Transformed {
  const workload = readWorkload(input);
  // The report says what Linkerd's checks make of the object, as the CLI's would (the token projection's default).
  const decision = decide(workload, { origin: "cli", tokenProjection: true, namespaceAnnotations: {} });
  const { ops, changed } = removals(workload, root);
  return { workload, decision, effect: { ok: true, patch: ops, outcome: changed ? "uninjected" : "skipped" } };
}

function removals(workload: Workload, root: readonly (string | number)[]): { ops: PatchOperation[]; changed: boolean } {
  const ops: PatchOperation[] = [];
  let changed = false;
  const hasTemplate = workload.templatePath !== undefined;
  if (hasTemplate || workload.kind === "namespace" || workload.kind === "service") {
    const stripped = stripMetadata(workload.metadata, [...root, "metadata"]);
    ops.push(...stripped.ops);
    changed ||= stripped.changedAnnotations;
  }
  if (hasTemplate) {
    const template = [...root, ...(workload.templatePath as readonly string[])];
    if (workload.templatePath?.length !== 0) {
      const stripped = stripMetadata(workload.podMeta, [...template, "metadata"]);
      // A template whose metadata held nothing but Linkerd's keys had none before injection.
      const emptied = stripped.removedMaps === Object.keys(workload.podMeta).length && stripped.removedMaps > 0;
      ops.push(...(emptied ? [{ op: "remove" as const, path: pointer(...template, "metadata") }] : stripped.ops));
      changed ||= stripped.changedAnnotations;
    }
    const spec = workload.podSpec;
    const removed = [
      removeNamed(spec["initContainers"], [...template, "spec", "initContainers"], (n) => INIT_NAMES.has(n)),
      removeNamed(spec["containers"], [...template, "spec", "containers"], (n) => CONTAINER_NAMES.has(n)),
    ];
    for (const r of removed) ops.push(...r.ops);
    changed ||= removed.some((r) => r.count > 0);
    ops.push(...removeNamed(spec["volumes"], [...template, "spec", "volumes"], (n) => PROXY_VOLUMES.has(n)).ops);
  }
  return { ops, changed };
}

function stripMetadata(
  meta: JsonObject,
  at: readonly (string | number)[],
): { ops: PatchOperation[]; changedAnnotations: boolean; removedMaps: number } {
  if (CONTROL_PLANE_COMPONENT_LABEL in stringMap(meta["labels"]))
    return { ops: [], changedAnnotations: false, removedMaps: 0 };
  const annotations = removeKeys(
    meta["annotations"],
    [...at, "annotations"],
    (k, v) => k.startsWith("linkerd.io") && !(k === INJECT_ANNOTATION && v === "disabled"),
  );
  const labels = removeKeys(meta["labels"], [...at, "labels"], (k) => k.startsWith("linkerd.io"));
  const removedMaps = [annotations, labels].filter((r) => r.whole).length;
  return { ops: [...annotations.ops, ...labels.ops], changedAnnotations: annotations.count > 0, removedMaps };
}

function removeKeys(
  map: JsonValue | undefined,
  at: readonly (string | number)[],
  drop: (key: string, value: JsonValue) => boolean,
): { ops: PatchOperation[]; count: number; whole: boolean } {
  if (!isObject(map)) return { ops: [], count: 0, whole: false };
  const keys = Object.keys(map).filter((k) => drop(k, map[k] as JsonValue));
  if (keys.length === 0) return { ops: [], count: 0, whole: false };
  if (keys.length === Object.keys(map).length) {
    return { ops: [{ op: "remove", path: pointer(...at) }], count: keys.length, whole: true };
  }
  return {
    ops: keys.map((k) => ({ op: "remove" as const, path: pointer(...at, k) })),
    count: keys.length,
    whole: false,
  };
}

function removeNamed(
  list: JsonValue | undefined,
  at: readonly (string | number)[],
  drop: (name: string) => boolean,
): { ops: PatchOperation[]; count: number } {
  if (!Array.isArray(list)) return { ops: [], count: 0 };
  const indexes = list.flatMap((item, i) => (isObject(item) && drop(str(item["name"])) ? [i] : []));
  if (indexes.length === 0) return { ops: [], count: 0 };
  if (indexes.length === list.length) return { ops: [{ op: "remove", path: pointer(...at) }], count: indexes.length };
  // Highest index first, so that each removal leaves the indexes of the next ones valid.
  return {
    ops: indexes.reverse().map((i) => ({ op: "remove" as const, path: pointer(...at, i) })),
    count: indexes.length,
  };
}
