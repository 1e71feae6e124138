import { PROXY_ANNOTATIONS } from "@l5d-injector/injector-core";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { AdmissionRequest } from "./admission.js";
import {
  CONFIG_LABELS,
  createMetrics,
  MAX_SERIES_PER_METRIC,
  METRICS_CHUNK_BYTES,
  writeMetrics,
  type ReviewLabels,
} from "./metrics.js";
import { reviewRequest } from "./review.js";
import { makeHarness, reviewOf } from "./test-support/harness.js";

const REQUESTS = "proxy_inject_admission_requests_total";
const RESPONSES = "proxy_inject_admission_responses_total";

function labels(annotations: Record<string, string>, extra: Partial<ReviewLabels> = {}): ReviewLabels {
  return { ownerKind: "deployment", namespace: "shop", annotationAt: "workload", annotations, ...extra };
}

async function scrape(registry: Registry): Promise<string> {
  return registry.metrics();
}

/** The samples of one metric in the text format, each with its labels parsed back. */
function samples(text: string, name: string): Array<{ labels: Record<string, string>; value: number }> {
  const out: Array<{ labels: Record<string, string>; value: number }> = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const m = /^[a-z_]+\{(.*)\} (\d+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labelText = m[1] as string;
    const parsed: Record<string, string> = {};
    const pair = /([a-z_]+)="((?:[^"\\]|\\.)*)"(,|$)/gy;
    for (let match = pair.exec(labelText); match !== null; match = pair.exec(labelText)) {
      parsed[match[1] as string] = (match[2] as string).replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
      if (pair.lastIndex === labelText.length) break;
    }
    if (pair.lastIndex !== labelText.length) throw new Error(`unparsable labels: ${labelText}`);
    out.push({ labels: parsed, value: Number(m[2]) });
  }
  return out;
}

describe("webhook metric labels", () => {
  it("keeps config annotation values the injector would use", async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry);
    metrics.countRequest(
      labels({ "config.linkerd.io/proxy-cpu-request": "100m", "config.linkerd.io/admin-port": "4191" }),
    );
    const [sample] = samples(await scrape(registry), REQUESTS);
    expect(sample?.labels).toMatchObject({ proxy_cpu_request: "100m", admin_port: "4191", proxy_cpu_limit: "" });
  });

  it("labels a config annotation value the injector would not use as invalid", async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry);
    metrics.countRequest(
      labels({
        "config.linkerd.io/admin-port": "http",
        "config.linkerd.io/proxy-cpu-request": "1e400",
        "config.linkerd.io/proxy-await": "maybe",
        "config.linkerd.io/proxy-additional-env": "{not json",
      }),
    );
    const [sample] = samples(await scrape(registry), REQUESTS);
    expect(sample?.labels).toMatchObject({
      admin_port: "invalid",
      proxy_cpu_request: "invalid",
      proxy_await: "invalid",
      proxy_additional_env: "invalid",
    });
  });

  it("takes named opaque ports as valid when the pod names them", async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry);
    const podSpec = { containers: [{ name: "db", ports: [{ name: "mysql", containerPort: 3306 }] }] };
    metrics.countRequest(labels({ "config.linkerd.io/opaque-ports": "mysql" }, { podSpec }));
    metrics.countRequest(labels({ "config.linkerd.io/opaque-ports": "mysql" }));
    const values = samples(await scrape(registry), REQUESTS).map((s) => s.labels["opaque_ports"]);
    expect(values).toEqual(["mysql", "invalid"]);
  });

  it("cuts label values at 64 characters, without splitting a character", async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry);
    metrics.countRequest(labels({ "config.linkerd.io/proxy-image": `${"r".repeat(63)}😀${"x".repeat(500)}` }));
    metrics.countRequest(labels({ "config.linkerd.io/proxy-image": `${"r".repeat(62)}😀😀${"x".repeat(500)}` }));
    const values = samples(await scrape(registry), REQUESTS).map((s) => s.labels["proxy_image"]);
    expect(values).toEqual([`${"r".repeat(63)}😀`, `${"r".repeat(62)}😀😀`]);
  });

  it("labels a namespace Kubernetes would not allow as invalid", async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry);
    metrics.countRequest(labels({}, { namespace: "Not A Namespace" }));
    metrics.countRequest(labels({}, { namespace: "n".repeat(64) }));
    metrics.countRequest(labels({}, { namespace: "kube-system" }));
    const values = samples(await scrape(registry), REQUESTS).map((s) => [s.labels["namespace"], s.value]);
    expect(values).toEqual([
      ["invalid", 2],
      ["kube-system", 1],
    ]);
  });

  it("escapes quotes, backslashes and line feeds in label values", async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry);
    const value = 'a"b\\c\nd';
    metrics.countRequest(labels({ "config.linkerd.io/proxy-log-level": value }));
    const text = await scrape(registry);
    expect(text).toContain('proxy_log_level="a\\"b\\\\c\\nd"');
    expect(samples(text, REQUESTS)[0]?.labels["proxy_log_level"]).toBe(value);
  });

  it("gives the same series as text and as objects", async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry);
    const review = labels({ "config.linkerd.io/proxy-cpu-request": "100m" });
    metrics.countRequest(review);
    metrics.countRequest(review);
    metrics.countResponse(review, true, "host_network_enabled");
    const text = await scrape(registry);
    for (const name of [REQUESTS, RESPONSES]) {
      const metric = registry.getSingleMetric(name);
      const objects = (await metric?.get())?.values.map((v) => ({ labels: v.labels, value: v.value }));
      expect(samples(text, name)).toEqual(objects);
    }
    expect(samples(text, RESPONSES)[0]?.labels).toMatchObject({ skip: "true", skip_reason: "host_network_enabled" });
  });

  it("keeps Linkerd's label names, in the order it writes them", async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry);
    metrics.countRequest(labels({}));
    metrics.countResponse(labels({}), false, "");
    const text = await scrape(registry);
    expect(Object.keys(samples(text, REQUESTS)[0]?.labels ?? {})).toEqual([
      "owner_kind",
      "namespace",
      "annotation_at",
      ...CONFIG_LABELS,
    ]);
    expect(Object.keys(samples(text, RESPONSES)[0]?.labels ?? {})).toEqual([
      "owner_kind",
      "namespace",
      "annotation_at",
      ...CONFIG_LABELS,
      "skip",
      "skip_reason",
    ]);
  });
});

