import {
  findHints,
  injectAdmission,
  reasonSentences,
  type Configuration,
  type JsonObject,
  type JsonValue,
  type ReasonCode,
} from "@l5d-injector/injector-core";
import type { AdmissionRequest, AdmissionResponse } from "./admission.js";
import { abortable, startDeadline } from "./deadline.js";
import {
  describeLookupFailure,
  LookupError,
  type EventRecorder,
  type KubeLookups,
  type OwnerReference,
} from "./kube.js";
import type { ReviewLabels, ReviewOutcome, WebhookMetrics } from "./metrics.js";
import { directOwner, readOwnerReferences, resolveOwner, type ResolvedOwner } from "./owner.js";
import type { PatchEncoder } from "./patch-text.js";

/**
 * The default `--review-timeout`: a review's look-ups all end by then, and the answer goes out. It must stay below
 * the MutatingWebhookConfiguration's `timeoutSeconds` (10 s in deploy/, Linkerd's default) with room for the network
 * and a busy event loop: past that the API server no longer listens and applies the failurePolicy instead.
 */
export const DEFAULT_REVIEW_TIMEOUT_MS = 8000;

/** What the handler needs of the configuration: prepared once per values/trust-roots change, never per request. */
export type ConfigSnapshot =
  | {
      ok: true;
      /** The core's prepared configuration, with the control plane's namespace (`--linkerd-namespace`). */
      configuration: Configuration;
      /** False on clusters older than Kubernetes 1.29, where the values already say `proxy.nativeSidecar: false`. */
      nativeSidecars: boolean;
      /** e.g. `v1.20.2`, for the warning given when a pod asks for native sidecars anyway. */
      clusterVersion?: string;
      /** Writes this configuration's patches as JSON (`createPatchEncoder`, one per configuration). */
      encodePatch: PatchEncoder;
    }
  | { ok: false; message: string };

export interface ReviewDeps {
  config: () => ConfigSnapshot;
  /** Absent when look-ups are off (`--dev`, no cluster): namespaces count as unannotated, owners are not followed. */
  lookups?: KubeLookups | undefined;
  events: EventRecorder;
  metrics: WebhookMetrics;
  /** The `linkerd.io/created-by` value, e.g. `l5d-injector/webhook 0.1.0`. */
  createdBy: string;
  /** Milliseconds, monotonic (`performance.now`): the review deadline's clock. */
  clock: () => number;
  /** Every look-up of a review ends within this (default DEFAULT_REVIEW_TIMEOUT_MS). */
  reviewTimeoutMs?: number | undefined;
}

/** The answer to one review plus what the app logs about it. */
export interface ReviewResult {
  response: AdmissionResponse;
  outcome: ReviewOutcome;
  kind: string;
  namespace: string;
  name: string;
  /** Reason codes joined by `,` (skips), or the error message. */
  reason: string;
  owner?: string;
  /** Problems worth a log line that did not change the answer (a failed owner look-up). */
  notes: string[];
}

const INJECTED_MESSAGE = "Linkerd sidecar proxy injected";
const SKIPPED_MESSAGE = "Linkerd sidecar proxy injection skipped";

/**
 * Linkerd's `Inject` handler flow (spec §6.3): namespace and owner look-ups here, everything pure in the core.
 * Expected outcomes (skips, render errors) are values; a thrown error is a bug or an unreachable API and is
 * answered by the app as Linkerd answers handler errors.
 */
