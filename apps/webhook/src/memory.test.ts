/**
 * Memory of the built process under hostile and heavy input, run as the Deployment runs it (its
 * `--max-old-space-size`). RSS is read from /proc, so the figures are checked on Linux only; everything else
 * everywhere. `scripts/measure-serving.mjs` prints the same figures, and more scenarios.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { Agent, request } from "node:https";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const APP = join(dirname(fileURLToPath(import.meta.url)), "..");
const MAIN = join(APP, "dist", "main.js");
const EXAMPLE = readFileSync(join(APP, "examples", "admission-review.json"), "utf8");
/** As deploy/base/deployment.yaml sets it (NODE_OPTIONS). */
const NODE_OPTIONS = readFileSync(join(APP, "deploy", "base", "deployment.yaml"), "utf8").match(
  /--max-old-space-size=\d+/,
)?.[0];
const LINUX = existsSync("/proc/self/status");

let child: ChildProcessWithoutNullStreams;
let port: number;
let ca: string;
let devDir: string | undefined;

beforeAll(async () => {
  expect(existsSync(MAIN), `${MAIN} is missing: run pnpm build`).toBe(true);
  expect(NODE_OPTIONS).toBeDefined();
  child = spawn(
    process.execPath,
    [
      NODE_OPTIONS as string,
      MAIN,
      "--dev",
      "--addr=127.0.0.1:0",
      "--metrics-addr=127.0.0.1:0",
      "--log-level=error",
      // This file is about memory: on a busy machine 200 concurrent handshakes and uploads can take longer than the
      // default 10 s, after which they would be cut off (the behaviour server.test.ts covers).
      "--request-timeout=600",
    ],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  let stdout = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.resume();
  const deadline = Date.now() + 60_000;
  while (!stdout.includes("-----END CERTIFICATE-----")) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error("the webhook did not start");
    await new Promise((r) => setTimeout(r, 25));
  }
  port = Number(/webhook\s+https:\/\/127\.0\.0\.1:(\d+)\//.exec(stdout)?.[1]);
  const caFile = /CA\s+(\S+ca\.crt)/.exec(stdout)?.[1] ?? "";
  devDir = dirname(caFile);
  ca = readFileSync(caFile, "utf8");
});

afterAll(() => {
  child?.kill("SIGKILL");
  // SIGKILL leaves the process no chance to remove the keys --dev wrote.
  if (devDir !== undefined) rmSync(devDir, { recursive: true, force: true });
});

/** Peak resident memory of the webhook so far, in MB (the kernel's high-water mark). */
function peakRssMB(): number {
  const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]) / 1024;
}

type Outcome = { status: number; text: string } | { error: string };

/**
 * A keep-alive connection per review, as the API server's client keeps them. Once answered, the rest of a refused
 * body is not sent: 180 bodies of 2.9 MB no one reads would only make the test about this machine's bandwidth (the
 * server would be reading and discarding them, against its 10 s request timeout).
 */
function post(body: string | Buffer): Promise<Outcome> {
  return new Promise((resolve) => {
    const agent = new Agent({ keepAlive: true });
    const req = request(
      {
        host: "localhost",
        port,
        path: "/",
        method: "POST",
        ca,
        agent,
        headers: { "content-type": "application/json" },
      },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => {
          resolve({ status: res.statusCode ?? 0, text });
          req.destroy();
          agent.destroy();
        });
      },
    );
    req.on("error", (e: NodeJS.ErrnoException) => {
      // After an answer, the abort above is ours: the outcome is the answer (resolve keeps the first value).
      resolve({ error: e.code ?? e.message });
      agent.destroy();
    });
    req.end(body);
  });
}

async function stillServes(): Promise<void> {
  expect(child.exitCode).toBeNull();
  const answer = await post(EXAMPLE);
  expect(answer).toMatchObject({ status: 200 });
  expect(
    (JSON.parse((answer as { text: string }).text) as { response: { patchType: string } }).response.patchType,
  ).toBe("JSONPatch");
}

function podOfSize(bytes: number): string {
  const review = JSON.parse(EXAMPLE) as { request: { object: { spec: { containers: { env?: unknown[] }[] } } } };
  const env: unknown[] = [];
  (review.request.object.spec.containers[0] as { env?: unknown[] }).env = env;
  let size = Buffer.byteLength(EXAMPLE);
  for (let i = 0; size < bytes; i++) {
    const entry = { name: `VARIABLE_${i}`, value: `value-${i}` };
    env.push(entry);
    size += Buffer.byteLength(JSON.stringify(entry)) + 1;
  }
  return JSON.stringify(review);
}

describe("memory of the process", () => {
  it("refuses a 10 MB body of empty objects with its peak RSS under 200 MB, and still serves", async () => {
    const body = `[${Array(3_495_253).fill("{}").join(",")}]`;
    const answer = await post(body);
    expect(answer).toMatchObject({ status: 400 });
    expect((answer as { text: string }).text).toMatch(/more than \d+ JSON values/);
    if (LINUX) expect(peakRssMB()).toBeLessThan(200);
    await stillServes();
  });

  it("answers or refuses each of 200 concurrent 2.9 MB pods, and is never killed", async () => {
    const body = Buffer.from(podOfSize(2.9 * 1024 * 1024));
    const outcomes = await Promise.all(Array.from({ length: 200 }, () => post(body)));
    expect(outcomes.filter((o) => "error" in o)).toEqual([]);
    const statuses = new Set(outcomes.map((o) => (o as { status: number }).status));
    expect([...statuses].filter((s) => s !== 200 && s !== 503)).toEqual([]);
    expect(statuses.has(200)).toBe(true);
    await stillServes();
  });
});
