import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { recordForCleanup, type E2eContext } from "./context.js";
import { waitFor } from "./poll.js";
import { WEBHOOK_MAIN } from "./paths.js";
import { isAlive, stopPid } from "./process.js";

export interface WebhookPorts {
  port: number;
  metricsPort: number;
}

export interface Memory {
  /** Resident set size now, and its high-water mark, in KiB (`VmRSS` / `VmHWM` of /proc/<pid>/status). */
  rssKiB: number;
  peakRssKiB: number;
}

/**
 * The built webhook (`apps/webhook/dist/main.js`) as a child process, with the contract's flags. Output goes to a
 * log file (JSON lines) so that tests can read what it said and a failure can show it.
 */
export class WebhookProcess {
  readonly #exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #exited = false;

  private constructor(
    readonly pid: number,
    readonly ports: WebhookPorts,
    readonly logFile: string,
    readonly adminUrl: string,
    exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
  ) {
    this.#exit = exit.finally(() => {
      this.#exited = true;
    });
  }

  static async start(ctx: E2eContext, ports: WebhookPorts, logFile: string): Promise<WebhookProcess> {
    const args = [
      WEBHOOK_MAIN,
      "--addr",
      `${ctx.listenHost}:${ports.port}`,
      // The admin endpoints are only for this suite: loopback.
      "--metrics-addr",
      `127.0.0.1:${ports.metricsPort}`,
      "--tls-cert",
      ctx.serving.certFile,
      "--tls-key",
      ctx.serving.keyFile,
      "--values",
      ctx.valuesFile,
      "--trust-roots",
      ctx.trustRootsFile,
      "-L",
      ctx.linkerdNamespace,
      "--kubeconfig",
      ctx.webhookKubeconfig,
      "--log-format",
      "json",
    ];
    const out = openSync(logFile, "a");
    let child;
    try {
      // No KUBERNETES_SERVICE_HOST and friends: the webhook must use the kubeconfig it is given.
      const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("KUBERNETES_")));
      child = spawn(process.execPath, args, { stdio: ["ignore", out, out], env });
    } finally {
      closeSync(out);
    }
    const pid = child.pid;
    if (pid === undefined) throw new Error("ERR_E2E_WEBHOOK: the webhook process did not start");
    recordForCleanup(ctx.cleanupFile, { pid, what: "webhook" });
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once("exit", (code, signal) => resolve({ code, signal }));
    });
    const webhook = new WebhookProcess(pid, ports, logFile, `http://127.0.0.1:${ports.metricsPort}`, exit);
    try {
      await waitFor(
        "the webhook's /ready",
        async () => {
          if (webhook.#exited) throw new Error(`the webhook exited early:\n${await webhook.logTail()}`);
          const res = await fetch(`${webhook.adminUrl}/ready`, { signal: AbortSignal.timeout(2000) });
          return res.status === 200 ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 200 },
      );
    } catch (error) {
      await webhook.stop();
      throw error;
    }
    return webhook;
  }

  get running(): boolean {
    return !this.#exited && isAlive(this.pid);
  }

  /**
   * SIGTERM (the webhook drains in-flight reviews), SIGKILL if it is still there after `graceMs`; resolves once the
   * process has exited. A kill is reported on the console: it means the drain waited on something.
   */
  async stop(graceMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.#exited) await stopPid(this.pid, graceMs);
    const exit = await this.#exit;
    if (exit.signal === "SIGKILL") {
      console.warn(`webhook pid ${this.pid} did not exit within ${graceMs / 1000} s of SIGTERM and was killed`);
    }
    return exit;
  }

  async memory(): Promise<Memory> {
    const status = await readFile(`/proc/${this.pid}/status`, "utf8");
    const kib = (field: string) => {
      const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status);
      if (match === null) throw new Error(`no ${field} in /proc/${this.pid}/status`);
      return Number(match[1]);
    };
    return { rssKiB: kib("VmRSS"), peakRssKiB: kib("VmHWM") };
  }

  /** The JSON log records written so far (lines that are not JSON are kept as `{ msg: line }`). */
  async logRecords(): Promise<Record<string, unknown>[]> {
    const text = await readFile(this.logFile, "utf8");
    return text
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => {
        try {
          return JSON.parse(line) as Record<string, unknown>;
        } catch {
          return { msg: line };
        }
      });
  }

  async logTail(lines = 30): Promise<string> {
    const text = await readFile(this.logFile, "utf8").catch(() => "");
    return text.split("\n").slice(-lines).join("\n");
  }

  async metrics(): Promise<string> {
    const res = await fetch(`${this.adminUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
    return res.text();
  }
}

/** A port nobody listens on right now, on the given address. */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
