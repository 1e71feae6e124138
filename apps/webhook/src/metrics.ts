import { PROXY_ANNOTATIONS } from "@l5d-injector/injector-core";
import { Counter, Histogram, type Registry } from "prom-client";

/**
 * One metric label per Linkerd `ProxyAnnotations` key: the part after the first `/`, with `-` turned into `_`
 * (spec §6.6), e.g. `config.linkerd.io/proxy-cpu-request` → `proxy_cpu_request`. Each is valued with the object's
 * own annotation, empty when absent.
 */
const CONFIG_ANNOTATION_KEYS: readonly (readonly [label: string, annotation: string])[] = PROXY_ANNOTATIONS.map(
  (key) => [key.slice(key.indexOf("/") + 1).replaceAll("-", "_"), key] as const,
);

export const CONFIG_LABELS: readonly string[] = CONFIG_ANNOTATION_KEYS.map(([label]) => label);

/** Owner kinds Linkerd has a resource type for; any other owner is reported with an empty `owner_kind` (§6.6). */
const KNOWN_OWNER_KINDS = new Set([
  "deployment",
  "replicationcontroller",
  "replicaset",
  "job",
  "daemonset",
  "statefulset",
  "cronjob",
  "pod",
]);

export interface ReviewLabels {
  ownerKind: string;
  namespace: string;
  annotationAt: string;
  /** The object's own annotations (not the inherited ones). */
  annotations: Readonly<Record<string, string>>;
}

export type ReviewOutcome = "injected" | "annotated" | "skipped" | "error" | "invalid";

export interface WebhookMetrics {
  countRequest(labels: ReviewLabels): void;
  countResponse(labels: ReviewLabels, skip: boolean, skipReason: string): void;
  observeDuration(kind: string, outcome: ReviewOutcome, seconds: number): void;
  /** A ReplicaSet or Job that could not be read (the pod was injected without an owner label). */
  countOwnerLookupFailure(ownerKind: string, reason: string): void;
}

/**
 * Registers the webhook's metrics on `registry` (never on prom-client's global registry, so that tests and several
 * apps in one process do not share counters).
 */
export function createMetrics(registry: Registry): WebhookMetrics {
  const base = ["owner_kind", "namespace", "annotation_at"];
  const requests = tallied(
    new Counter({
      name: "proxy_inject_admission_requests_total",
      help: "A counter for number of admission requests to proxy injector.",
      labelNames: [...base, ...CONFIG_LABELS],
      registers: [registry],
      collect() {
        requests.flush();
      },
    }),
  );
  const responses = tallied(
    new Counter({
      name: "proxy_inject_admission_responses_total",
      help: "A counter for number of admission responses from proxy injector.",
      labelNames: [...base, "skip", "skip_reason", ...CONFIG_LABELS],
      registers: [registry],
      collect() {
        responses.flush();
      },
    }),
  );
  const duration = new Histogram({
    name: "proxy_inject_admission_duration_seconds",
    help: "Time from a decoded admission review to its answer, including Kubernetes look-ups.",
    labelNames: ["kind", "outcome"],
    // Reviews are answered within the API server's 10 s webhook timeout; most take well under 10 ms.
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const ownerLookupFailures = new Counter({
    name: "proxy_inject_owner_lookup_failures_total",
    help: "Owner (ReplicaSet, Job) look-ups that failed or ran out of time; those pods were injected without an owner label.",
    labelNames: ["kind", "reason"],
    registers: [registry],
  });
  return {
    countRequest(labels) {
      requests.inc(labelKey(labels), () => toLabelValues(labels));
    },
    countResponse(labels, skip, skipReason) {
      const flag = skip ? "true" : "false";
      responses.inc(`${labelKey(labels)}\u0000${flag}\u0000${skipReason}`, () => ({
        ...toLabelValues(labels),
        skip: flag,
        skip_reason: skipReason,
      }));
    },
    observeDuration(kind, outcome, seconds) {
      duration.observe({ kind, outcome }, seconds);
    },
    countOwnerLookupFailure(ownerKind, reason) {
      ownerLookupFailures.inc({ kind: ownerKind, reason });
    },
  };
}

/**
 * Counts kept in a plain map and handed to prom-client when it is scraped: prom-client validates and hashes all 43
 * labels on every `inc`, which cost more than the rest of the metrics work of a review.
 */
function tallied<T extends string>(
  counter: Counter<T>,
): { inc(key: string, labels: () => Record<string, string>): void; flush(): void } {
  const tallies = new Map<string, { labels: Record<string, string>; count: number }>();
  return {
    // The label object is built only for a series not seen since the last scrape.
    inc(key, labels) {
      const tally = tallies.get(key);
      if (tally === undefined) tallies.set(key, { labels: labels(), count: 1 });
      else tally.count++;
    },
    flush() {
      for (const { labels, count } of tallies.values()) counter.inc(labels as Partial<Record<T, string>>, count);
      tallies.clear();
    },
  };
}

/** The label values of a review, joined: what identifies its series. */
function labelKey(labels: ReviewLabels): string {
  let key = `${KNOWN_OWNER_KINDS.has(labels.ownerKind) ? labels.ownerKind : ""}\u0000${labels.namespace}\u0000${labels.annotationAt}`;
  for (const [, annotation] of CONFIG_ANNOTATION_KEYS) {
    key += `\u0000${Object.hasOwn(labels.annotations, annotation) ? (labels.annotations[annotation] ?? "") : ""}`;
  }
  return key;
}

function toLabelValues(labels: ReviewLabels): Record<string, string> {
  const values: Record<string, string> = {
    owner_kind: KNOWN_OWNER_KINDS.has(labels.ownerKind) ? labels.ownerKind : "",
    namespace: labels.namespace,
    annotation_at: labels.annotationAt,
  };
  for (const [label, key] of CONFIG_ANNOTATION_KEYS) {
    values[label] = Object.hasOwn(labels.annotations, key) ? (labels.annotations[key] ?? "") : "";
  }
  return values;
}