describe("webhook metric series", () => {
  it("counts no series for dry runs", async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry);
    const review = labels({ "config.linkerd.io/proxy-image": "r/p" }, { dryRun: true });
    metrics.countRequest(review);
    metrics.countResponse(review, false, "");
    const text = await scrape(registry);
    expect(samples(text, REQUESTS)).toEqual([]);
    expect(samples(text, RESPONSES)).toEqual([]);
  });

  it("counts reviews past the series cap in one overflow series", async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry, { maxSeries: 3 });
    for (let i = 0; i < 10; i++) {
      const review = labels({ "config.linkerd.io/proxy-image": `r/p${i}` });
      metrics.countRequest(review);
      metrics.countResponse(review, false, "");
    }
    // A series seen before the cap keeps counting in its own series.
    metrics.countRequest(labels({ "config.linkerd.io/proxy-image": "r/p0" }));
    const text = await scrape(registry);
    for (const name of [REQUESTS, RESPONSES]) {
      const all = samples(text, name);
      expect(all).toHaveLength(4);
      const overflow = all[3];
      expect(overflow?.value).toBe(7);
      expect(new Set(Object.values(overflow?.labels ?? {}))).toEqual(new Set(["overflow"]));
    }
    expect(samples(text, REQUESTS)[0]?.value).toBe(2);
  });

  it("forgets its series when the registry is reset", async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry, { maxSeries: 1 });
    metrics.countRequest(labels({ "config.linkerd.io/proxy-image": "a" }));
    registry.resetMetrics();
    metrics.countRequest(labels({ "config.linkerd.io/proxy-image": "b" }));
    expect(samples(await scrape(registry), REQUESTS).map((s) => s.labels["proxy_image"])).toEqual(["b"]);
  });

  it("refuses a registry in the OpenMetrics format, which its rendered series do not follow", () => {
    // The types allow only Prometheus registries; JavaScript callers are not checked by them.
    const openMetrics = new (Registry as unknown as new (type: string) => Registry)(Registry.OPENMETRICS_CONTENT_TYPE);
    expect(() => createMetrics(openMetrics)).toThrow(/ERR_METRICS_FORMAT/);
  });
});

