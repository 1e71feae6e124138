import { isObject } from "./json.js";
import type { JsonObject, JsonValue } from "./types.js";

/** Where each injectable kind keeps its pod template (spec §1.1). Keys are lower-cased kinds. */
const TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
  deployment: ["spec", "template"],
  replicationcontroller: ["spec", "template"],
  replicaset: ["spec", "template"],
  job: ["spec", "template"],
  daemonset: ["spec", "template"],
  statefulset: ["spec", "template"],
  cronjob: ["spec", "jobTemplate", "spec", "template"],
  pod: [],
};

/** A parsed Kubernetes object as the injector sees it. */
export interface Workload {
  /** Lower-cased kind, `""` when absent. */
  kind: string;
  hasKind: boolean;
  name: string;
  namespace: string;
  metadata: JsonObject;
  /** The object itself (an empty map when the document is not a map). */
  raw: JsonObject;
  /** Whether the pod template (or Pod) has a `metadata` map. */
  hasPodMeta: boolean;
  /** Path segments of the pod template (empty for a Pod), or `undefined` when the kind has none. */
  templatePath: readonly string[] | undefined;
  /** The pod template's metadata and spec (for a Pod, its own). */
  podMeta: JsonObject;
  podSpec: JsonObject;
}

export function readWorkload(object: JsonValue): Workload {
  const obj = isObject(object) ? object : {};
  const rawKind = obj["kind"];
  const hasKind = typeof rawKind === "string" && rawKind !== "";
  const kind = hasKind ? (rawKind as string).toLowerCase() : "";
  const metadata = isObject(obj["metadata"]) ? obj["metadata"] : {};
  let name = typeof metadata["name"] === "string" ? metadata["name"] : "";
  if (kind === "pod" && name === "" && typeof metadata["generateName"] === "string") name = metadata["generateName"];
  const namespace = typeof metadata["namespace"] === "string" ? metadata["namespace"] : "";
  const templatePath = Object.hasOwn(TEMPLATE_PATHS, kind) ? TEMPLATE_PATHS[kind] : undefined;
  let podMeta: JsonObject = {};
  let podSpec: JsonObject = {};
  let hasPodMeta = false;
  if (templatePath) {
    const template = dig(obj, templatePath);
    if (isObject(template)) {
      hasPodMeta = isObject(template["metadata"]);
      podMeta = isObject(template["metadata"]) ? template["metadata"] : {};
      podSpec = isObject(template["spec"]) ? template["spec"] : {};
    }
  }
  return { kind, hasKind, name, namespace, metadata, raw: obj, hasPodMeta, templatePath, podMeta, podSpec };
}

export function dig(value: JsonValue | undefined, path: readonly (string | number)[]): JsonValue | undefined {
  let node = value;
  for (const part of path) {
    if (typeof part === "number") {
      if (!Array.isArray(node)) return undefined;
      node = node[part];
    } else {
      if (!isObject(node) || !Object.hasOwn(node, part)) return undefined;
      node = node[part];
    }
  }
  return node;
}

/** The objects of a list field (containers, volumes, ...), skipping anything that is not an object. */
export function objects(value: JsonValue | undefined): JsonObject[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

export function str(value: JsonValue | undefined): string {
  return typeof value === "string" ? value : "";
}