export async function reviewRequest(request: AdmissionRequest, deps: ReviewDeps): Promise<ReviewResult> {
  const uid = request.uid;
  const object = request.object;
  const meta = isRecord(object) && isRecord(object["metadata"]) ? object["metadata"] : {};
  // The object's own kind wins over the request's, as in Linkerd's parsing (spec §6.3 step 2).
  const rawKind = isRecord(object) && typeof object["kind"] === "string" && object["kind"] !== "" ? object["kind"] : "";
  const kind = (rawKind || request.kind?.kind || "").toLowerCase();
  const namespace = request.namespace ?? (typeof meta["namespace"] === "string" ? meta["namespace"] : "");
  const name = stringField(meta, "name") || stringField(meta, "generateName") || request.name || "";
  const notes: string[] = [];
  // Results are built field by field, not spread from a shared base: on Node 20 objects made by spread survived
  // young-generation collections (measured with --trace-gc-nvp), and a review makes one per request.
  const finish = (
    outcome: ReviewOutcome,
    reason: string,
    response: AdmissionResponse,
    owner?: string | undefined,
  ): ReviewResult => {
    const result: ReviewResult = { response, outcome, kind, namespace, name, reason, notes };
    if (owner !== undefined) result.owner = owner;
    return result;
  };
  const fail = (message: string): ReviewResult =>
    finish("error", message, { uid, allowed: false, status: { message } });

  if (!isRecord(object)) return fail(`admission request has no object to review (got ${describeValue(object)})`);
  // The MutatingWebhookConfiguration only sends Pods and Services; anything else is let through untouched rather
  // than having its pod template rewritten behind the user's back.
  if (kind !== "pod" && kind !== "service") {
    return finish("skipped", "unsupported_resource", { uid, allowed: true });
  }

  const config = deps.config();
  if (!config.ok) return fail(config.message);

  const podMeta = { name, ownerReferences: kind === "pod" ? readOwnerReferences(meta["ownerReferences"]) : [] };
  let namespaceAnnotations: Record<string, string> = {};
  let owner: ResolvedOwner | undefined;
  const lookups = deps.lookups;
  if (lookups === undefined) {
    if (kind === "pod") owner = directOwner(podMeta, namespace);
  } else {
    const timeoutMs = deps.reviewTimeoutMs ?? DEFAULT_REVIEW_TIMEOUT_MS;
    // Look-ups stop a little early: building and sending the answer (for many reviews whose deadlines fire together,
    // on one busy event loop) must also fit before the deadline.
    const deadline = startDeadline(timeoutMs - Math.min(250, timeoutMs * 0.1), deps.clock);
    const note = (message: string) => notes.push(message);
    try {
      if (kind === "pod") {
        // The owner first: a ReplicaSet or Job read from the API just now is what makes the namespace look-up read
        // through the watch (kube.ts says why). It gets half the deadline: the owner is optional, the namespace not.
        const budget = deadline.within(deadline.timeoutMs / 2);
        try {
          owner = await abortable(resolveOwner(podMeta, namespace, lookups, { budget, note }), budget.signal);
        } catch (error) {
          owner = unresolvedOwner(podMeta, namespace, error);
        } finally {
          budget.dispose();
        }
        // An owner that could not be read never fails the review: the pod is injected without an owner label.
        const failed = owner.lookupError;
        if (failed !== undefined) {
          note(`owner look-up failed (${failed.reason}), injecting without an owner label: ${failed.message}`);
          deps.metrics.countOwnerLookupFailure(failed.ownerKind, failed.reason);
        }
      }
      let ns;
      try {
        ns = await abortable(lookups.namespace(namespace, { budget: deadline, note }), deadline.signal);
      } catch (error) {
        return fail(namespaceFailure(namespace, error, timeoutMs));
      }
      if (ns === null) return fail(`namespace "${namespace}" not found`);
      namespaceAnnotations = stringMap(ns.annotations);
    } finally {
      deadline.dispose();
    }
  }

  const coreOwner =
    owner !== undefined && owner.lookupError === undefined ? { kind: owner.kind, name: owner.name } : undefined;

  const ownAnnotations = stringMap(meta["annotations"]);
  const labels: ReviewLabels = {
    ownerKind: coreOwner?.kind ?? "",
    namespace,
    annotationAt: "",
    annotations: ownAnnotations,
    podSpec: isRecord(object["spec"]) ? (object["spec"] as JsonObject) : {},
    dryRun: request.dryRun === true,
  };

  const result = injectAdmission(object as JsonValue, {
    configuration: config.configuration,
    namespace,
    namespaceAnnotations,
    owner: coreOwner,
    createdBy: deps.createdBy,
  });
  const report = result.reports[0];
  if (report !== undefined) labels.annotationAt = report.annotationAt;
  deps.metrics.countRequest(labels);
  if (!result.ok) return fail(result.issues.map((issue) => issue.message).join("; "));
  if (report === undefined) return fail(`the injector returned no report for ${kind}/${name}`);

  const ownerName = owner !== undefined ? `${owner.kind}/${owner.name}` : undefined;
  // Dry runs promise no side effects (sideEffects: None): no events for them. Linkerd emits them anyway.
  const emit = (reason: string, message: string) => {
    if (owner?.parent !== undefined && request.dryRun !== true) {
      deps.events.record({ involvedObject: owner.parent, type: "Normal", reason, message });
    }
  };

  if (report.injectable) {
    emit("Injected", INJECTED_MESSAGE);
    deps.metrics.countResponse(labels, false, "");
    const warnings = nativeSidecarWarnings(config, report.layout);
    return finish("injected", "", patchResponse(uid, config.encodePatch(result.patch), warnings), ownerName);
  }

  const reasons = report.reasons;
  const sentences = reasonSentences(reasons);
  emit("InjectionSkipped", `${SKIPPED_MESSAGE}: ${sentences}`);
  if (result.patch.length > 0) {
    deps.metrics.countResponse(labels, false, "");
    return finish("annotated", reasons.join(","), patchResponse(uid, config.encodePatch(result.patch), []), ownerName);
  }
  if (kind === "pod") {
    deps.metrics.countResponse(labels, true, reasons.join(","));
    const warnings = skipWarnings(name, reasons, sentences, object as JsonValue, namespace, namespaceAnnotations);
    const response: AdmissionResponse = { uid, allowed: true };
    if (warnings.length > 0) response.warnings = warnings;
    return finish("skipped", reasons.join(","), response, ownerName);
  }
  return finish("skipped", reasons.join(","), { uid, allowed: true });
}

