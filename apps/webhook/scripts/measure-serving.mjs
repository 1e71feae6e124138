#!/usr/bin/env node
/**
 * Spawns the built webhook (`dist/main.js --dev`) and prints its resident memory under a scenario, so that the
 * Deployment's memory request and limit, and the serving limits, rest on figures:
 *
 *   node apps/webhook/scripts/measure-serving.mjs SCENARIO [--node-option=--max-old-space-size=256] [-- WEBHOOK FLAGS]
 *
 * Scenarios:
 *   idle           start, answer one review, wait, report
 *   steady         2,000 ordinary reviews, 32 at a time
 *   empty-objects  one 10 MB body of `[{},{},...]` (valid JSON, absurd for a pod), then an ordinary review
 *   big-pods       200 concurrent reviews of a 2.9 MB pod (tens of thousands of env vars), then an ordinary review
 *   max-bodies     20 concurrent reviews of the largest pod the limits let through (9.9 MB, 480,000 JSON values)
 *
 * RSS is sampled from /proc every 10 ms (Linux only); `peakRssMB` is the kernel's high-water mark (VmHWM).
 * Each concurrent review has its own keep-alive connection, as the API server's client keeps them. Loopback only.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const APP = join(dirname(fileURLToPath(import.meta.url)), "..");
const MAIN = join(APP, "dist", "main.js");
const EXAMPLE = readFileSync(join(APP, "examples", "admission-review.json"), "utf8");

const args = process.argv.slice(2);
const scenario = args[0] ?? "idle";
const split = args.indexOf("--");
const own = split === -1 ? args.slice(1) : args.slice(1, split);
const webhookFlags = split === -1 ? [] : args.slice(split + 1);
const nodeOptions = own.filter((a) => a.startsWith("--node-option=")).map((a) => a.slice("--node-option=".length));

function status(pid) {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN);
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
}

async function start() {
  const child = spawn(
    process.execPath,
    [
      ...nodeOptions,
      MAIN,
      "--dev",
      "--addr=127.0.0.1:0",
      "--metrics-addr=127.0.0.1:0",
      "--log-level=warn",
      ...webhookFlags,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const exit = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + 30_000;
  while (!stdout.includes("-----END CERTIFICATE-----")) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`webhook did not start:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const port = Number(/webhook\s+https:\/\/127\.0\.0\.1:(\d+)\//.exec(stdout)?.[1]);
  const ca = readFileSync(/CA\s+(\S+ca\.crt)/.exec(stdout)?.[1] ?? "", "utf8");
  return { child, port, ca, exit, stderr: () => stderr };
}

function post(target, body, agent) {
  return new Promise((resolve) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: target.port,
        path: "/",
        method: "POST",
        ca: target.ca,
        servername: "localhost",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode }));
        res.on("error", (e) => resolve({ error: e.code ?? e.message }));
      },
    );
    req.on("error", (e) => resolve({ error: e.code ?? e.message }));
    req.end(body);
  });
}

function tally(results) {
  const out = {};
  for (const r of results) {
    const key = r.error !== undefined ? `error ${r.error}` : String(r.status);
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

/** A review of a pod padded with env vars until its body is about `bytes` long. */
function bigPod(bytes) {
  const review = JSON.parse(EXAMPLE);
  const container = review.request.object.spec.containers[0];
  container.env = [];
  let size = Buffer.byteLength(EXAMPLE);
  for (let i = 0; size < bytes; i++) {
    const entry = { name: `VARIABLE_${i}`, value: `value-${i}` };
    container.env.push(entry);
    size += Buffer.byteLength(JSON.stringify(entry)) + 1;
  }
  return JSON.stringify(review);
}

const target = await start();
const samples = [];
const sampler = setInterval(() => {
  try {
    samples.push(status(target.child.pid).rss);
  } catch {
    // exited
  }
}, 10);
const figures = { scenario, nodeOptions, webhookFlags };
try {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  await post(target, EXAMPLE, agent);
  await new Promise((r) => setTimeout(r, 1000));
  figures.startRssMB = status(target.child.pid).rss;
  if (scenario === "steady") {
    const results = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < 2000) {
          next++;
          results.push(await post(target, EXAMPLE, agent));
        }
      }),
    );
    figures.answers = tally(results);
  } else if (scenario === "empty-objects") {
    const body = `[${Array(3_495_253).fill("{}").join(",")}]`;
    figures.bodyMB = Buffer.byteLength(body) / 1048576;
    figures.answers = tally([await post(target, body, agent)]);
  } else if (scenario === "big-pods") {
    const body = bigPod(2.9 * 1024 * 1024);
    figures.bodyMB = Buffer.byteLength(body) / 1048576;
    const started = Date.now();
    figures.answers = tally(
      await Promise.all(Array.from({ length: 200 }, () => post(target, body, new Agent({ keepAlive: true })))),
    );
    figures.seconds = (Date.now() - started) / 1000;
  } else if (scenario === "max-bodies") {
    const review = JSON.parse(bigPod(4.4 * 1024 * 1024));
    const size = Buffer.byteLength(JSON.stringify(review));
    review.request.object.metadata.annotations["example.com/padding"] = "x".repeat(9.9 * 1024 * 1024 - size);
    const body = JSON.stringify(review);
    figures.bodyMB = Buffer.byteLength(body) / 1048576;
    const started = Date.now();
    figures.answers = tally(
      await Promise.all(Array.from({ length: 20 }, () => post(target, body, new Agent({ keepAlive: true })))),
    );
    figures.seconds = (Date.now() - started) / 1000;
  } else if (scenario !== "idle") {
    throw new Error(`unknown scenario ${scenario}`);
  }
  await new Promise((r) => setTimeout(r, 500));
  const alive = target.child.exitCode === null && target.child.signalCode === null;
  figures.alive = alive;
  if (alive) {
    figures.afterwards = tally([await post(target, EXAMPLE, new Agent({ keepAlive: false }))]);
    const s = status(target.child.pid);
    figures.endRssMB = s.rss;
    figures.peakRssMB = s.hwm;
  } else {
    figures.exit = await target.exit;
    figures.stderrTail = target.stderr().slice(-600);
  }
  figures.sampledPeakRssMB = Math.max(...samples);
  agent.destroy();
} finally {
  clearInterval(sampler);
  target.child.kill("SIGKILL");
}
const round = (v) => (typeof v === "number" ? Math.round(v * 10) / 10 : v);
console.log(JSON.stringify(Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, round(v)]))));
