import { spawn } from "node:child_process";
import { recordForCleanup } from "./context.js";
import type { Kubectl } from "./kubectl.js";
import { stopPid } from "./process.js";

/**
 * `kubectl proxy` on a loopback port: plain HTTP to the API server with the kubeconfig's credentials, whatever
 * they are (token, client certificate, exec plugin). The burst test posts through it with `fetch`, concurrently,
 * instead of spawning hundreds of kubectl processes.
 */
export class KubectlProxy {
  private constructor(
    readonly pid: number,
    readonly url: string,
  ) {}

  static start(kubectl: Kubectl, cleanupFile: string, timeoutMs = 15_000): Promise<KubectlProxy> {
    const child = spawn("kubectl", ["--kubeconfig", kubectl.kubeconfig, "proxy", "--address=127.0.0.1", "--port=0"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    if (child.pid !== undefined) recordForCleanup(cleanupFile, { pid: child.pid, what: "kubectl proxy" });
    return new Promise((resolve, reject) => {
      let output = "";
      const fail = (message: string) => {
        clearTimeout(timer);
        if (child.pid !== undefined) void stopPid(child.pid, 2000);
        reject(new Error(`${message}\n${output}`));
      };
      const timer = setTimeout(() => fail(`kubectl proxy did not start in ${timeoutMs} ms`), timeoutMs);
      const onData = (chunk: Buffer) => {
        output += chunk.toString("utf8");
        const match = /Starting to serve on ([\d.]+:\d+)/.exec(output);
        if (match !== null && child.pid !== undefined) {
          clearTimeout(timer);
          child.stdout.off("data", onData);
          // Keep draining its output so that it never blocks on a full pipe.
          child.stdout.resume();
          child.stderr.resume();
          resolve(new KubectlProxy(child.pid, `http://${match[1]}`));
        }
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", (chunk: Buffer) => {
        output += chunk.toString("utf8");
      });
      child.once("exit", (code) => fail(`kubectl proxy exited with ${code}`));
    });
  }

  stop(): Promise<void> {
    return stopPid(this.pid, 5000);
  }
}

/** Runs `task` over `items` with at most `limit` in flight, keeping the results in input order. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
