/**
 * An in-memory `CliIo`: files and directories from a path → content map, stdin, URLs and the cluster as data,
 * and every write recorded in order so that tests can check what went where, and when.
 */
import type { CliIo, ClusterRequest, ClusterValuesResult, EntryKind, HttpResponse } from "../io.js";
import type { KubeConnection } from "../kube-api.js";

export interface MemoryIoOptions {
  /** Path → content; a value that is an Error makes reading that file fail with it. */
  files?: Record<string, string | Error>;
  stdin?: string;
  urls?: Record<string, HttpResponse>;
  cluster?: ClusterValuesResult;
  /** What `connectKube` gives: a `memoryKube(...)` connection, or a failure. */
  kube?: KubeConnection;
  isTTY?: boolean;
}

export interface MemoryIo extends CliIo {
  /** Everything written, in order. */
  writes: Array<{ stream: "stdout" | "stderr"; text: string }>;
  stdoutText(): string;
  stderrText(): string;
  clusterRequests: ClusterRequest[];
  fetched: string[];
}

export function memoryIo(options: MemoryIoOptions = {}): MemoryIo {
  const files = options.files ?? {};
  const writes: MemoryIo["writes"] = [];
  const clusterRequests: ClusterRequest[] = [];
  const fetched: string[] = [];
  const isDirectory = (path: string) => {
    const prefix = path.endsWith("/") ? path : `${path}/`;
    return Object.keys(files).some((file) => file.startsWith(prefix));
  };
  const kindOf = (path: string): EntryKind => (path in files ? "file" : isDirectory(path) ? "directory" : "missing");
  return {
    async readFile(path) {
      const content = files[path];
      if (content instanceof Error) throw content;
      if (content === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
      return content;
    },
    async stat(path) {
      return kindOf(path);
    },
    async readDir(path) {
      const prefix = path.endsWith("/") ? path : `${path}/`;
      const names = new Set<string>();
      for (const file of Object.keys(files)) {
        if (file.startsWith(prefix)) names.add(file.slice(prefix.length).split("/")[0] as string);
      }
      return [...names].map((name) => ({ name, kind: kindOf(prefix + name) }));
    },
    async readStdin() {
      return options.stdin ?? "";
    },
    async fetchUrl(url) {
      fetched.push(url);
      const response = options.urls?.[url];
      if (response === undefined) throw new Error("getaddrinfo ENOTFOUND");
      return response;
    },
    async readClusterValues(request) {
      clusterRequests.push(request);
      return options.cluster ?? { ok: false, message: "no cluster in this test" };
    },
    async connectKube(request) {
      clusterRequests.push(request);
      return options.kube ?? { ok: false, message: "no cluster in this test" };
    },
    stdout: { write: (text) => void writes.push({ stream: "stdout", text }) },
    stderr: { write: (text) => void writes.push({ stream: "stderr", text }), isTTY: options.isTTY ?? false },
    writes,
    stdoutText: () =>
      writes
        .filter((write) => write.stream === "stdout")
        .map((write) => write.text)
        .join(""),
    stderrText: () =>
      writes
        .filter((write) => write.stream === "stderr")
        .map((write) => write.text)
        .join(""),
    clusterRequests,
    fetched,
  };
}