/** The owner when its look-up did not finish within its share of the deadline. */
function unresolvedOwner(
  podMeta: { name: string; ownerReferences: readonly OwnerReference[] },
  namespace: string,
  error: unknown,
): ResolvedOwner {
  const owner = directOwner(podMeta, namespace);
  return { ...owner, lookupError: { ...describeLookupFailure(error), ownerKind: owner.kind } };
}

/** Linkerd refuses a pod whose namespace it cannot find; the message says why ours could not be read. */
function namespaceFailure(namespace: string, error: unknown, timeoutMs: number): string {
  const { reason, message } = describeLookupFailure(error);
  const what = error instanceof LookupError ? message : `failed to get namespace "${namespace}": ${message}`;
  return reason === "deadline_exceeded" ? `review deadline (${timeoutMs} ms): ${what}` : what;
}

/** `patchJson`: the patch as JSON text; an empty patch (`[]`) is left out, as Linkerd leaves it. */
function patchResponse(uid: string, patchJson: string, warnings: string[]): AdmissionResponse {
  const response: AdmissionResponse = { uid, allowed: true };
  if (patchJson !== "[]") {
    response.patchType = "JSONPatch";
    response.patch = Buffer.from(patchJson).toString("base64");
  }
  if (warnings.length > 0) response.warnings = warnings;
  return response;
}

/**
 * A skipped pod says why in an admission warning, so that `kubectl apply` of a bare pod (and the API server's
 * audit log) shows it. A pod nobody asked to inject (the only reason: no `linkerd.io/inject` annotation anywhere)
 * gets none: every pod in an unmeshed namespace would carry the same noise. Unless the pod shows a classic mistake
 * (`linkerd.io/inject` as a label, a misspelt value): then the core's hints for it follow, as `explain` gives them.
 */
function skipWarnings(
  name: string,
  reasons: readonly ReasonCode[],
  sentences: string,
  pod: JsonValue,
  namespace: string,
  namespaceAnnotations: Readonly<Record<string, string>>,
): string[] {
  if (reasons.length === 0) return [];
  const hints = findHints(pod, { namespace: { name: namespace, annotations: namespaceAnnotations } }).filter(
    (hint) => hint.code === "inject_label_not_annotation" || hint.code === "invalid_inject_value",
  );
  if (hints.length === 0 && reasons.length === 1 && reasons[0] === "injection_enable_annotation_absent") return [];
  return [
    `linkerd-proxy-injector: pod ${name === "" ? "" : `"${name}" `}not injected: ${sentences}`,
    ...hints.map((hint) => `linkerd-proxy-injector: hint (${hint.code}): ${hint.message}`),
  ];
}

/** On clusters before 1.29 only a pod's (or namespace's) own annotation can still ask for the native layout. */
function nativeSidecarWarnings(config: Extract<ConfigSnapshot, { ok: true }>, layout: string | undefined): string[] {
  if (config.nativeSidecars || layout !== "native") return [];
  const version = config.clusterVersion ?? "this cluster";
  return [
    `linkerd-proxy-injector: the pod asks for a native sidecar (proxy-enable-native-sidecar), which Kubernetes ${version} does not support (1.29+): the proxy will not start`,
  ];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringField(record: Record<string, unknown>, key: string): string {
  const value = record[key];
  return typeof value === "string" ? value : "";
}

/** String-valued entries only: annotations from untrusted JSON may hold anything. */
function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(value)) return out;
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry === "string") out[key] = entry;
  }
  return out;
}

function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}
