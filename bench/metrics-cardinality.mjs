#!/usr/bin/env node
// Metric cardinality (not a test): prints figures from one run of a real webhook process on this machine.
//
//   pnpm build && node bench/metrics-cardinality.mjs
//
// The webhook runs as `main.js --dev` (look-ups off, its own serving CA) on loopback. Every review carries a value of
// its own in every `config.linkerd.io/*` annotation and a namespace of its own, as an abusive client would send:
// 1. 3,000 dry-run reviews: resident memory (VmRSS) before and after, and the size of /metrics.
// 2. 3,000 reviews that are not dry runs: the same, and the number of series per counter.
// 3. Review latency on one connection with and without /metrics being scraped in a loop beside it (from a worker
//    thread), and the scrape times.
// 4. In this process: how long a scrape of full counters holds the event loop (see below).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const REVIEWS = 3000;
const CONCURRENCY = 4;

// Every config.linkerd.io annotation the injector reads (spec §2.2).
const CONFIG_KEYS = [
  "admin-port",
  "control-port",
  "enable-debug-sidecar",
  "enable-external-profiles",
  "image-pull-policy",
  "inbound-port",
  "outbound-port",
  "pod-inbound-ports",
  "proxy-cpu-limit",
  "proxy-cpu-request",
  "proxy-cpu-ratio-limit",
  "proxy-image",
  "proxy-admin-shutdown",
  "proxy-log-format",
  "proxy-log-level",
  "proxy-log-http-headers",
  "proxy-memory-limit",
  "proxy-memory-request",
  "proxy-ephemeral-storage-limit",
  "proxy-ephemeral-storage-request",
  "proxy-uid",
  "proxy-gid",
  "proxy-version",
  "proxy-require-identity-inbound-ports",
  "skip-inbound-ports",
  "opaque-ports",
  "skip-outbound-ports",
  "proxy-metrics-hostname-labels",
  "proxy-outbound-connect-timeout",
  "proxy-inbound-connect-timeout",
  "proxy-await",
  "default-inbound-policy",
  "skip-subnets",
  "access-log",
  "shutdown-grace-period",
  "proxy-outbound-discovery-cache-unused-timeout",
  "proxy-inbound-discovery-cache-unused-timeout",
  "proxy-disable-outbound-protocol-detect-timeout",
  "proxy-disable-inbound-protocol-detect-timeout",
  "proxy-enable-native-sidecar",
  "proxy-additional-env",
  "debug-image",
  "debug-image-version",
  "debug-image-pull-policy",
  "close-wait-timeout",
  "enable-gateway",
].map((k) => `config.linkerd.io/${k}`);

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startWebhook() {
  const port = await freePort();
  const metricsPort = await freePort();
  const child = spawn(
    process.execPath,
    [
      join(root, "apps/webhook/dist/main.js"),
      "--dev",
      "--addr",
      `127.0.0.1:${port}`,
      "--metrics-addr",
      `127.0.0.1:${metricsPort}`,
      "--log-level",
      "warn",
    ],
    {
      stdio: ["ignore", "pipe", "ignore"],
    },
  );
  let out = "";
  const caFile = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the webhook printed no CA in 60 s:\n${out}`)), 60_000);
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const m = /^\s+CA\s+(\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`the webhook exited (${code}):\n${out}`)));
  });
  // Keep reading, so that the pipe never fills and blocks the webhook.
  child.stdout.resume();
  return { child, port, metricsPort, ca: readFileSync(caFile) };
}

function review(i, dryRun) {
  const annotations = { "linkerd.io/inject": "enabled" };
  // Alternating numbers (valid ports, quantities, integers) and free text (valid images and log levels).
  CONFIG_KEYS.forEach((key, k) => {
    annotations[key] = (i + k) % 2 === 0 ? String(1000 + i) : `v${i}-${"x".repeat(80)}`;
  });
  const namespace = `ns-${i}`;
  return JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      namespace,
      operation: "CREATE",
      userInfo: { username: "bench" },
      object: {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: `p${i}`, namespace, annotations },
        spec: { containers: [{ name: "app", image: "example/app" }] },
      },
      dryRun,
    },
  });
}

function post(hook, agent, body) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = https.request(
      {
        host: "127.0.0.1",
        port: hook.port,
        path: "/",
        method: "POST",
        agent,
        ca: hook.ca,
        servername: "localhost",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on("end", () =>
          res.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function send(hook, from, count, dryRun, same = false) {
  const agent = new https.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let next = from;
  const worker = async () => {
    while (next < from + count) {
      const i = next++;
      await post(hook, agent, review(same ? from : i, dryRun));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  agent.destroy();
}

async function scrape(hook) {
  const started = performance.now();
  const res = await fetch(`http://127.0.0.1:${hook.metricsPort}/metrics`);
  const text = await res.text();
  return { text, ms: performance.now() - started };
}

