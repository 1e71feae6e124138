/**
 * One input file through a transform (spec §5.3): split into documents, parse, transform each, and render the
 * output only if every document succeeded, so that a bad input prints nothing of itself.
 */
import type { JsonValue, PatchOperation, ResourceReport } from "@l5d-injector/injector-core";
import { parseSourceDocument, splitDocuments } from "./documents.js";
import { patchDocumentText } from "./yaml-patch.js";

export type OutputFormat = "yaml" | "json";

/** What a transform did to one document: the patches in the order they apply, and the object they produce. */
export type DocumentOutcome =
  | { ok: true; patches: PatchOperation[][]; object: JsonValue; reports: ResourceReport[] }
  | { ok: false; messages: string[] };

export type DocumentTransform = (value: JsonValue) => DocumentOutcome;

export type FileResult =
  | { ok: true; output: string; reports: ResourceReport[] }
  | { ok: false; errors: string[] };

export function transformFile(name: string, text: string, transform: DocumentTransform, format: OutputFormat): FileResult {
  const split = splitDocuments(text);
  if (!split.ok) return { ok: false, errors: [`${name}:${split.problem.line}: ${split.problem.message}`] };

  const errors: string[] = [];
  const outputs: string[] = [];
  const reports: ResourceReport[] = [];
  for (const source of split.documents) {
    const parsed = parseSourceDocument(source);
    if (!parsed.ok) {
      const { line, column, message } = parsed.problem;
      errors.push(`failed to parse ${name} at line ${line}${column === undefined ? "" : `, column ${column}`}: ${message}`);
      continue;
    }
    let outcome: DocumentOutcome;
    try {
      outcome = transform(parsed.value);
    } catch (error) {
      // Expected outcomes come back as data; a throw is a broken invariant (a bug), named with its code.
      const code = (error as { code?: unknown }).code;
      const message = error instanceof Error ? error.message : String(error);
      errors.push(`internal error on a document of ${name} starting at line ${source.firstLine}: ${typeof code === "string" ? `${code}: ` : ""}${message}`);
      continue;
    }
    if (!outcome.ok) {
      errors.push(...outcome.messages);
      continue;
    }
    reports.push(...outcome.reports);
    if (errors.length > 0) continue;
    const operations = outcome.patches.flat();
    if (format === "json") {
      outputs.push(`${JSON.stringify(sortKeys(operations.length === 0 ? parsed.value : outcome.object))}\n`);
    } else if (operations.length === 0) {
      // Untouched documents (unsupported kinds, documents without a kind, skipped workloads) are echoed as written.
      outputs.push(`${withNewline(source.text)}---\n`);
    } else {
      outputs.push(`${patchDocumentText(source.text, outcome.object, parsed).text}---\n`);
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, output: outputs.join(""), reports };
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
