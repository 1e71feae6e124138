/**
 * Writes JSON values as block YAML, for the lines an injection adds to a manifest.
 *
 * The `yaml` package's printer builds a node tree first and took a third of the time of a large `--manual` run
 * (the injected proxy is hundreds of lines per workload); this writer goes straight from JSON to text. It only
 * ever writes plain scalars that no YAML reader in use can take for anything but a string (what reads as a number, a
 * date, a time, a boolean or null is quoted), double-quoted strings otherwise (JSON's escapes are YAML's),
 * and `|` literal blocks for multi-line strings where a literal block says exactly the same; `yaml-emit.test.ts`
 * reads everything it writes back with two YAML 1.1 readers.
 */
import type { JsonValue } from "@l5d-injector/injector-core";

export interface EmitStyle {
  /** Spaces per nesting level. */
  indent: number;
  /** `key:\n  - item` (true) or `key:\n- item` (false, the Kubernetes style). */
  indentSeq: boolean;
  /** Write map keys in byte order, as Linkerd's output (and `kubectl get -o yaml`) has them. */
  sortKeys?: boolean;
}

/** The value as block YAML lines, unindented, without a final newline. */
export function emitYaml(value: JsonValue, style: EmitStyle): string {
  const lines: string[] = [];
  if (isObject(value) && Object.keys(value).length > 0) emitMap(value, 0, style, lines, "");
  else if (Array.isArray(value) && value.length > 0) emitSeq(value, 0, style, lines, "");
  else lines.push(inline(value, 0, style).join("\n"));
  return lines.join("\n");
}

type JsonObject = { [key: string]: JsonValue };

function isObject(value: JsonValue): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Map entries at `column`; `first` is what goes before the first key on its line (a `- ` already written by an
 * enclosing sequence), so that `- name: x` stays on one line.
 */
function emitMap(map: JsonObject, column: number, style: EmitStyle, lines: string[], first: string): void {
  let prefix = first;
  const entries = Object.entries(map);
  if (style.sortKeys === true) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [key, value] of entries) {
    const head = `${prefix}${scalar(key)}:`;
    prefix = " ".repeat(column);
    if (isObject(value) && Object.keys(value).length > 0) {
      lines.push(head);
      emitMap(value, column + style.indent, style, lines, " ".repeat(column + style.indent));
    } else if (Array.isArray(value) && value.length > 0) {
      lines.push(head);
      // Linkerd's layout puts a list's dashes under its key; indented sequences sit one step in.
      const dashColumn = style.indentSeq ? column + style.indent : column;
      emitSeq(value, dashColumn, style, lines, " ".repeat(dashColumn));
    } else {
      const [text, ...rest] = inline(value, column + style.indent, style);
      lines.push(`${head} ${text}`, ...rest);
    }
  }
}

/** Sequence items with their dashes at `column`; `first` precedes the first dash, as in `emitMap`. */
function emitSeq(items: JsonValue[], column: number, style: EmitStyle, lines: string[], first: string): void {
  let prefix = first;
  for (const item of items) {
    const dash = `${prefix}- `;
    prefix = " ".repeat(column);
    if (isObject(item) && Object.keys(item).length > 0) {
      emitMap(item, column + 2, style, lines, dash);
    } else if (Array.isArray(item) && item.length > 0) {
      emitSeq(item, column + 2, style, lines, dash);
    } else {
      const [text, ...rest] = inline(item, column + 2, style);
      lines.push(`${dash}${text}`, ...rest);
    }
  }
}

/** A value written after `key: ` or `- `: a scalar, an empty collection, or a literal block (content at `column`). */
function inline(value: JsonValue, column: number, style: EmitStyle): string[] {
  if (isObject(value)) return ["{}"];
  if (Array.isArray(value)) return ["[]"];
  if (typeof value === "string" && literalBlockFits(value)) {
    const pad = " ".repeat(Math.max(column, style.indent));
    const body = value.endsWith("\n") ? value.slice(0, -1) : value;
    return [value.endsWith("\n") ? "|" : "|-", ...body.split("\n").map((line) => (line === "" ? "" : pad + line))];
  }
  return [scalar(value)];
}

