/**
 * The built process (`dist/main.js`): `--dev` start-up, the example review from the README, signals and the
 * shutdown sequence.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { Agent, request } from "node:https";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { startStandInApi } from "./test-support/stand-in-api.js";

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
      {
        host: "localhost",
        port,
        path: "/",
        method: "POST",
        ca,
        agent,
        headers: { "Content-Type": "application/json" },
      },
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
  /** The folder `--dev` wrote its certificates and keys into. */
  devDir: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: Webhook[] = [];
const scratch: string[] = [];

afterEach(() => {
  // SIGKILL leaves no chance to clean up: the keys --dev wrote are removed here.
  for (const webhook of started.splice(0)) {
    webhook.child.kill("SIGKILL");
    if (webhook.devDir !== "") rmSync(webhook.devDir, { recursive: true, force: true });
  }
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "webhook-main-test-"));
  scratch.push(dir);
  return dir;
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, boundMs = 30_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The built webhook in `--dev`, on free ports, killed after the test; not waited for. */
function spawnWebhook(args: string[], env: NodeJS.ProcessEnv = process.env): Webhook {
  // `pnpm test` builds first (turbo); a bare `vitest run` needs `pnpm build`.
  expect(existsSync(MAIN), `${MAIN} is missing: run pnpm build`).toBe(true);
  const child = spawn(
    process.execPath,
    [MAIN, "--dev", "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", ...args],
    { env, stdio: ["pipe", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const webhook: Webhook = {
    child,
    port: 0,
    adminPort: 0,
    ca: "",
    devDir: "",
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
  };
  started.push(webhook);
  return webhook;
}

async function startWebhook(args: string[] = []): Promise<Webhook> {
  const webhook = spawnWebhook(args);
  const { child, stdout } = webhook;
  await waitFor(() => stdout().includes("-----END CERTIFICATE-----") || child.exitCode !== null, "the dev banner");
  webhook.port = Number(/webhook\s+https:\/\/127\.0\.0\.1:(\d+)\//.exec(stdout())?.[1]);
  webhook.adminPort = Number(/admin\s+http:\/\/127\.0\.0\.1:(\d+)\//.exec(stdout())?.[1]);
  const caFile = /CA\s+(\S+ca\.crt)/.exec(stdout())?.[1] ?? "";
  webhook.devDir = dirname(caFile);
  webhook.ca = readFileSync(caFile, "utf8");
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
    // Log lines go out at the end of the event loop's turn, after the answers written in it.
    const line =
      /msg="admission review" uid=0a6f4e53-3c2b-4d8e-9f61-7b2a1c5d9e80 kind=pod namespace=shop name=hello outcome=injected/;
    await waitFor(() => line.test(webhook.stderr()), "the review's log line");

    webhook.child.kill("SIGTERM");
    expect(await webhook.exited).toEqual({ code: 0, signal: null });
    expect(webhook.stderr()).toContain('msg="draining in-flight requests" signal=SIGTERM');
  });
});

describe("shutdown", () => {
  it("exits 1 at a second signal, its last line written though the process ends in the turn that logs it", async () => {
    const webhook = await startWebhook(["--shutdown-delay", "30"]);
    webhook.child.kill("SIGTERM");
    await waitFor(() => webhook.stderr().includes("shutting down"), "the first signal's line");
    webhook.child.kill("SIGTERM");
    expect(await webhook.exited).toEqual({ code: 1, signal: null });
    expect(webhook.stderr()).toContain('msg="second signal: exiting without waiting" signal=SIGTERM');
  });

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
    expect(log).toContain(
      'msg="shutting down: not ready, still serving reviews" signal=SIGTERM shutdownDelaySeconds=10',
    );
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

describe("version skew", () => {
  it("says once at start that linkerd-config names another Linkerd, shows it on /metrics, and keeps injecting", async () => {
    const values = join(scratchDir(), "values");
    writeFileSync(values, "linkerdVersion: edge-26.9.1\n");
    const webhook = await startWebhook(["--values", values]);
    const lines = webhook
      .stderr()
      .split("\n")
      .filter((l) => l.includes("version skew"));
    expect(lines).toEqual([
      expect.stringContaining(
        'level=warn msg="version skew: linkerd-config says Linkerd edge-26.9.1, this webhook implements edge-26.8.3; injecting with the configured values as edge-26.8.3 would" implemented=edge-26.8.3 configured=edge-26.9.1',
      ),
    ]);
    const metrics = await (await fetch(`http://127.0.0.1:${webhook.adminPort}/metrics`)).text();
    expect(metrics).toContain(
      'proxy_inject_linkerd_version_skew{implemented="edge-26.8.3",configured="edge-26.9.1"} 1',
    );
    expect(isInjected(await post(webhook.port, webhook.ca, EXAMPLE))).toBe(true);
  });

  it("says nothing at start when the versions match, and shows 0 on /metrics", async () => {
    const webhook = await startWebhook();
    expect(webhook.stderr()).not.toContain("version skew");
    const metrics = await (await fetch(`http://127.0.0.1:${webhook.adminPort}/metrics`)).text();
    expect(metrics).toContain(
      'proxy_inject_linkerd_version_skew{implemented="edge-26.8.3",configured="edge-26.8.3"} 0',
    );
  });

  it("--version names the version, the one implemented and the configured one", () => {
    const values = join(scratchDir(), "values");
    writeFileSync(values, "linkerdVersion: edge-26.9.1\n");
    const result = spawnSync(process.execPath, [MAIN, "proxy-injector", "--version", `--values=${values}`], {
      encoding: "utf8",
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^l5d-injector-webhook \d+\.\d+\.\d+\nimplements Linkerd edge-26\.8\.3\n/);
    expect(result.stdout).toContain(`configuration: ${values}: version skew: linkerd-config says Linkerd edge-26.9.1`);
  });
});

describe("start-up failures", () => {
  /** The process run without --dev on loopback ports, until it exits. */
  function fail(args: string[]): { status: number | null; stderr: string } {
    const result = spawnSync(process.execPath, [MAIN, "--addr=127.0.0.1:0", "--metrics-addr=127.0.0.1:0", ...args], {
      encoding: "utf8",
      timeout: 60_000,
    });
    return { status: result.status, stderr: result.stderr };
  }

  it("a missing TLS file is one fatal line naming it, with no stack trace", () => {
    const { status, stderr } = fail(["--tls-cert=/nonexistent/tls.crt", "--tls-key=/nonexistent/tls.key"]);
    expect(status).toBe(1);
    const fatal = stderr.split("\n").filter((l) => l.includes("level=fatal"));
    expect(fatal).toEqual([
      expect.stringContaining(
        `msg="cannot start: cannot load the serving certificate (--tls-cert /nonexistent/tls.crt, --tls-key /nonexistent/tls.key): ENOENT: no such file or directory, open '/nonexistent/tls.crt'" code=ERR_TLS`,
      ),
    ]);
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it("invalid values are one fatal line in the log's format, printed once", () => {
    const values = join(scratchDir(), "values");
    writeFileSync(values, "linkerdVersion: [\n");
    const { status, stderr } = fail([`--values=${values}`, "--log-format=json"]);
    expect(status).toBe(1);
    const fatal = stderr.split("\n").filter((l) => l.includes('"level":"fatal"'));
    expect(fatal).toHaveLength(1);
    expect(JSON.parse(fatal[0] as string)).toMatchObject({
      code: "ERR_VALUES",
      msg: expect.stringMatching(/^cannot start: invalid values/),
    });
    expect(stderr.split("\n").filter((l) => l !== "" && !l.startsWith("{"))).toEqual([]);
  });

  it("a missing --values file is one fatal line", () => {
    const { status, stderr } = fail(["--values=/nonexistent/values"]);
    expect(status).toBe(1);
    expect(stderr.split("\n").filter((l) => l.includes("level=fatal"))).toEqual([
      expect.stringContaining(
        `msg="cannot start: cannot read /nonexistent/values: ENOENT: no such file or directory, open '/nonexistent/values'" code=ERR_READ`,
      ),
    ]);
    expect(stderr).not.toMatch(/^\s+at /m);
  });
});

describe("--dev files", () => {
  it("removes the certificates and keys it wrote when it exits", async () => {
    const webhook = await startWebhook(["--shutdown-delay", "0"]);
    expect(existsSync(join(webhook.devDir, "tls.key"))).toBe(true);
    webhook.child.kill("SIGTERM");
    expect(await webhook.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(webhook.devDir)).toBe(false);
  });

  it("removes them, and exits 0, on a SIGTERM that comes while it is still starting", async () => {
    // An API server that never answers holds the start-up in its first look-up for seconds, after the certificates
    // are made and before the banner. Its own TMPDIR, so that the folder --dev makes is the only one there: SIGTERM
    // goes as soon as it appears.
    const silent = await startStandInApi();
    try {
      const tmp = scratchDir();
      const kubeconfig = join(scratchDir(), "kubeconfig");
      writeFileSync(
        kubeconfig,
        [
          "apiVersion: v1",
          "kind: Config",
          `clusters: [{name: silent, cluster: {server: "${silent.url}"}}]`,
          "users: [{name: silent, user: {token: t}}]",
          "contexts: [{name: silent, context: {cluster: silent, user: silent}}]",
          "current-context: silent",
          "",
        ].join("\n"),
      );
      const webhook = spawnWebhook(["--kubeconfig", kubeconfig], { ...process.env, TMPDIR: tmp });
      await waitFor(() => readdirSync(tmp).length > 0 || webhook.child.exitCode !== null, "the --dev folder");
      webhook.child.kill("SIGTERM");
      expect(await webhook.exited).toEqual({ code: 0, signal: null });
      expect(readdirSync(tmp)).toEqual([]);
      // Stopped before it ever listened: no banner, and the log says so.
      expect(webhook.stdout()).not.toContain("-----BEGIN CERTIFICATE-----");
      expect(webhook.stderr()).toContain("stopped while starting");
    } finally {
      await silent.close();
    }
  });
});
