import { isValidProxyAnnotationValue, PROXY_ANNOTATIONS, type JsonObject } from "@l5d-injector/injector-core";
import { setImmediate as nextTurn } from "node:timers/promises";
import { Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * One metric label per Linkerd `ProxyAnnotations` key: the part after the first `/`, with `-` turned into `_`
 * (spec §6.6), e.g. `config.linkerd.io/proxy-cpu-request` → `proxy_cpu_request`. Each is valued with the object's
 * own annotation, empty when absent.
 */
const CONFIG_ANNOTATION_KEYS: readonly (readonly [label: string, annotation: string])[] = PROXY_ANNOTATIONS.map(
  (key) => [key.slice(key.indexOf("/") + 1).replaceAll("-", "_"), key] as const,
);

export const CONFIG_LABELS: readonly string[] = CONFIG_ANNOTATION_KEYS.map(([label]) => label);

/**
 * Series kept per counter. Label values come from the objects under review, so without a bound anyone who may create
 * pods could grow the webhook's memory and its scrapes without limit; past the bound, reviews are counted in one
 * overflow series.
 */
export const MAX_SERIES_PER_METRIC = 1000;

/** Longer label values are cut: a valid value can still be long (an image name, an env list). */
export const MAX_LABEL_VALUE_LENGTH = 64;

/**
 * `writeMetrics` hands out the text in pieces of about this size and lets the event loop turn between them: a full
 * counter (1,000 series of 43 labels, up to 4 MB of text) rendered at once held reviews up for 15 to 40 ms.
 */
export const METRICS_CHUNK_BYTES = 64 * 1024;

/** The label value of an annotation the injector would not use: its text is not worth a series. */
export const INVALID_LABEL_VALUE = "invalid";

/** Every label of the series that counts the reviews past `MAX_SERIES_PER_METRIC`. */
export const OVERFLOW_LABEL_VALUE = "overflow";

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

/** A namespace name as Kubernetes allows it (RFC 1123 label): anything else did not come from the API server. */
const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export interface ReviewLabels {
  ownerKind: string;
  namespace: string;
  annotationAt: string;
  /** The object's own annotations (not the inherited ones). */
  annotations: Readonly<Record<string, string>>;
  /** The object's spec: the container ports it names make named `opaque-ports` valid. */
  podSpec?: JsonObject;
  /** Dry runs are not counted: they change nothing, and counting them would let anyone who may dry-run add series. */
  dryRun?: boolean;
}

export type ReviewOutcome = "injected" | "annotated" | "skipped" | "error" | "invalid";

export interface WebhookMetrics {
  countRequest(labels: ReviewLabels): void;
  countResponse(labels: ReviewLabels, skip: boolean, skipReason: string): void;
  observeDuration(kind: string, outcome: ReviewOutcome, seconds: number): void;
  /** A ReplicaSet or Job that could not be read (the pod was injected without an owner label). */
  countOwnerLookupFailure(ownerKind: string, reason: string): void;
}

export interface MetricsOptions {
  /** Series per counter before reviews go to the overflow series; `MAX_SERIES_PER_METRIC` by default. */
  maxSeries?: number;
}

/**
 * Registers the webhook's metrics on `registry` (never on prom-client's global registry, so that tests and several
 * apps in one process do not share counters). The registry must use the Prometheus text format without default
 * labels (see `BoundedCounter`).
 */
export function createMetrics(registry: Registry, options: MetricsOptions = {}): WebhookMetrics {
  if (registry.contentType !== Registry.PROMETHEUS_CONTENT_TYPE) {
    throw new Error("ERR_METRICS_FORMAT: the webhook's counters render the Prometheus text format only");
  }
  const maxSeries = options.maxSeries ?? MAX_SERIES_PER_METRIC;
  const base = ["owner_kind", "namespace", "annotation_at"];
  const requests = new BoundedCounter(
    {
      name: "proxy_inject_admission_requests_total",
      help: "A counter for number of admission requests to proxy injector.",
      labelNames: [...base, ...CONFIG_LABELS],
      registers: [registry],
    },
    maxSeries,
  );
  const responses = new BoundedCounter(
    {
      name: "proxy_inject_admission_responses_total",
      help: "A counter for number of admission responses from proxy injector.",
      labelNames: [...base, ...CONFIG_LABELS, "skip", "skip_reason"],
      registers: [registry],
    },
    maxSeries,
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
      if (labels.dryRun === true) return;
      requests.count(labelValues(labels));
    },
    countResponse(labels, skip, skipReason) {
      if (labels.dryRun === true) return;
      // skip_reason holds the core's reason codes, a closed set.
      responses.count([...labelValues(labels), skip ? "true" : "false", skipReason]);
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
 * Writes the registry's metrics in the Prometheus text format, the same text as `registry.metrics()`, a piece at a
 * time: the webhook's counters in pieces of about `METRICS_CHUNK_BYTES`, other metrics whole, with a turn of the event
 * loop after each piece so that reviews are not held up by a scrape. `write` may return a promise (to wait for the
 * socket to drain); a rejection stops the writing.
 */
export async function writeMetrics(registry: Registry, write: (chunk: string) => void | Promise<void>): Promise<void> {
  // Metrics are separated by a blank line; the separator goes with the next piece, not in a write of its own.
  let separator = "";
  for (const { name } of registry.getMetricsAsArray()) {
    const metric = registry.getSingleMetric(name);
    // A metric removed since the list was taken is left out, as it would be from a scrape that started later.
    if (metric === undefined) continue;
    const pieces =
      metric instanceof BoundedCounter
        ? metric.pieces(METRICS_CHUNK_BYTES)
        : [await registry.getSingleMetricAsString(name)];
    for (const piece of pieces) {
      await write(separator + piece);
      separator = "";
      await nextTurn();
    }
    separator = "\n\n";
  }
  await write("\n");
}

/** The values of a review's labels, in the order of `labelNames`, each one bounded. */
function labelValues(labels: ReviewLabels): string[] {
  const values = [
    KNOWN_OWNER_KINDS.has(labels.ownerKind) ? labels.ownerKind : "",
    labels.namespace === "" || NAMESPACE_NAME.test(labels.namespace) ? labels.namespace : INVALID_LABEL_VALUE,
    labels.annotationAt,
  ];
  for (const [, annotation] of CONFIG_ANNOTATION_KEYS) {
    const value = Object.hasOwn(labels.annotations, annotation) ? labels.annotations[annotation] : undefined;
    values.push(configLabelValue(annotation, value, labels.podSpec));
  }
  return values;
}

/** Linkerd labels with the raw annotation; here only a value the injector would use, and at most 64 characters. */
function configLabelValue(annotation: string, value: string | undefined, podSpec: JsonObject | undefined): string {
  if (value === undefined || value === "") return "";
  if (!isValidProxyAnnotationValue(annotation, value, podSpec)) return INVALID_LABEL_VALUE;
  return truncate(value, MAX_LABEL_VALUE_LENGTH);
}

/** The first `max` code points, so that no surrogate pair is cut in half. */
function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  let out = "";
  let count = 0;
  for (const char of value) {
    if (count++ === max) break;
    out += char;
  }
  return out;
}

interface Series {
  labels: Record<string, string>;
  /** The sample's name and label set, rendered once: `name{a="x",b="y"}`. */
  rendered: string;
  count: number;
}

/**
 * A counter with at most `maxSeries` series plus one overflow series, whose exposition text is rendered once per
 * series rather than on every scrape.
 *
 * prom-client's own counter validates and hashes every label on each `inc` and escapes every label on each scrape:
 * with 43 labels, 1,000 series took 30 to 100 ms of one scrape, time in which no review is answered. Here a review
 * costs one map look-up on its joined label values, and a scrape one line per series: `pieces` for `writeMetrics`,
 * and `getForPromString` (the hook prom-client's registry uses for the text format; its histogram has one too) for
 * `registry.metrics()`, each series with its labels already rendered into the sample name. `get()` still gives the
 * labels as objects, for JSON and tests.
 */
class BoundedCounter extends Counter<string> {
  readonly #series = new Map<string, Series>();
  readonly #name: string;
  readonly #help: string;
  readonly #names: readonly string[];
  readonly #maxSeries: number;
  #overflow: Series | undefined;

  constructor(config: { name: string; help: string; labelNames: string[]; registers: Registry[] }, maxSeries: number) {
    super(config);
    this.#name = config.name;
    this.#help = config.help;
    this.#names = config.labelNames;
    this.#maxSeries = maxSeries;
  }

  /** Counts one review; `values` are in the order of the label names. */
  count(values: readonly string[]): void {
    const key = values.join("\u0000");
    const series = this.#series.get(key);
    if (series !== undefined) {
      series.count++;
      return;
    }
    if (this.#series.size < this.#maxSeries) {
      this.#series.set(key, this.#newSeries(values, 1));
      return;
    }
    this.#overflow ??= this.#newSeries(
      this.#names.map(() => OVERFLOW_LABEL_VALUE),
      0,
    );
    this.#overflow.count++;
  }

  #newSeries(values: readonly string[], count: number): Series {
    const labels: Record<string, string> = {};
    const parts: string[] = [];
    this.#names.forEach((name, i) => {
      const value = values[i] ?? "";
      labels[name] = value;
      parts.push(`${name}="${escapeLabelValue(value)}"`);
    });
    return { labels, rendered: `${this.#name}{${parts.join(",")}}`, count };
  }

  #all(): Series[] {
    const all = [...this.#series.values()];
    if (this.#overflow !== undefined) all.push(this.#overflow);
    return all;
  }

  /**
   * The counter in the text format, as prom-client's registry writes it (`# HELP`, `# TYPE`, one line per series, no
   * final line feed), cut into pieces of about `bytes` characters. Lazy: each piece holds the counts of when it is
   * built.
   */
  *pieces(bytes: number): Generator<string> {
    let piece = `# HELP ${this.#name} ${escapeHelp(this.#help)}\n# TYPE ${this.#name} counter`;
    for (const s of this.#all()) {
      if (piece.length >= bytes) {
        yield piece;
        piece = "";
      }
      piece += `\n${s.rendered} ${s.count}`;
    }
    yield piece;
  }

  override async get() {
    // The base counter's series stay empty: it gives the name, help, type and aggregator.
    const metric = await super.get();
    return { ...metric, values: this.#all().map((s) => ({ labels: s.labels, value: s.count })) };
  }

  async getForPromString() {
    const metric = await super.get();
    return { ...metric, values: this.#all().map((s) => ({ metricName: s.rendered, labels: {}, value: s.count })) };
  }

  override reset(): void {
    super.reset();
    // prom-client's constructor resets too, before this class's fields exist.
    if (!(#series in this)) return;
    this.#series.clear();
    this.#overflow = undefined;
  }
}

/** The text format's escapes for help text: backslash and line feed. */
function escapeHelp(help: string): string {
  return help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** The text format's escapes for label values: backslash, double quote and line feed. */
function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n") : value;
}

export interface VersionSkewGauge {
  /** Replaces the one series: the implemented and the configured Linkerd version, 1 when they differ. */
  set(implemented: string, configured: string): void;
}

/**
 * `proxy_inject_linkerd_version_skew{implemented, configured}`: 1 while the configuration's `linkerdVersion` is not the
 * version this webhook implements, else 0. One series at a time (the current configuration), so that an alert on
 * `== 1` names both versions.
 */
export function createVersionSkewGauge(registry: Registry): VersionSkewGauge {
  const gauge = new Gauge({
    name: "proxy_inject_linkerd_version_skew",
    help: "1 when linkerd-config's linkerdVersion differs from the Linkerd version this injector implements, else 0.",
    labelNames: ["implemented", "configured"],
    registers: [registry],
  });
  return {
    set(implemented, configured) {
      gauge.reset();
      gauge.set({ implemented, configured }, implemented === configured ? 0 : 1);
    },
  };
}