function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) / 1024;
}

function seriesCount(text, name) {
  return text.split("\n").filter((l) => l.startsWith(`${name}{`)).length;
}

function heapMb(text) {
  const m = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
  return m ? Number(m[1]) / 2 ** 20 : NaN;
}

const fmt = (n) => n.toFixed(1);

const SCRAPER = `
const { parentPort, workerData } = require("node:worker_threads");
let stop = false;
parentPort.on("message", () => { stop = true; });
(async () => {
  const times = [];
  parentPort.postMessage("started");
  while (!stop) {
    const started = performance.now();
    await (await fetch(workerData.url)).text();
    times.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, workerData.pauseMs));
  }
  parentPort.postMessage(times);
})();
`;

/** Latencies of `count` sequential reviews on one connection, while `during` runs beside them. */
async function latencies(hook, from, count, during) {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  const times = [];
  let running = true;
  const side = during ? during(() => running) : Promise.resolve([]);
  for (let i = 0; i < count; i++) times.push(await post(hook, agent, review(from + (i % 50), false)));
  running = false;
  agent.destroy();
  const sideResults = await side;
  times.sort((a, b) => a - b);
  return {
    p50: times[Math.floor(times.length / 2)],
    p99: times[Math.floor(times.length * 0.99)],
    max: times.at(-1),
    side: sideResults,
  };
}

const hook = await startWebhook();
try {
  const pid = hook.child.pid;
  // Warm-up with as many dry runs of one and the same review: the heap grows to its working size with any load
  // (start-up, JIT, V8's young generation), and only the growth caused by unique values is the figure.
  await send(hook, 0, REVIEWS, true, true);

  const rss0 = rssMb(pid);
  const before = await scrape(hook);
  await send(hook, 1, REVIEWS, true);
  const rss1 = rssMb(pid);
  const afterDry = await scrape(hook);
  console.log(
    `${REVIEWS} dry-run reviews, unique values in ${CONFIG_KEYS.length} config annotations and the namespace:`,
  );
  console.log(
    `  RSS ${fmt(rss0)} -> ${fmt(rss1)} MB (+${fmt(rss1 - rss0)} MB); heap used ${fmt(heapMb(before.text))} -> ${fmt(heapMb(afterDry.text))} MB`,
  );
  console.log(
    `  /metrics ${(Buffer.byteLength(afterDry.text) / 1024).toFixed(1)} KB, ${seriesCount(afterDry.text, "proxy_inject_admission_requests_total")} request series`,
  );

  await send(hook, 1 + REVIEWS, REVIEWS, false);
  const rss2 = rssMb(pid);
  const afterReal = await scrape(hook);
  console.log(`${REVIEWS} reviews (not dry runs), unique values:`);
  console.log(
    `  RSS ${fmt(rss1)} -> ${fmt(rss2)} MB (+${fmt(rss2 - rss1)} MB); heap used ${fmt(heapMb(afterReal.text))} MB`,
  );
  console.log(
    `  /metrics ${(Buffer.byteLength(afterReal.text) / 1024).toFixed(1)} KB, series: requests ${seriesCount(afterReal.text, "proxy_inject_admission_requests_total")}, responses ${seriesCount(afterReal.text, "proxy_inject_admission_responses_total")} (cap 1,000 + 1 overflow)`,
  );

  // Reviews of already-seen pods: only the scrape differs between the two runs.
  const quiet = await latencies(hook, 1 + REVIEWS, 500, undefined);
  // The scrapes come from a worker thread: reading megabytes must not hold up this thread's reviews.
  const busy = await latencies(hook, 1 + REVIEWS, 500, async (running) => {
    const workerData = { url: `http://127.0.0.1:${hook.metricsPort}/metrics`, pauseMs: 0 };
    const scraper = new Worker(SCRAPER, { eval: true, workerData });
    await new Promise((resolve) => scraper.once("message", resolve));
    while (running()) await new Promise((resolve) => setTimeout(resolve, 10));
    scraper.postMessage("stop");
    const [times] = await once(scraper, "message");
    await scraper.terminate();
    return times;
  });
  const scrapes = busy.side.sort((a, b) => a - b);
  console.log("review latency on one connection (2,000 reviews):");
  console.log(`  without scrapes  p50 ${fmt(quiet.p50)} ms, p99 ${fmt(quiet.p99)} ms, max ${fmt(quiet.max)} ms`);
  console.log(
    `  scraping /metrics in a loop  p50 ${fmt(busy.p50)} ms, p99 ${fmt(busy.p99)} ms, max ${fmt(busy.max)} ms`,
  );
  console.log(
    `  ${scrapes.length} scrapes of ${(Buffer.byteLength(afterReal.text) / 1024).toFixed(0)} KB: p50 ${fmt(scrapes[Math.floor(scrapes.length / 2)])} ms, max ${fmt(scrapes.at(-1))} ms`,
  );
} finally {
  hook.child.kill("SIGTERM");
}

