#!/usr/bin/env node
// Benchmarks (not tests): prints figures from one run on this machine.
//
//   node bench/run.mjs [--quick] [--only webhook] [--before DIR]
//
// --before DIR: also measure the webhook and the CLI built in DIR (a copy of the tree, built, with its
// node_modules), in the same run, beside this one: "before and after" figures from one run on one machine.
//
// 1. The webhook over HTTPS on loopback with a realistic Pod AdmissionReview, beside a floor server (plain
//    node:https that reads and parses the same body and answers a constant `allowed: true`): requests per second
//    and p50 / p99 latency at 1, 16 and 64 connections, and the ratio of the two. Beside them "floor+patch", the
//    floor sending the webhook's own answer (its patch for this review) to every review: the webhook's distance to
//    it is what working the answer out costs, apart from sending it.
// 2. `inject --manual` over a generated manifest of 2,000 mixed workloads, beside the floor of parsing and writing
//    the same YAML with the same library.
// 3. CLI start-up for one Deployment, beside `node -e 0`.
// 4. The webhook's resident memory after 10,000 and after 100,000 requests.
// Servers run as child processes so that the load generator does not share their event loop; the webhook with the
// Node.js options its image runs it with (the Containerfile's ENTRYPOINT).
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import https from "node:https";
import { createServer } from "node:net";
import { cpus, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateManifest } from "./manifest.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const quick = process.argv.includes("--quick");
const argValue = (name) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const only = argValue("--only");
const beforeRoot = argValue("--before");
const SECONDS_PER_LEVEL = quick ? 2 : 6;
const work = mkdtempSync(join(tmpdir(), "l5d-bench-"));
const children = [];

process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
});

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

function openssl(...args) {
  execFileSync("openssl", args, { stdio: "ignore" });
}

function setup() {
  openssl(
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=bench",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
    "-keyout",
    join(work, "tls.key"),
    "-out",
    join(work, "tls.crt"),
  );
  openssl(
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=identity.linkerd.cluster.local",
    "-keyout",
    join(work, "ca.key"),
    "-out",
    join(work, "ca.crt"),
  );
  const pem = readFileSync(join(work, "ca.crt"), "utf8");
  writeFileSync(join(work, "values.json"), JSON.stringify({ identityTrustAnchorsPEM: pem }));
}

async function waitFor(url, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up in ${timeoutMs} ms`);
}

/** The Node.js options the image runs the webhook with (its Containerfile's ENTRYPOINT): measured as deployed. */
function imageNodeOptions(tree) {
  const text = readFileSync(join(tree, "apps/webhook/Containerfile"), "utf8");
  const entrypoint = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(text);
  if (entrypoint === null) throw new Error(`no ENTRYPOINT in ${tree}/apps/webhook/Containerfile`);
  return JSON.parse(entrypoint[1]).filter((arg) => arg.startsWith("--"));
}

async function startWebhook(tree = root) {
  const port = await freePort();
  const metrics = await freePort();
  const child = spawn(
    process.execPath,
    [
      ...imageNodeOptions(tree),
      join(tree, "apps/webhook/dist/main.js"),
      "--addr",
      `127.0.0.1:${port}`,
      "--metrics-addr",
      `127.0.0.1:${metrics}`,
      "--tls-cert",
      join(work, "tls.crt"),
      "--tls-key",
      join(work, "tls.key"),
      "--values",
      join(work, "values.json"),
      "--trust-roots",
      join(work, "ca.crt"),
      "--log-format",
      "json",
    ],
    {
      // One JSON log line per review, as in production; written to /dev/null here.
      stdio: ["ignore", "ignore", "ignore"],
    },
  );
  children.push(child);
  await waitFor(`http://127.0.0.1:${metrics}/ready`);
  return { port, pid: child.pid, child };
}