describe("writeMetrics", () => {
  /** A registry with full counters of long label values, and a histogram. */
  function fullRegistry(): Registry {
    const registry = new Registry();
    const metrics = createMetrics(registry);
    for (let i = 0; i < MAX_SERIES_PER_METRIC + 10; i++) {
      const review = labels({
        "config.linkerd.io/proxy-image": `${i}-${"x".repeat(80)}`,
        "config.linkerd.io/proxy-log-level": `${i}`,
      });
      metrics.countRequest(review);
      metrics.countResponse(review, false, "");
    }
    metrics.observeDuration("pod", "injected", 0.002);
    return registry;
  }

  it("writes the same text as the registry", async () => {
    const registry = fullRegistry();
    const chunks: string[] = [];
    await writeMetrics(registry, (chunk) => void chunks.push(chunk));
    expect(chunks.join("")).toBe(await registry.metrics());
  });

  it("writes full counters in pieces, letting other work run between two pieces", async () => {
    const registry = fullRegistry();
    let turns = 0;
    let spinning = true;
    const spin = () => {
      turns++;
      if (spinning) setImmediate(spin);
    };
    setImmediate(spin);
    const writes: Array<{ bytes: number; turns: number }> = [];
    await writeMetrics(registry, (chunk) => void writes.push({ bytes: Buffer.byteLength(chunk), turns }));
    spinning = false;
    expect(writes.length).toBeGreaterThan(20);
    // A piece ends at the first series past the size: one series is at most a few KB.
    for (const w of writes) expect(w.bytes).toBeLessThan(METRICS_CHUNK_BYTES + 8 * 1024);
    for (let i = 1; i < writes.length; i++) expect(writes[i]?.turns).toBeGreaterThan(writes[i - 1]?.turns ?? 0);
  });

  it("stops when a write fails", async () => {
    const registry = fullRegistry();
    let writes = 0;
    const failing = writeMetrics(registry, () => {
      writes++;
      return Promise.reject(new Error("client gone"));
    });
    await expect(failing).rejects.toThrow("client gone");
    expect(writes).toBe(1);
  });
});

/** Every `config.linkerd.io/*` annotation the injector knows, with a value of its own for review `i`. */
function uniqueAnnotations(i: number): Record<string, string> {
  const keys = [
    ...PROXY_ANNOTATIONS,
    "config.linkerd.io/proxy-cpu-ratio-limit",
    "config.linkerd.io/debug-image",
    "config.linkerd.io/debug-image-version",
    "config.linkerd.io/debug-image-pull-policy",
    "config.linkerd.io/close-wait-timeout",
    "config.linkerd.io/enable-gateway",
  ];
  const out: Record<string, string> = { "linkerd.io/inject": "enabled" };
  // Alternating numbers (valid ports, quantities, integers) and free text (valid images, log levels).
  keys.forEach((key, k) => {
    out[key] = (i + k) % 2 === 0 ? String(1000 + i) : `v${i}-${"x".repeat(80)}`;
  });
  return out;
}

function uniquePod(i: number): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `p${i}`, namespace: `ns-${i}`, annotations: uniqueAnnotations(i) },
    spec: { containers: [{ name: "app", image: "example/app" }] },
  };
}

describe("webhook metrics under reviews with unique annotation values", () => {
  it("keeps /metrics under 100 KB after 3,000 dry-run reviews", async () => {
    const harness = makeHarness({});
    for (let i = 0; i < 3000; i++) {
      const request = reviewOf(uniquePod(i), { dryRun: true, uid: `u${i}` })["request"] as AdmissionRequest;
      await reviewRequest(request, harness.deps);
    }
    const text = await harness.metricsText();
    expect(samples(text, REQUESTS)).toEqual([]);
    expect(Buffer.byteLength(text)).toBeLessThan(100 * 1024);
  });

  it("keeps at most the capped number of series after 3,000 reviews", async () => {
    const harness = makeHarness({});
    for (let i = 0; i < 3000; i++) {
      const request = reviewOf(uniquePod(i), { uid: `u${i}` })["request"] as AdmissionRequest;
      await reviewRequest(request, harness.deps);
    }
    const text = await harness.metricsText();
    const requests = samples(text, REQUESTS);
    expect(requests).toHaveLength(MAX_SERIES_PER_METRIC + 1);
    expect(requests.at(-1)?.labels["namespace"]).toBe("overflow");
    expect(requests.reduce((sum, s) => sum + s.value, 0)).toBe(3000);
    expect(samples(text, RESPONSES).length).toBeLessThanOrEqual(MAX_SERIES_PER_METRIC + 1);
  });
});
