#!/usr/bin/env node
// Benchmark (not a test) of `l5d-injector audit -A`: prints the wall time and the peak RSS of the CLI process.
//
//   node bench/audit.mjs [--namespaces 50] [--pods 40] [--runs 3] [--steps 10,50,200]
//   (or: pnpm build && pnpm bench:audit)
//
// Uses the cluster of $KUBECONFIG when it is set (and deletes what it created there), otherwise starts a local
// control plane with ../shared/tools/kube-control-plane/up and stops it at the end. Creates linkerd-config and
// NAMESPACES namespaces of PODS bare pods each, posted in parallel through `kubectl proxy`: in half of the
// namespaces (annotated linkerd.io/inject: enabled) three pods in four carry the proxy the core renders for them
// (so the audit does its full compare), the rest have none. The cluster grows in STEPS (namespaces; by default 10, 50
// and 200: 400, 2,000 and 8,000 pods, the acceptance size being 2,000 pods in 50 namespaces); after each,
// `audit -A -o json` runs RUNS times and its wall time and peak RSS (/usr/bin/time -v) are printed, with the heap
// left after V8's full collections. Memory flat in cluster size means the peak RSS barely moves from step to step
// and stays close to `audit -n` of one namespace, measured first (on the smallest cluster) for comparison.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const option = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
};
const stepsAt = process.argv.indexOf("--steps");
const namespacesAt = process.argv.indexOf("--namespaces");
// --namespaces alone keeps the former steps (a fifth, half, all of them).
const STEPS =
  stepsAt !== -1
    ? process.argv[stepsAt + 1].split(",").map(Number)
    : namespacesAt !== -1
      ? (() => {
          const n = Number(process.argv[namespacesAt + 1]);
          return [...new Set([Math.ceil(n / 5), Math.ceil(n / 2), n])];
        })()
      : [10, 50, 200];
const NAMESPACES = Math.max(...STEPS);
const PODS = option("pods", 40);
const RUNS = option("runs", 3);
const CONCURRENCY = 16;
const cli = join(root, "apps/cli/dist/injector.mjs");
const core = await import(join(root, "packages/injector-core/dist/index.js"));
const tools = resolve(root, "../shared/tools/kube-control-plane");
const work = mkdtempSync(join(tmpdir(), "l5d-bench-audit-"));
const prefix = `bench-audit-${process.pid}`;
const PEM = "-----BEGIN CERTIFICATE-----\nBENCH-TRUST-ANCHOR\n-----END CERTIFICATE-----\n";

const external = process.env.KUBECONFIG !== undefined && process.env.KUBECONFIG !== "";
let kubeconfig = process.env.KUBECONFIG;
let proxy;
const cleanup = () => {
  proxy?.kill("SIGTERM");
  if (external) {
    const names = Array.from({ length: NAMESPACES }, (_, i) => `${prefix}-${i}`);
    spawnSync("kubectl", ["--kubeconfig", kubeconfig, "delete", "namespace", ...names, "--wait=false"], {
      stdio: "ignore",
    });
    const name = core.DEFAULT_INJECTOR_WEBHOOK_CONFIGURATION.metadata.name;
    spawnSync("kubectl", ["--kubeconfig", kubeconfig, "delete", "mutatingwebhookconfiguration", name], {
      stdio: "ignore",
    });
  } else {
    spawnSync(join(tools, "down"), [join(work, "cluster")], { stdio: "ignore" });
  }
  rmSync(work, { recursive: true, force: true });
};
process.on("SIGINT", () => process.exit(130));
process.on("exit", cleanup);

if (!external) {
  console.log("starting a local control plane...");
  execFileSync(join(tools, "up"), [join(work, "cluster")], { stdio: "ignore" });
  kubeconfig = join(work, "cluster", "kubeconfig");
}
const kubectl = (...args) => execFileSync("kubectl", ["--kubeconfig", kubeconfig, ...args], { encoding: "utf8" });
const versionInfo = JSON.parse(kubectl("version", "-o", "json")).serverVersion;
const native = Number(versionInfo.major) > 1 || Number.parseInt(versionInfo.minor, 10) >= 29;

proxy = spawn("kubectl", ["--kubeconfig", kubeconfig, "proxy", "--address=127.0.0.1", "--port=0"], {
  stdio: ["ignore", "pipe", "ignore"],
});
const base = await new Promise((done, fail) => {
  let text = "";
  proxy.stdout.on("data", (chunk) => {
    text += chunk;
    const match = /Starting to serve on ([\d.]+:\d+)/.exec(text);
    if (match) done(`http://${match[1]}`);
  });
  proxy.on("exit", () => fail(new Error("kubectl proxy exited")));
});