/** The floor; with `patchFile`, the floor answering every review with that patch (floor-server.mjs). */
async function startFloor(patchFile) {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      join(root, "bench/floor-server.mjs"),
      String(port),
      join(work, "tls.crt"),
      join(work, "tls.key"),
      ...(patchFile !== undefined ? [patchFile] : []),
    ],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  children.push(child);
  await new Promise((resolve) => child.stdout.once("data", resolve));
  return { port, pid: child.pid, child };
}

/** A Deployment's pod under admission, as the API server sends it, in a namespace where injection is enabled. */
function admissionReview() {
  return JSON.parse(readFileSync(join(root, "bench/admission-review.json"), "utf8"));
}

/** The webhook's patch for the bench's review (base64), as it answers it. */
function webhookPatch(port) {
  const body = JSON.stringify(admissionReview());
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: "127.0.0.1",
        port,
        path: "/",
        method: "POST",
        rejectUnauthorized: false,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const patch = JSON.parse(Buffer.concat(chunks).toString()).response?.patch;
          if (typeof patch === "string") resolve(patch);
          else reject(new Error(`the webhook answered the bench's review without a patch (HTTP ${res.statusCode})`));
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Keeps `connections` requests in flight for `seconds` (or until `count` requests), each on its own socket. */
async function load(port, connections, { seconds, count, agent: shared }) {
  const body = JSON.stringify(admissionReview());
  const agent = shared ?? newAgent(connections);
  const latencies = [];
  let sent = 0;
  let failures = 0;
  const deadline = seconds ? performance.now() + seconds * 1000 : Infinity;
  const started = performance.now();
  const one = () =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const req = https.request(
        {
          host: "127.0.0.1",
          port,
          path: "/",
          method: "POST",
          agent,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        },
        (res) => {
          const chunks = [];
          res.on("data", (c) => chunks.push(c));
          res.on("end", () => {
            latencies.push(performance.now() - t0);
            // Parsing every answer would make the load generator, which shares the two cores, the bottleneck:
            // every answer's status is checked, one in 64 is read in full.
            if (res.statusCode !== 200) failures++;
            else if (latencies.length % 64 === 1) {
              try {
                if (JSON.parse(Buffer.concat(chunks).toString()).response?.allowed !== true) failures++;
              } catch {
                failures++;
              }
            }
            resolve();
          });
        },
      );
      req.on("error", () => {
        failures++;
        resolve();
      });
      req.end(body);
    });
  const worker = async () => {
    while (performance.now() < deadline && (count === undefined || sent < count)) {
      sent++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const elapsed = (performance.now() - started) / 1000;
  if (shared === undefined) agent.destroy();
  return summarize([{ latencies, elapsed, failures }]);
}

function newAgent(connections) {
  return new https.Agent({ keepAlive: true, maxSockets: connections, rejectUnauthorized: false });
}

/** Merges the samples of several runs against one server. */
function summarize(runs) {
  const latencies = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const elapsed = runs.reduce((sum, r) => sum + r.elapsed, 0);
  const failures = runs.reduce((sum, r) => sum + r.failures, 0);
  // CPU time per request, of the server and of the load generator, where the slices measured it.
  const cpu = runs.every((r) => r.cpu !== undefined && Number.isFinite(r.cpu.server))
    ? {
        server: runs.reduce((sum, r) => sum + r.cpu.server, 0) / latencies.length,
        client: runs.reduce((sum, r) => sum + r.cpu.client, 0) / latencies.length,
      }
    : undefined;
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  return {
    rps: latencies.length / elapsed,
    p50: pct(50),
    p99: pct(99),
    requests: latencies.length,
    failures,
    latencies,
    elapsed,
    cpu,
  };
}

/** A process's CPU time so far (user and system) in microseconds, from /proc: NaN where there is none. */
function cpuMicros(pid) {
  try {
    // Fields 14 and 15 of /proc/PID/stat, counted after the command name's closing parenthesis.
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** USER_HZ: what /proc counts CPU time in (100 on every Linux architecture Node runs on). */
const CLOCK_TICKS = 100;

/**
 * Measures each server for `seconds` in all, in alternating slices rather than one block after the other: the two
 * cores are shared (with the load generator, and with whatever else runs on the machine), and a burst of outside
 * work then lands on every server alike instead of on whichever happened to be measured at the time.
 */
async function interleaved(servers, connections, seconds) {
  const rounds = quick ? 2 : 4;
  const runs = servers.map(() => []);
  // One agent per server for all its slices, its connections opened before measuring: TLS handshakes are not what
  // is measured, and a slice would otherwise count one per connection.
  const agents = servers.map(() => newAgent(connections));
  for (let i = 0; i < servers.length; i++)
    await load(servers[i].port, connections, { count: connections * 4, agent: agents[i] });
  for (let round = 0; round < rounds; round++) {
    // Alternate the order too: the first server of a round must not always follow the same one.
    const order = servers.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) {
      const server = cpuMicros(servers[i].pid);
      const client = process.cpuUsage();
      const run = await load(servers[i].port, connections, { seconds: seconds / rounds, agent: agents[i] });
      const used = process.cpuUsage(client);
      run.cpu = { server: cpuMicros(servers[i].pid) - server, client: used.user + used.system };
      runs[i].push(run);
    }
  }
  for (const agent of agents) agent.destroy();
  return runs.map(summarize);
}

function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeCommand(cmd, args, runs, options = {}) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"], ...options });
    times.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
  }
  return median(times);
}

