/**
 * Reading manifests: splitting an input into documents the way Linkerd does, and parsing each document as
 * Kubernetes tooling reads YAML.
 */
import {
  LineCounter,
  parseDocument,
  type Document,
  type DocumentOptions,
  type ParseOptions,
  type SchemaOptions,
} from "yaml";
import type { JsonValue } from "@l5d-injector/injector-core";

/** One document of an input, with where it starts so that errors can name the line of the file. */
export interface SourceDocument {
  /** The document's text, without the `---` separator lines around it. */
  text: string;
  /** 1-based line of the file on which `text` starts. */
  firstLine: number;
}

/** A problem in the input text, located in the file. */
export interface TextProblem {
  line: number;
  column?: number;
  message: string;
}

export type SplitResult = { ok: true; documents: SourceDocument[] } | { ok: false; problem: TextProblem };

/**
 * Splits an input into documents like Kubernetes' `YAMLReader` (which `linkerd inject` uses, spec §5.2): a line
 * starting with `---` ends a document and may only be followed by a comment; empty chunks (a leading `---`, a
 * trailing `---`) are dropped, while a chunk holding only blank lines is kept and later reported as a document
 * missing its kind.
 */
export function splitDocuments(text: string): SplitResult {
  const documents: SourceDocument[] = [];
  let current = "";
  let currentStart = 1;
  let lineNumber = 0;
  let offset = 0;
  while (offset < text.length) {
    const newline = text.indexOf("\n", offset);
    const end = newline < 0 ? text.length : newline + 1;
    const line = text.slice(offset, end);
    lineNumber += 1;
    offset = end;
    if (line.startsWith("---")) {
      const rest = line.slice(3).trim();
      if (rest !== "" && !rest.startsWith("#")) {
        return {
          ok: false,
          problem: {
            line: lineNumber,
            message: `invalid document separator "${line.trimEnd()}": only a comment may follow "---"`,
          },
        };
      }
      if (current !== "") documents.push({ text: current, firstLine: currentStart });
      current = "";
      currentStart = lineNumber + 1;
      continue;
    }
    if (current === "") currentStart = lineNumber;
    current += line;
  }
  if (current !== "") documents.push({ text: current, firstLine: currentStart });
  return { ok: true, documents };
}

/**
 * YAML 1.1 as Kubernetes reads it (go-yaml v2 behind sigs.k8s.io/yaml): `yes`/`on` are booleans and `0777` is
 * octal, but `12:30` stays a string (go-yaml has no sexagesimal numbers) and so does `2001-12-14` (go-yaml keeps
 * timestamps as strings when decoding into untyped values).
 */
export const KUBERNETES_YAML: ParseOptions & DocumentOptions & SchemaOptions = {
  version: "1.1",
  customTags: (tags) =>
    tags.filter((tag) => {
      if (typeof tag !== "object" || tag === null) return true;
      const { format, tag: name } = tag as { format?: string; tag?: string };
      return format !== "TIME" && name !== "tag:yaml.org,2002:timestamp";
    }),
  uniqueKeys: true,
  prettyErrors: false,
};

export type ParsedDocument =
  | { ok: true; document: Document.Parsed; value: JsonValue }
  | { ok: false; problem: TextProblem };

/** Parses one document; `firstLine` makes error lines count from the top of the file. */
export function parseSourceDocument(source: SourceDocument): ParsedDocument {
  const document = parseDocument(source.text, KUBERNETES_YAML);
  const error = document.errors[0];
  if (error !== undefined) {
    // Lines are counted only for a document that has an error: parsed again, the same error, with a line counter.
    const lineCounter = new LineCounter();
    parseDocument(source.text, { ...KUBERNETES_YAML, lineCounter });
    const position = lineCounter.linePos(error.pos[0]);
    return {
      ok: false,
      problem: { line: source.firstLine - 1 + position.line, column: position.col, message: error.message },
    };
  }
  let js: unknown;
  try {
    js = document.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    // An alias whose anchor is missing or used too often is only found when the value is built.
    return {
      ok: false,
      problem: { line: source.firstLine, message: error instanceof Error ? error.message : String(error) },
    };
  }
  const converted = toJsonValue(js, "");
  if (!converted.ok) {
    return { ok: false, problem: { line: source.firstLine, message: converted.message } };
  }
  return { ok: true, document, value: converted.value };
}

/**
 * Checks that a parsed document is plain JSON data (what the API server would accept), converting what YAML
 * allows beyond JSON where the meaning is clear (big integers) and refusing the rest with the path at fault.
 */
export function toJsonValue(
  input: unknown,
  path: string,
): { ok: true; value: JsonValue } | { ok: false; message: string } {
  // Nearly every document is plain JSON data already: checked in place, it needs no copy.
  return isJsonData(input) ? { ok: true, value: input } : convert(input, path);
}

/** Whether a value is JSON data as it stands: finite numbers, plain objects without a `__proto__` key, dense arrays. */
function isJsonData(input: unknown): input is JsonValue {
  switch (typeof input) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(input);
    case "object":
      break;
    default:
      return false;
  }
  if (input === null) return true;
  if (Array.isArray(input)) {
    for (let index = 0; index < input.length; index += 1) {
      if (!(index in input) || !isJsonData(input[index])) return false;
    }
    return true;
  }
  if (Object.getPrototypeOf(input) !== Object.prototype) return false;
  for (const key in input) {
    // Copying such a key (below) sets the copy's prototype instead: the copy is what the reader gets.
    if (key === "__proto__" || !isJsonData((input as Record<string, unknown>)[key])) return false;
  }
  return true;
}

function convert(input: unknown, path: string): { ok: true; value: JsonValue } | { ok: false; message: string } {
  if (input === null || input === undefined) return { ok: true, value: null };
  switch (typeof input) {
    case "string":
    case "boolean":
      return { ok: true, value: input };
    case "number":
      return Number.isFinite(input)
        ? { ok: true, value: input }
        : { ok: false, message: `${path || "document"}: ${String(input)} cannot be represented in JSON` };
    case "bigint":
      return { ok: true, value: Number(input) };
    default:
      break;
  }
  if (Array.isArray(input)) {
    const items: JsonValue[] = [];
    for (const [index, item] of input.entries()) {
      const converted = convert(item, `${path}[${index}]`);
      if (!converted.ok) return converted;
      items.push(converted.value);
    }
    return { ok: true, value: items };
  }
  if (Object.getPrototypeOf(input) === Object.prototype) {
    const object: { [key: string]: JsonValue } = {};
    for (const [key, item] of Object.entries(input as Record<string, unknown>)) {
      const converted = convert(item, path === "" ? key : `${path}.${key}`);
      if (!converted.ok) return converted;
      object[key] = converted.value;
    }
    return { ok: true, value: object };
  }
  return { ok: false, message: `${path || "document"}: YAML type ${describe(input)} cannot be represented in JSON` };
}

function describe(value: unknown): string {
  if (value instanceof Map) return "!!omap/!!pairs";
  if (value instanceof Set) return "!!set";
  if (value instanceof Uint8Array) return "!!binary";
  return Object.prototype.toString.call(value);
}
