/**
 * The built process (`dist/main.js`): `--dev` start-up, the example review from the README, signals and the
 * shutdown sequence.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const APP = join(dirname(fileURLToPath(import.meta.url)), "..");
const MAIN = join(APP, "dist", "main.js");
const EXAMPLE = readFileSync(join(APP, "examples", "admission-review.json"), "utf8");

interface Answer {
  status: number;
  text: string;
  connection: string | undefined;
}

function post(port: number, ca: string, body: string, agent?: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "localhost", port, path: "/", method: "POST", ca, agent, headers: { "Content-Type": "application/json" } },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text, connection: res.headers.connection }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

interface Webhook {
  child: ChildProcessWithoutNullStreams;
  port: number;
  adminPort: number;
  ca: string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: Webhook[] = [];

afterEach(() => {
  for (const webhook of started.splice(0)) webhook.child.kill("SIGKILL");
});

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, boundMs = 30_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function startWebhook(args: string[] = []): Promise<Webhook> {
  // `pnpm test` builds first (turbo); a bare `vitest run` needs `pnpm build`.
  expect(existsSync(MAIN), `${MAIN} is missing: run pnpm build`).toBe(true);
  const child = spawn(process.execPath, [MAIN, "--dev", "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", ...args], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const webhook: Webhook = { child, port: 0, adminPort: 0, ca: "", stderr: () => stderr, exited };
  started.push(webhook);
  await waitFor(() => stdout.includes("-----END CERTIFICATE-----") || child.exitCode !== null, "the dev banner");
  webhook.port = Number(/webhook\s+https:\/\/127\.0\.0\.1:(\d+)\//.exec(stdout)?.[1]);
  webhook.adminPort = Number(/admin\s+http:\/\/127\.0\.0\.1:(\d+)\//.exec(stdout)?.[1]);
  webhook.ca = readFileSync(/CA\s+(\S+ca\.crt)/.exec(stdout)?.[1] ?? "", "utf8");
  expect(webhook.port).toBeGreaterThan(0);
  return webhook;
}

async function readiness(webhook: Webhook): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${webhook.adminPort}/ready`);
  await res.text();
  return res.status;
}

function isInjected(answer: Answer): boolean {
  if (answer.status !== 200) return false;
  const response = (JSON.parse(answer.text) as { response: { allowed: boolean; patchType?: string } }).response;
  return response.allowed && response.patchType === "JSONPatch";
}

describe("main --dev", () => {
  it("starts without a cluster, injects the README's example, and exits 0 on SIGTERM", async () => {
    const webhook = await startWebhook(["--shutdown-delay", "1"]);
    expect(webhook.stderr()).toContain("throwaway identity trust anchor");
    expect(webhook.stderr()).toContain("look-ups are off");

    const res = await post(webhook.port, webhook.ca, EXAMPLE);
    expect(res.status).toBe(200);
    const response = (JSON.parse(res.text) as { response: { allowed: boolean; patch: string } }).response;
    expect(response.allowed).toBe(true);
    const patch = JSON.parse(Buffer.from(response.patch, "base64").toString()) as { path: string }[];
    expect(patch.map((op) => op.path)).toContain("/spec/initContainers/1");
    expect(webhook.stderr()).toMatch(
      /msg="admission review" uid=0a6f4e53-3c2b-4d8e-9f61-7b2a1c5d9e80 kind=pod namespace=shop name=hello outcome=injected/,
    );

    webhook.child.kill("SIGTERM");
    expect(await webhook.exited).toEqual({ code: 0, signal: null });
    expect(webhook.stderr()).toContain('msg="draining in-flight requests" signal=SIGTERM');
  });
});

describe("shutdown", () => {
  it("on SIGTERM turns not-ready and keeps serving reviews through the delay: none refused, none lost", async () => {
    // The stream stops 2 s after the signal: a delay of 10 s leaves 8 s for a busy machine to finish what it sent.
    const webhook = await startWebhook(["--shutdown-delay", "10"]);
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const answers: { answer?: Answer; error?: string; afterNotReady: boolean }[] = [];
    let notReady = false;
    let streaming = true;
    const stream = async () => {
      while (streaming) {
        const afterNotReady = notReady;
        try {
          answers.push({ answer: await post(webhook.port, webhook.ca, EXAMPLE, agent), afterNotReady });
        } catch (error) {
          answers.push({ error: (error as NodeJS.ErrnoException).code ?? String(error), afterNotReady });
        }
      }
    };
    const workers = Array.from({ length: 4 }, stream);
    try {
      await waitFor(() => answers.length >= 20, "a steady stream of reviews");
      expect(await readiness(webhook)).toBe(200);
      webhook.child.kill("SIGTERM");
      const sent = Date.now();
      await waitFor(async () => (await readiness(webhook)) === 500, "readiness to fail");
      notReady = true;
      // The delay starts when the process handles the signal, never before it was sent: these 2 s are surely inside.
      await waitFor(() => Date.now() - sent > 2000, "half the delay");
    } finally {
      streaming = false;
      await Promise.all(workers);
      agent.destroy();
    }
    expect(answers.filter((a) => a.error !== undefined)).toEqual([]);
    expect(answers.filter((a) => !isInjected(a.answer as Answer))).toEqual([]);
    // Served while not ready, each answer closing its connection so that the next one reconnects elsewhere.
    const late = answers.filter((a) => a.afterNotReady);
    expect(late.length).toBeGreaterThan(0);
    expect(late.map((a) => a.answer?.connection)).toEqual(late.map(() => "close"));

    expect(await webhook.exited).toEqual({ code: 0, signal: null });
    const log = webhook.stderr();
    expect(log).toContain('msg="shutting down: not ready, still serving reviews" signal=SIGTERM shutdownDelaySeconds=10');
    expect(log.indexOf("shutting down")).toBeLessThan(log.indexOf("draining in-flight requests"));
  });

  it("ignores SIGHUP and SIGUSR1: no exit, no inspector", async () => {
    const webhook = await startWebhook(["--shutdown-delay", "0"]);
    webhook.child.kill("SIGHUP");
    webhook.child.kill("SIGUSR1");
    await waitFor(
      () => webhook.stderr().includes("ignoring SIGHUP") && webhook.stderr().includes("ignoring SIGUSR1"),
      "both signals to be logged",
    );
    expect(isInjected(await post(webhook.port, webhook.ca, EXAMPLE))).toBe(true);
    expect(webhook.child.exitCode).toBeNull();
    expect(webhook.stderr()).not.toContain("Debugger listening");
    webhook.child.kill("SIGTERM");
    expect(await webhook.exited).toEqual({ code: 0, signal: null });
  });
});