// 4. How long a scrape of full counters holds the event loop, in this process: two counters of 1,100 reviews each
// (1,000 series and the overflow, long label values) plus the default metrics.
//  - in one go, as prom-client's `registry.metrics()` renders them (and as /metrics served them before);
//  - piece by piece, as /metrics now writes them (`writeMetrics`): the work between two turns of the event loop;
//  - served over HTTP and scraped in a loop from a worker thread: the event-loop delay, sampled every millisecond,
//    beside the same sampling with no scrapes (on a shared machine, other processes show up in both).
{
  // The webhook's own prom-client (pnpm does not hoist it to the root).
  const { Registry, collectDefaultMetrics } = await import(
    join(root, "apps/webhook/node_modules/prom-client/index.js")
  );
  const { createMetrics, METRICS_CHUNK_BYTES } = await import(join(root, "apps/webhook/dist/metrics.js"));
  const { createAdminApp } = await import(join(root, "apps/webhook/dist/admin.js"));
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = createMetrics(registry);
  for (let i = 0; i < 1100; i++) {
    const annotations = {};
    CONFIG_KEYS.forEach((key, k) => {
      if (k % 3 === 0) annotations[key] = `v${i}-${"x".repeat(80)}`;
    });
    const labels = { ownerKind: "pod", namespace: `ns-${i}`, annotationAt: "workload", annotations };
    metrics.countRequest(labels);
    metrics.countResponse(labels, false, "");
  }
  const size = Buffer.byteLength(await registry.metrics());
  const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

  const oneGo = [];
  for (let i = 0; i < 20; i++) {
    const started = performance.now();
    Buffer.from(await registry.metrics());
    oneGo.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  oneGo.sort((a, b) => a - b);

  const slices = [];
  for (let i = 0; i < 20; i++) {
    for (const name of ["proxy_inject_admission_requests_total", "proxy_inject_admission_responses_total"]) {
      for (const pieces = registry.getSingleMetric(name).pieces(METRICS_CHUNK_BYTES); ; ) {
        const started = performance.now();
        const { done, value } = pieces.next();
        if (!done) Buffer.from(value);
        slices.push(performance.now() - started);
        if (done) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }
  slices.sort((a, b) => a - b);

  const server = http.createServer(createAdminApp({ registry, isReady: () => true }));
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const sample = async (ms) => {
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    await new Promise((resolve) => setTimeout(resolve, ms));
    delay.disable();
    return `p50 ${fmt(delay.percentile(50) / 1e6)} ms, p99 ${fmt(delay.percentile(99) / 1e6)} ms, max ${fmt(delay.max / 1e6)} ms`;
  };
  const idle = await sample(3000);
  // Paced, so that the scraper and this thread do not take both cores between them.
  const workerData = { url: `http://127.0.0.1:${server.address().port}/metrics`, pauseMs: 50 };
  const scraper = new Worker(SCRAPER, { eval: true, workerData });
  await once(scraper, "message");
  const scraped = await sample(5000);
  scraper.postMessage("stop");
  const [times] = await once(scraper, "message");
  await scraper.terminate();
  server.close();

  console.log(`a scrape of two full counters and the default metrics (${(size / 1024).toFixed(0)} KB):`);
  console.log(`  in one go (registry.metrics()): p50 ${fmt(oneGo[10])} ms, max ${fmt(oneGo.at(-1))} ms`);
  console.log(
    `  in pieces of ${METRICS_CHUNK_BYTES / 1024} KB (${slices.length / 20} per scrape of the counters): p50 ${slices[Math.floor(slices.length / 2)].toFixed(2)} ms, p99 ${fmt(pct(slices, 0.99))} ms, max ${fmt(slices.at(-1))} ms`,
  );
  console.log(`  event-loop delay, no scrapes: ${idle}`);
  console.log(`  event-loop delay, ${times.length} scrapes over HTTP in 5 s, 50 ms apart: ${scraped}`);
}
