import { appendFileSync, existsSync, readFileSync } from "node:fs";
import type { CertFiles } from "./certs.js";

/** What the global setup prepared, handed to the test files with vitest's `provide`/`inject`. */
export interface E2eContext {
  /** Admin kubeconfig (the one `up` wrote, or a flattened copy of `$KUBECONFIG`). */
  kubeconfig: string;
  /** True when the suite started the control plane itself (and may therefore create a fake Node). */
  ownCluster: boolean;
  server: ServerVersion;
  /** Kubeconfig holding the webhook ServiceAccount's token: the webhook can do only what deploy/ grants. */
  webhookKubeconfig: string;
  serviceAccount: { name: string; namespace: string };
  /** Serving certificate for the webhook and the admission recorder, and the CA bundle that verifies it. */
  serving: CertFiles;
  caBundle: string;
  valuesFile: string;
  trustRootsFile: string;
  /** The host the API server dials to reach processes of this suite, and the address they listen on. */
  webhookHost: string;
  listenHost: string;
  linkerdNamespace: string;
  /** Short random id: namespaces of this run are `e2e-<runId>-…`. */
  runId: string;
  workDir: string;
  /** Append-only JSON lines of what the global teardown must stop or delete if a test file could not. */
  cleanupFile: string;
}

export interface ServerVersion {
  gitVersion: string;
  major: number;
  minor: number;
}

declare module "vitest" {
  export interface ProvidedContext {
    e2e: E2eContext;
  }
}

export type CleanupEntry = { pid: number; what: string } | { resource: string; name: string; namespace?: string };

/**
 * Records a process or object for the global teardown. Written synchronously so that it is on disk before the
 * process starts serving or the object can affect the cluster, even if the test worker dies right after.
 */
export function recordForCleanup(file: string, entry: CleanupEntry): void {
  appendFileSync(file, `${JSON.stringify(entry)}\n`);
}

export function readCleanupEntries(file: string): CleanupEntry[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as CleanupEntry);
}
