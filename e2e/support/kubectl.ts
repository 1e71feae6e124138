import type { KubeList, KubeObject } from "./kube-types.js";
import { run, runOk, type RunOptions, type RunResult } from "./process.js";

/**
 * kubectl with a fixed kubeconfig and JSON in and out. Every call has a deadline (60 s unless told), and the
 * kubeconfig is always passed explicitly so that no ambient `KUBECONFIG` or `~/.kube/config` can redirect a call.
 */
export class Kubectl {
  constructor(readonly kubeconfig: string) {}

  run(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return run("kubectl", ["--kubeconfig", this.kubeconfig, ...args], { timeoutMs: 60_000, ...options });
  }

  ok(args: readonly string[], options: RunOptions = {}): Promise<string> {
    return runOk("kubectl", ["--kubeconfig", this.kubeconfig, ...args], { timeoutMs: 60_000, ...options });
  }

  async json<T>(args: readonly string[], options: RunOptions = {}): Promise<T> {
    return JSON.parse(await this.ok([...args, "-o", "json"], options)) as T;
  }

  /** One object, or `undefined` when it does not exist. */
  async get<T extends KubeObject>(resource: string, name: string, namespace?: string): Promise<T | undefined> {
    const text = await this.ok([...ns(namespace), "get", resource, name, "--ignore-not-found", "-o", "json"]);
    return text.trim() === "" ? undefined : (JSON.parse(text) as T);
  }

  async list<T extends KubeObject>(
    resource: string,
    namespace?: string,
    selector?: string,
    fieldSelector?: string,
  ): Promise<T[]> {
    const args = [...ns(namespace), "get", resource];
    if (selector !== undefined) args.push("-l", selector);
    if (fieldSelector !== undefined) args.push("--field-selector", fieldSelector);
    return (await this.json<KubeList<T>>(args)).items;
  }

  async apply(objects: readonly unknown[]): Promise<void> {
    await this.ok(["apply", "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }) });
  }

  /** Creates one object and returns it as stored (or, with `--dry-run=server` in `extra`, as it would be). */
  async create<T extends KubeObject>(object: unknown, extra: readonly string[] = []): Promise<T> {
    return JSON.parse(
      await this.ok(["create", "-f", "-", "-o", "json", ...extra], { input: JSON.stringify(object) }),
    ) as T;
  }

  /** Deletes without waiting for finalizers: clean-up must not hold the suite up. */
  async delete(resource: string, name: string, namespace?: string): Promise<void> {
    await this.ok([...ns(namespace), "delete", resource, name, "--ignore-not-found", "--wait=false"]);
  }
}

function ns(namespace: string | undefined): string[] {
  return namespace === undefined ? [] : ["-n", namespace];
}