/**
 * Runs each named command `runs` times, one round after another (every command once per round), and returns each
 * one's median: a burst of other work on the machine lands on all of them alike, as the servers' slices above.
 */
function timeInterleaved(commands, runs) {
  const times = new Map(commands.map(([name]) => [name, []]));
  for (let i = 0; i < runs; i++) {
    for (const [name, cmd, args] of commands) times.get(name).push(timeCommand(cmd, args, 1));
  }
  return Object.fromEntries([...times].map(([name, list]) => [name, median(list)]));
}

const f = (n, d = 0) => n.toFixed(d);

async function main() {
  setup();
  console.log(
    `machine: ${cpus().length} x ${cpus()[0]?.model.trim()}, ${f(totalmem() / 2 ** 30)} GiB, node ${process.version}`,
  );

  console.log("\n== webhook vs floor (HTTPS, loopback, one Pod AdmissionReview per request)");
  const servers = [];
  if (beforeRoot !== undefined) servers.push({ name: "before", ...(await startWebhook(beforeRoot)) });
  const webhook = { name: "webhook", ...(await startWebhook()) };
  servers.push(webhook);
  const patchFile = join(work, "patch.b64");
  writeFileSync(patchFile, await webhookPatch(webhook.port));
  servers.push({ name: "floor+patch", ...(await startFloor(patchFile)) });
  const floor = { name: "floor", ...(await startFloor()) };
  servers.push(floor);
  // Warm every server up (JIT, TLS session set-up) before measuring.
  for (const s of servers) await load(s.port, 16, { count: 2000 });
  console.log(
    `conns | ${servers.map((s) => `${s.name} rps  p50 ms  p99 ms`.padStart(s.name.length + 19)).join(" | ")} | rps ratio (${servers
      .slice(0, -1)
      .map((s) => s.name)
      .join(", ")})`,
  );
  // The webhook against the floor that sends the same answer: what working the patch out costs, apart from sending it.
  const againstPatchFloor = [];
  const cpuLines = [];
  for (const connections of [1, 16, 64]) {
    const results = await interleaved(servers, connections, SECONDS_PER_LEVEL);
    const failures = results.filter((r) => r.failures > 0);
    if (failures.length > 0) {
      console.log(`  failures: ${results.map((r, i) => `${servers[i].name} ${r.failures}`).join(", ")}`);
    }
    const fl = results[results.length - 1];
    const wh = results[servers.indexOf(webhook)];
    const pf = results[results.length - 2];
    if (results.every((r) => r.cpu !== undefined)) {
      cpuLines.push(
        `${connections} conns: ${results.map((r, i) => `${servers[i].name} ${f(r.cpu.server)} / ${f(r.cpu.client)}`).join(", ")}`,
      );
    }
    againstPatchFloor.push(
      `${connections} conns: rps ${f(wh.rps / pf.rps, 2)} of floor+patch's, p99 ${f(wh.p99 / pf.p99, 2)}x its`,
    );
    const ratios = results.slice(0, -1).map((r) => f(r.rps / fl.rps, 2));
    console.log(
      `${String(connections).padStart(5)} | ${results
        .map(
          (r, i) =>
            `${f(r.rps).padStart(servers[i].name.length + 4)} ${f(r.p50, 2).padStart(7)} ${f(r.p99, 2).padStart(7)}`,
        )
        .join(" | ")} | ${ratios.join(", ")}`,
    );
  }
  console.log(`webhook / floor+patch (the floor sending the webhook's answer): ${againstPatchFloor.join("; ")}`);
  if (cpuLines.length > 0) {
    console.log(`CPU µs per request (server / load generator): ${cpuLines.join("; ")}`);
  }
  for (const s of servers) s.child.kill();
  if (only === "webhook") return;

  console.log("\n== webhook memory (resident set)");
  const trees =
    beforeRoot !== undefined
      ? [
          ["before", beforeRoot],
          ["webhook", root],
        ]
      : [["webhook", root]];
  for (const [name, tree] of trees) {
    const memory = await startWebhook(tree);
    const base = rssMiB(memory.pid);
    await load(memory.port, 16, { count: 10_000 });
    const after10k = rssMiB(memory.pid);
    await load(memory.port, 16, { count: quick ? 20_000 : 90_000 });
    const after100k = rssMiB(memory.pid);
    const label = quick ? "30,000" : "100,000";
    console.log(
      `${name}: at start ${f(base, 1)} MiB; after 10,000 requests ${f(after10k, 1)} MiB; after ${label} ${f(after100k, 1)} MiB; growth ${f(((after100k - after10k) / after10k) * 100, 1)}%`,
    );
    memory.child.kill();
  }

  console.log("\n== CLI: inject --manual over 2,000 mixed workloads vs parse+write with the same YAML library");
  const manifest = join(work, "manifest.yaml");
  writeFileSync(manifest, generateManifest(2000));
  const values = join(work, "values.json");
  const clis = [["CLI", join(root, "apps/cli/dist/injector.mjs")]];
  if (beforeRoot !== undefined) clis.push(["before", join(beforeRoot, "apps/cli/dist/injector.mjs")]);
  const runs = quick ? 1 : 5;
  const big = timeInterleaved(
    [
      ...clis.map(([name, cli]) => [name, process.execPath, [cli, "inject", "--manual", "--values", values, manifest]]),
      ["floor", process.execPath, [join(root, "bench/yaml-floor.mjs"), manifest]],
    ],
    runs,
  );
  console.log(
    `${clis
      .map(([name]) => `${name} inject --manual ${f(big[name])} ms, ratio ${f(big[name] / big.floor, 2)}`)
      .join("; ")}; YAML floor ${f(big.floor)} ms`,
  );

  console.log("\n== CLI start-up: inject --manual on one Deployment vs node -e 0");
  const one = join(work, "one.yaml");
  writeFileSync(one, generateManifest(1));
  const startRuns = quick ? 5 : 15;
  const start = timeInterleaved(
    [
      ...clis.map(([name, cli]) => [name, process.execPath, [cli, "inject", "--manual", "--values", values, one]]),
      ["node", process.execPath, ["-e", "0"]],
    ],
    startRuns,
  );
  console.log(
    clis.map(([name]) => `${name} inject ${f(start[name])} ms, ratio ${f(start[name] / start.node, 2)}`).join("; ") +
      `; node -e 0 ${f(start.node)} ms`,
  );
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
