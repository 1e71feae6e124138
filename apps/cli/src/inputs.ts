/**
 * The INPUT argument (spec §5.2): `-` for stdin, an https URL, a file, or a directory walked recursively in
 * lexical order for its `.yaml`, `.yml` and `.json` files. Each source is read only when its turn comes, so earlier
 * files are printed before a later one fails, as Linkerd does.
 */
import { join } from "node:path";
import type { CliIo } from "./io.js";
import { errorMessage, fileErrorReason } from "./io.js";

export interface InputSource {
  /** How errors name it: the path, `stdin` or the URL. */
  name: string;
  read(): Promise<string>;
}

export type InputsResult = { ok: true; sources: InputSource[] } | { ok: false; message: string };

/** Reading a source failed; the message is ready to print. */
export class InputError extends Error {}

export async function listInputs(input: string, io: CliIo): Promise<InputsResult> {
  if (input === "-") return { ok: true, sources: [{ name: "stdin", read: () => io.readStdin() }] };
  const url = asUrl(input);
  if (url !== undefined) {
    if (url.protocol !== "https:") return { ok: false, message: "only HTTPS URLs are allowed" };
    return { ok: true, sources: [{ name: input, read: () => readUrl(input, io) }] };
  }
  const kind = await io.stat(input).catch(() => "other" as const);
  switch (kind) {
    case "missing":
      return { ok: false, message: `cannot read ${input}: no such file or directory` };
    case "file":
      return { ok: true, sources: [fileSource(input, io)] };
    case "directory":
      try {
        return { ok: true, sources: (await walk(input, io)).map((path) => fileSource(path, io)) };
      } catch (error) {
        return { ok: false, message: `cannot read directory ${input}: ${fileErrorReason(error)}` };
      }
    default:
      return { ok: false, message: `cannot read ${input}: not a file or a directory` };
  }
}

/** A URL is what has a scheme and a host, like Go's `url.ParseRequestURI` check in Linkerd. */
function asUrl(input: string): URL | undefined {
  try {
    const url = new URL(input);
    return url.host !== "" ? url : undefined;
  } catch {
    return undefined;
  }
}

async function readUrl(url: string, io: CliIo): Promise<string> {
  let response;
  try {
    response = await io.fetchUrl(url);
  } catch (error) {
    throw new InputError(`unable to read URL "${url}": ${errorMessage(error)}`);
  }
  if (response.status !== 200) {
    throw new InputError(
      `unable to read URL "${url}", server reported ${response.statusText || "an error"}, status code=${response.status}`,
    );
  }
  return response.body;
}

function fileSource(path: string, io: CliIo): InputSource {
  return {
    name: path,
    read: async () => {
      try {
        return await io.readFile(path);
      } catch (error) {
        throw new InputError(`cannot read ${path}: ${fileErrorReason(error)}`);
      }
    },
  };
}

/** The manifests a directory may hold, as `kubectl apply -f DIR` reads them. */
const MANIFEST = /\.(?:ya?ml|json)$/;

/**
 * The manifests under `directory` (`.yaml`, `.yml` and `.json` files), depth first, entries in byte order of their
 * names (Go's `filepath.Walk`). A README or a script beside the manifests would otherwise be echoed into the output
 * as a document.
 */
async function walk(directory: string, io: CliIo): Promise<string[]> {
  const entries = await io.readDir(directory);
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (entry.kind === "file") {
      if (MANIFEST.test(entry.name)) files.push(path);
    } else if (entry.kind === "directory") files.push(...(await walk(path, io)));
  }
  return files;
}
