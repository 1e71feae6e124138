/**
 * Everything the commands do to the outside world, passed in, so that `runInject` / `runUninject` run in tests
 * without a process, a file system, a network or a cluster (`main.ts` builds the real one in `node-io.ts`).
 */
import type { KubeConnection } from "./kube-api.js";

export type EntryKind = "file" | "directory" | "other" | "missing";

/** Where Linkerd's configuration lives: ConfigMap `linkerd-config` in the control-plane namespace. */
export interface ClusterRequest {
  namespace: string;
  /** `--kubeconfig`; otherwise the usual resolution (KUBECONFIG, ~/.kube/config, in-cluster). */
  kubeconfig?: string;
  /** `--context`. */
  context?: string;
  /** `--as`: the user to impersonate. */
  impersonate?: string;
  /** `--as-group`: the groups to impersonate, each sent as its own `Impersonate-Group` header. */
  impersonateGroups?: readonly string[];
}

/** The global flags that say which cluster to read, and as whom. */
export interface ClusterFlags {
  linkerdNamespace: string;
  kubeconfig?: string | undefined;
  context?: string | undefined;
  impersonate?: string | undefined;
  impersonateGroups?: readonly string[] | undefined;
}

/** The request for `linkerd-config` that the global flags describe; unset flags are left out. */
export function clusterRequest(flags: ClusterFlags): ClusterRequest {
  return {
    namespace: flags.linkerdNamespace,
    ...(flags.kubeconfig === undefined ? {} : { kubeconfig: flags.kubeconfig }),
    ...(flags.context === undefined ? {} : { context: flags.context }),
    ...(flags.impersonate === undefined ? {} : { impersonate: flags.impersonate }),
    ...(flags.impersonateGroups === undefined || flags.impersonateGroups.length === 0
      ? {}
      : { impersonateGroups: flags.impersonateGroups }),
  };
}

/** The `values` of `linkerd-config`, parsed, or one line saying what went wrong. */
export type ClusterValuesResult = { ok: true; values: unknown } | { ok: false; message: string };

export interface HttpResponse {
  status: number;
  statusText: string;
  body: string;
}

export interface CliIo {
  /** Reads a UTF-8 file; rejects with a Node-style error (`code` ENOENT, EACCES, EISDIR...). */
  readFile(path: string): Promise<string>;
  /** What a path is, following symbolic links; `missing` when nothing is there. */
  stat(path: string): Promise<EntryKind>;
  /** The entries of a directory, each with what it is (symbolic links followed). */
  readDir(path: string): Promise<Array<{ name: string; kind: EntryKind }>>;
  readStdin(): Promise<string>;
  fetchUrl(url: string): Promise<HttpResponse>;
  readClusterValues(request: ClusterRequest): Promise<ClusterValuesResult>;
  /** A connection to the cluster of the global flags, for commands that read more than `linkerd-config`. */
  connectKube(request: ClusterRequest): Promise<KubeConnection>;
  stdout: { write(text: string): void };
  /** `isTTY` decides whether the report is coloured (false when NO_COLOR is set). */
  stderr: { write(text: string): void; isTTY: boolean };
}

/** The message of a thrown value, without a stack. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** A file-system error as a short phrase: `no such file or directory`, `permission denied`. */
export function fileErrorReason(error: unknown): string {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  switch (code) {
    case "ENOENT":
      return "no such file or directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "is a directory";
    case "ENOTDIR":
      return "not a directory";
    default:
      return errorMessage(error);
  }
}
