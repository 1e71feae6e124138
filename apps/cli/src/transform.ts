/**
 * One input file through a transform (spec §5.3): split into documents, parse, check each as Kubernetes' types
 * would read it, transform it, and render the output only if every document succeeded, so that a bad input prints
 * nothing of itself.
 */
import { applyPatch, type JsonValue, type PatchOperation, type ResourceReport } from "@l5d-injector/injector-core";
import { parseSourceDocument, splitDocuments } from "./documents.js";
import { emptyValueRemovals } from "./empty-values.js";
import { checkShape } from "./shape.js";
import { patchDocumentText } from "./yaml-patch.js";

/** `yaml` (the manifests), `json` (one line a document), or `patch` (one RFC 6902 patch a document). */
export type OutputFormat = "yaml" | "json" | "patch";

/** What a transform did to one document: the patches in the order they apply, and the object they produce. */
export type DocumentOutcome =
  | { ok: true; patches: PatchOperation[][]; object: JsonValue; reports: ResourceReport[] }
  | { ok: false; messages: string[] };

export type DocumentTransform = (value: JsonValue) => DocumentOutcome;

export type FileResult =
  | {
      ok: true;
      output: string;
      reports: ResourceReport[];
      /** Whether any document changed. */
      changed: boolean;
    }
  | { ok: false; errors: string[] };

export function transformFile(
  name: string,
  text: string,
  transform: DocumentTransform,
  format: OutputFormat,
): FileResult {
  const split = splitDocuments(text);
  if (!split.ok) return { ok: false, errors: [`${name}:${split.problem.line}: ${split.problem.message}`] };

  const errors: string[] = [];
  const output = new OutputBuffer();
  const reports: ResourceReport[] = [];
  let changed = false;
  for (const [index, source] of split.documents.entries()) {
    const parsed = parseSourceDocument(source);
    if (!parsed.ok) {
      const { line, column, message } = parsed.problem;
      errors.push(
        `failed to parse ${name} at line ${line}${column === undefined ? "" : `, column ${column}`}: ${message}`,
      );
      continue;
    }
    const shape = checkShape(parsed.value);
    if (shape !== undefined) {
      // Linkerd refuses such a document when it decodes it into Kubernetes' types; name where it is.
      errors.push(
        `${name}: document ${index + 1} (line ${source.firstLine}${resourceName(parsed.value)}): ${shape.path}: ${shape.message}`,
      );
      continue;
    }
    let outcome: DocumentOutcome;
    try {
      outcome = transform(parsed.value);
    } catch (error) {
      // Expected outcomes come back as data; a throw is a broken invariant (a bug), named with its code.
      const code = (error as { code?: unknown }).code;
      const message = error instanceof Error ? error.message : String(error);
      errors.push(
        `internal error on a document of ${name} starting at line ${source.firstLine}: ${typeof code === "string" ? `${code}: ` : ""}${message}`,
      );
      continue;
    }
    if (!outcome.ok) {
      errors.push(...outcome.messages);
      continue;
    }
    reports.push(...outcome.reports);
    if (errors.length > 0) continue;
    let operations = outcome.patches.flat();
    let object = operations.length === 0 ? parsed.value : outcome.object;
    if (operations.length > 0) {
      const removals = emptyValueRemovals(parsed.value, object);
      if (removals.length > 0) {
        object = applyPatch(object, removals);
        operations = [...operations, ...removals];
      }
      changed = true;
    }
    if (format === "json") {
      output.push(`${JSON.stringify(sortKeys(object))}\n`);
    } else if (format === "patch") {
      output.push(`${JSON.stringify({ ...identity(parsed.value), patch: operations })}\n`);
    } else if (operations.length === 0) {
      // Untouched documents (unsupported kinds, documents without a kind, skipped workloads) are echoed as written.
      output.push(`${withNewline(source.text)}---\n`);
    } else {
      output.push(`${patchDocumentText(source.text, object, parsed).text}---\n`);
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, output: output.text(), reports, changed };
}

/**
 * The output of the documents so far. Documents are joined into chunks of a few hundred kilobytes as they come: a
 * large output kept as one small string per document made every young-generation collection copy them all again,
 * while a chunk that large is allocated where the collector does not move it.
 */
class OutputBuffer {
  private readonly chunks: string[] = [];
  private pending: string[] = [];
  private pendingLength = 0;

  push(text: string): void {
    this.pending.push(text);
    this.pendingLength += text.length;
    if (this.pendingLength >= 256 * 1024) this.flush();
  }

  text(): string {
    this.flush();
    return this.chunks.join("");
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.chunks.push(this.pending.join(""));
    this.pending = [];
    this.pendingLength = 0;
  }
}

/** `, deployment/web` for an error message, when the document says what it is. */
function resourceName(value: JsonValue): string {
  const { kind, name } = identity(value);
  return kind === "" ? "" : `, ${kind.toLowerCase()}/${name}`;
}

/** The document's kind, namespace and name, empty where absent. */
function identity(value: JsonValue): { kind: string; namespace: string; name: string } {
  const object = isObject(value) ? value : {};
  const metadata = isObject(object["metadata"]) ? object["metadata"] : {};
  const text = (field: JsonValue | undefined) => (typeof field === "string" ? field : "");
  return { kind: text(object["kind"]), namespace: text(metadata["namespace"]), name: text(metadata["name"]) };
}

function isObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function withNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}

/** Keys sorted at every level, as Linkerd's JSON output (Go's encoding of maps). */
export function sortKeys(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const sorted: { [key: string]: JsonValue } = {};
  for (const key of Object.keys(value).sort()) sorted[key] = sortKeys(value[key] as JsonValue);
  return sorted;
}
