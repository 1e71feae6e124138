/**
 * The real `CliIo`: Node's file system, stdin, `fetch` and the cluster. Built by `main.ts` only.
 */
import { lstat, readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { CliIo, EntryKind } from "./io.js";

export interface NodeIoOptions {
  /** Colour the report: stderr is a terminal and NO_COLOR is not set. */
  color: boolean;
}

export function createNodeIo(options: NodeIoOptions): CliIo {
  return {
    readFile: (path) => readFile(path, "utf8"),
    stat: kindOf,
    async readDir(path) {
      const names = await readdir(path);
      return Promise.all(names.map(async (name) => ({ name, kind: await entryKindOf(join(path, name)) })));
    },
    async readStdin() {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
    async fetchUrl(url) {
      const response = await fetch(url, { redirect: "follow" });
      return { status: response.status, statusText: response.statusText, body: await response.text() };
    },
    async readClusterValues(request) {
      const { readClusterValues } = await import("./cluster.js");
      return readClusterValues(request);
    },
    async connectKube(request) {
      const { connectKube } = await import("./kube-api.js");
      return connectKube(request);
    },
    stdout: { write: (text) => void process.stdout.write(text) },
    stderr: { write: (text) => void process.stderr.write(text), isTTY: options.color },
  };
}

async function kindOf(path: string): Promise<EntryKind> {
  try {
    const info = await stat(path);
    if (info.isFile()) return "file";
    if (info.isDirectory()) return "directory";
    return "other";
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") return "missing";
    throw error;
  }
}

/** Inside a directory, a symbolic link to a directory is not followed (as Go's `filepath.Walk`): no cycles. */
async function entryKindOf(path: string): Promise<EntryKind> {
  const info = await lstat(path);
  if (info.isSymbolicLink()) {
    const target = await kindOf(path);
    return target === "file" ? "file" : "other";
  }
  if (info.isFile()) return "file";
  if (info.isDirectory()) return "directory";
  return "other";
}