async function api(method, path, body) {
  for (let attempt = 0; ; attempt += 1) {
    const response = await fetch(base + path, {
      method,
      headers: { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    // Pods are refused until the namespace's default ServiceAccount (and, before 1.24, its token) exists.
    if (response.ok || response.status === 409) return text === "" ? {} : JSON.parse(text);
    if (attempt >= 50) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function mapLimit(items, limit, task) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await task(items[next++]);
    }),
  );
}

// linkerd-config, and the configuration the pods are injected with (the same, with the webhook's layout choice).
await api("POST", "/api/v1/namespaces", { metadata: { name: "linkerd" } });
await api("POST", "/api/v1/namespaces/linkerd/configmaps", {
  metadata: { name: "linkerd-config" },
  data: { values: JSON.stringify({ identityTrustAnchorsPEM: PEM }) },
});
// The injector's webhook configuration as the chart installs it, so that the audit finds an injector to judge
// against; it points at a closed loopback port and is ignored on failure, so that the pods below are created as
// they are.
const chart = structuredClone(core.DEFAULT_INJECTOR_WEBHOOK_CONFIGURATION);
for (const webhook of chart.webhooks) {
  Object.assign(webhook, {
    clientConfig: { url: "https://127.0.0.1:1/" },
    failurePolicy: "Ignore",
    sideEffects: "None",
    admissionReviewVersions: ["v1"],
    timeoutSeconds: 1,
  });
}
await api("POST", "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations", chart);
const resolved = core.resolveValues([
  { identityTrustAnchorsPEM: PEM },
  native ? {} : { proxy: { nativeSidecar: false } },
]);
const configuration = core.prepareConfiguration(resolved.values).configuration;

const ENABLED = { "linkerd.io/inject": "enabled" };

/** Creates namespaces `from` to `to - 1` and their pods, posted in parallel. */
async function populate(from, to) {
  const pods = [];
  for (let n = from; n < to; n += 1) {
    const namespace = `${prefix}-${n}`;
    const enabled = n % 2 === 0;
    await api("POST", "/api/v1/namespaces", { metadata: { name: namespace, annotations: enabled ? ENABLED : {} } });
    for (let p = 0; p < PODS; p += 1) {
      let pod = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: `app-${p}`, namespace, labels: { app: `app-${p % 4}` } },
        spec: { containers: [{ name: "app", image: "registry.k8s.io/pause:3.9", ports: [{ containerPort: 8080 }] }] },
      };
      if (enabled && p % 4 !== 0) {
        pod = core.injectAdmission(pod, { configuration, namespace, namespaceAnnotations: ENABLED }).object;
      }
      pods.push(pod);
    }
  }
  await mapLimit(pods, CONCURRENCY, (pod) => api("POST", `/api/v1/namespaces/${pod.metadata.namespace}/pods`, pod));
}

/**
 * The heap left after each full garbage collection of one `audit -A` (V8's --trace-gc): what the process keeps. Peak
 * RSS also counts the garbage V8 lets pile up between two collections, which grows with the heap limit it picks.
 */
function liveHeapMiB() {
  const result = spawnSync(
    process.execPath,
    ["--trace-gc", cli, "audit", "--kubeconfig", kubeconfig, "-A", "-o", "table"],
    {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  // With --optimize-for-size V8 writes "Mark-Compact (reduce)".
  const after = [...result.stdout.matchAll(/Mark-Compact (?:\(reduce\) )?[\d.]+ \([\d.]+\) -> ([\d.]+) \(/g)].map((m) =>
    Number(m[1]),
  );
  return after.length === 0 ? "no full GC" : `${Math.max(...after).toFixed(0)} MiB at most (${after.length} full GCs)`;
}

/** One `audit` run: its wall time, peak RSS (from /usr/bin/time -v) and what it printed. */
function audit(...args) {
  const t0 = performance.now();
  const result = spawnSync(
    "/usr/bin/time",
    ["-v", process.execPath, cli, "audit", "--kubeconfig", kubeconfig, ...args],
    {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const seconds = (performance.now() - t0) / 1000;
  if (result.status !== 0 && result.status !== 3) throw new Error(`audit failed (${result.status}): ${result.stderr}`);
  const rssKiB = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(result.stderr)?.[1]);
  return { seconds, rssKiB, stdout: result.stdout };
}

const mib = (kib) => `${(kib / 1024).toFixed(0)} MiB`;
// The cluster grows in steps; the peak RSS of `audit -A` at each size shows whether memory follows the cluster.
let created = 0;
for (const step of STEPS) {
  const t0 = performance.now();
  await populate(created, step);
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  if (created === 0) {
    const one = audit("-n", `${prefix}-0`, "-o", "json");
    console.log(`audit -n (1 namespace, ${PODS} pods): ${one.seconds.toFixed(2)} s, peak RSS ${mib(one.rssKiB)}`);
  }
  created = step;
  const runs = Array.from({ length: RUNS }, () => audit("-A", "-o", "json"));
  const items = JSON.parse(runs[0].stdout).items;
  const pods = {};
  for (const item of items) pods[item.status] = (pods[item.status] ?? 0) + item.pods;
  const times = runs.map((r) => r.seconds).sort((a, b) => a - b);
  console.log(
    `${step * PODS} pods in ${step} namespaces (created in ${seconds} s): audit -A ` +
      `median ${times[Math.floor(times.length / 2)].toFixed(2)} s (${runs.map((r) => r.seconds.toFixed(2)).join(", ")}), ` +
      `peak RSS ${runs.map((r) => mib(r.rssKiB)).join(", ")}, live heap after full GCs ${liveHeapMiB()}; ` +
      `pods by status ${JSON.stringify(pods)}`,
  );
}
// kubectl proxy would keep the process alive: end here, which runs the clean-up.
process.exit(0);