/**
 * Whether a literal block reads back as exactly `value`: several lines, none starting with a space (that would
 * need an indentation indicator) or holding only spaces, no tabs or carriage returns, and at most one final line
 * break (more would need keep chomping, which would also swallow the blank lines that follow the block).
 */
function literalBlockFits(value: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters a literal block cannot hold.
  if (!value.includes("\n") || /[\t\r\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/.test(value))
    return false;
  if (value.endsWith("\n\n") || value === "\n") return false;
  const lines = (value.endsWith("\n") ? value.slice(0, -1) : value).split("\n");
  return lines.every((line) => !line.startsWith(" ") && !(line !== "" && line.trim() === "")) && lines[0] !== "";
}

const WORDS_1_1 = new Set(
  "y Y yes Yes YES n N no No NO true True TRUE false False FALSE on On ON off Off OFF null Null NULL ~ = <<".split(" "),
);

/** A scalar on one line: plain where that is unambiguous in YAML 1.1, double-quoted otherwise. */
export function scalar(value: JsonValue): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    // Integers and plain decimals read the same in every YAML version; others are written with a dot in the
    // mantissa, which YAML 1.1 floats need (`1.0e+21`).
    if (Number.isSafeInteger(value) || /^-?\d+\.\d+$/.test(String(value))) return String(value);
    // toExponential() gives the shortest digits that read back as the same number, e.g. `1e+21`.
    const [mantissa = "", exponent = "+0"] = value.toExponential().split("e");
    return `${mantissa.includes(".") ? mantissa : `${mantissa}.0`}e${exponent}`;
  }
  if (typeof value !== "string") return "{}";
  return plainFits(value) ? value : quoted(value);
}

/**
 * What any YAML reader in use might take for a number: YAML 1.1's binary, octal, hex, underscored, sexagesimal
 * and `.inf`/`.nan` forms, YAML 1.2's `0o` octal, and what go-yaml v2 (behind kubectl) hands to Go's
 * `ParseInt(s, 0, 64)` / `ParseFloat` once it has dropped the underscores (hex floats, `-Inf`, `+infinity`).
 */
const NUMBER_LIKE =
  /^[-+]?(?:0b[01_]+|0o?[0-7_]+|0x[0-9a-f_]*(?:\.[0-9a-f_]*)?(?:p[-+]?[0-9]+)?|[0-9][0-9_]*(?::[0-5]?[0-9])*(?:\.[0-9_]*)?(?:e[-+]?[0-9]+)?|\.[0-9_]+(?:e[-+]?[0-9]+)?|\.?(?:inf|infinity|nan))$/i;
/** YAML 1.1 timestamps: a date, optionally followed by a time. */
const TIMESTAMP_LIKE = /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:$|[Tt \t])/;

function plainFits(text: string): boolean {
  if (text === "" || WORDS_1_1.has(text) || NUMBER_LIKE.test(text) || TIMESTAMP_LIKE.test(text)) return false;
  // Indicators that cannot start a plain scalar; `-`, `?` and `:` can, when a non-space follows.
  if (/^[,[\]{}#&*!|>'"%@`]/.test(text) || /^[-?:](\s|$)/.test(text)) return false;
  if (/^\s|\s$/.test(text) || text.includes(": ") || text.includes(" #") || text.endsWith(":")) return false;
  // Only printable characters, no line breaks or tabs (YAML allows some of these in plain scalars; quoting them is
  // simpler than proving where).
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters a plain scalar cannot hold.
  return !/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/.test(text);
}

/** A double-quoted scalar: JSON's escapes are YAML's, plus the controls YAML does not allow unescaped. */
function quoted(text: string): string {
  return JSON.stringify(text).replace(
    /[\u007f-\u009f\u2028\u2029\ufeff]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
