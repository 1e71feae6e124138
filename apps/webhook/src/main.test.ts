/**
 * The built process (`dist/main.js`): `--dev` start-up, the example review from the README, and SIGTERM.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { request } from "node:https";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const APP = join(dirname(fileURLToPath(import.meta.url)), "..");
const MAIN = join(APP, "dist", "main.js");

function post(port: number, ca: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "localhost", port, path: "/", method: "POST", ca, headers: { "Content-Type": "application/json" } },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("main --dev", () => {
  it("starts without a cluster, injects the README's example, and exits 0 on SIGTERM", async () => {
    // `pnpm test` builds first (turbo); a bare `vitest run` needs `pnpm build`.
    expect(existsSync(MAIN), `${MAIN} is missing: run pnpm build`).toBe(true);
    const child = spawn(process.execPath, [MAIN, "--dev", "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      const deadline = Date.now() + 15_000;
      while (!stdout.includes("-----END CERTIFICATE-----") && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const port = Number(/webhook\s+https:\/\/127\.0\.0\.1:(\d+)\//.exec(stdout)?.[1]);
      const caFile = /CA\s+(\S+ca\.crt)/.exec(stdout)?.[1] ?? "";
      expect(port).toBeGreaterThan(0);
      expect(stderr).toContain("throwaway identity trust anchor");
      expect(stderr).toContain("look-ups are off");

      const example = readFileSync(join(APP, "examples", "admission-review.json"), "utf8");
      const res = await post(port, readFileSync(caFile, "utf8"), example);
      expect(res.status).toBe(200);
      const response = (JSON.parse(res.text) as { response: { allowed: boolean; patch: string } }).response;
      expect(response.allowed).toBe(true);
      const patch = JSON.parse(Buffer.from(response.patch, "base64").toString()) as { path: string }[];
      expect(patch.map((op) => op.path)).toContain("/spec/initContainers/1");
      expect(stderr).toMatch(/msg="admission review" uid=0a6f4e53-3c2b-4d8e-9f61-7b2a1c5d9e80 kind=pod namespace=shop name=hello outcome=injected/);

      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(stderr).toContain('msg="draining in-flight requests" signal=SIGTERM');
    } finally {
      child.kill("SIGKILL");
    }
  }, 30_000);
});
