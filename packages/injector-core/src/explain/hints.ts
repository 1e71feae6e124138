import { INJECT_ANNOTATION } from "../annotations.js";
import { stringMap } from "../json.js";
import { SETTING_BY_ANNOTATION } from "../settings.js";
import type { JsonValue } from "../types.js";
import { readWorkload, type Workload } from "../workload.js";
import type { Hint, NamespaceFacts } from "./types.js";

const VALID_INJECT = ["enabled", "disabled", "ingress"];
const CONFIG_PREFIXES = ["config.linkerd.io/", "config.alpha.linkerd.io/", "config.beta.linkerd.io/"];
/** `config.linkerd.io/*` keys that are meaningful without being proxy settings. */
const NOT_SETTINGS = new Set(["config.linkerd.io/admission-webhooks"]);

/**
 * Hints for the classic mistakes that keep a workload from being injected, as far as the object and its namespace
 * show them: `linkerd.io/inject` on the workload's own metadata rather than its pod template's, as a label rather
 * than an annotation, with a misspelt value; `config.*` annotations the injector does not read. Cheap, and it reads
 * no webhook configuration: the webhook gives these hints in its admission warnings.
 *
 * @example
 * findHints({ kind: "Deployment", metadata: { name: "web", annotations: { "linkerd.io/inject": "enabled" } },
 *             spec: { template: { metadata: {}, spec: { containers: [] } } } })
 * // [{ code: "annotation_on_workload_metadata", message: 'deployment "web" has linkerd.io/inject: enabled ...' }]
 */
export function findHints(object: JsonValue, context: { namespace?: NamespaceFacts | undefined } = {}): Hint[] {
  return workloadHints(readWorkload(object), context.namespace);
}

export function workloadHints(workload: Workload, namespace: NamespaceFacts | undefined): Hint[] {
  const hints: Hint[] = [];
  const what = `${workload.kind || "object"} "${workload.name}"`;
  const templateAt = templateMetadataPath(workload);
  const podAnnotations = stringMap(workload.podMeta["annotations"]);
  const podLabels = stringMap(workload.podMeta["labels"]);
  const ownAnnotations = stringMap(workload.metadata["annotations"]);
  const ownLabels = stringMap(workload.metadata["labels"]);
  const isPod = workload.kind === "pod";

  if (!isPod && workload.templatePath !== undefined) {
    const misplaced = Object.keys(ownAnnotations).filter(
      (key) => (key === INJECT_ANNOTATION || isConfigKey(key)) && podAnnotations[key] === undefined,
    );
    if (misplaced.length > 0) {
      const listed = misplaced.map((key) => `${key}: ${ownAnnotations[key]}`).join(", ");
      hints.push({
        code: "annotation_on_workload_metadata",
        message: `${what} has ${listed} on its own metadata, which the injector never reads: it reads the pods' annotations, so move ${misplaced.length === 1 ? "it" : "them"} to ${templateAt}.annotations`,
      });
    }
  }

  const labelled: string[] = [];
  if (podLabels[INJECT_ANNOTATION] !== undefined) labelled.push(isPod ? "the pod's labels" : `${templateAt}.labels`);
  if (!isPod && ownLabels[INJECT_ANNOTATION] !== undefined) labelled.push(`the ${workload.kind}'s own labels`);
  if (namespace?.labels?.[INJECT_ANNOTATION] !== undefined) labelled.push(`namespace "${namespace.name}"'s labels`);
  for (const where of labelled) {
    const target = where.startsWith("namespace") ? "the namespace's annotations" : `${templateAt}.annotations`;
    hints.push({
      code: "inject_label_not_annotation",
      message: `linkerd.io/inject is set in ${where}; the injector reads it only as an annotation: set it under ${target}`,
    });
  }

  const values: Array<[string, string | undefined]> = [
    [isPod ? "the pod's annotation" : `the annotation at ${templateAt}.annotations`, podAnnotations[INJECT_ANNOTATION]],
    [`namespace "${namespace?.name ?? ""}"'s annotation`, namespace?.annotations?.[INJECT_ANNOTATION]],
  ];
  if (!isPod) values.push([`the ${workload.kind}'s own annotation`, ownAnnotations[INJECT_ANNOTATION]]);
  for (const [where, value] of values) {
    if (value === undefined || VALID_INJECT.includes(value)) continue;
    const meant = intendedInjectValue(value);
    hints.push({
      code: "invalid_inject_value",
      message: `${where} linkerd.io/inject: "${value}" is not a value the injector knows (enabled, disabled or ingress)${meant === undefined ? "" : `: did you mean "${meant}"?`}`,
    });
  }

  for (const key of Object.keys(podAnnotations)) {
    if (!isConfigKey(key) || SETTING_BY_ANNOTATION.has(key) || NOT_SETTINGS.has(key)) continue;
    const near = closestAnnotation(key);
    hints.push({
      code: "unknown_config_annotation",
      message: `${key} is not an annotation the injector reads, so it changes nothing${near === undefined ? "" : `: did you mean ${near}?`}`,
    });
  }
  return hints;
}

function isConfigKey(key: string): boolean {
  return CONFIG_PREFIXES.some((prefix) => key.startsWith(prefix));
}

/** Where the workload's pods take their metadata from, as a user writes the path. */
export function templateMetadataPath(workload: Workload): string {
  const path = workload.templatePath ?? [];
  return path.length === 0 ? "metadata" : `${path.join(".")}.metadata`;
}

/** What a misspelt `linkerd.io/inject` most likely meant. */
function intendedInjectValue(value: string): string | undefined {
  const v = value.trim().toLowerCase();
  if (VALID_INJECT.includes(v)) return v;
  if (["true", "yes", "on", "enable", "1", "y", "inject", "injected"].includes(v)) return "enabled";
  if (["false", "no", "off", "disable", "0", "n", "none"].includes(v)) return "disabled";
  return VALID_INJECT.find((valid) => editDistance(v, valid) <= 2);
}

function closestAnnotation(key: string): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const known of SETTING_BY_ANNOTATION.keys()) {
    const distance = editDistance(key, known);
    if (distance <= 3 && (best === undefined || distance < best.distance)) best = { key: known, distance };
  }
  return best?.key;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}
