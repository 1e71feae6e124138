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
  return emitYamlAt(value, style, 0, true);
}

/**
 * The value as block YAML lines shifted to `column`, without a final newline; the first line is left unindented
 * when `indentFirst` is false (it goes where a node already starts). Written straight at its column rather than
 * shifted afterwards: the injected lines are most of a `--manual` run's output.
 */
export function emitYamlAt(value: JsonValue, style: EmitStyle, column: number, indentFirst: boolean): string {
  const writer = new Writer(style, column);
  const lead = indentFirst ? spaces(column) : "";
  if (isObject(value) && hasKeys(value)) writer.map(value, 0, lead);
  else if (Array.isArray(value) && value.length > 0) writer.seq(value, 0, lead);
  else writer.value(lead, value, 0);
  return writer.lines.join("\n");
}

type JsonObject = { [key: string]: JsonValue };

function isObject(value: JsonValue): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** `Object.keys(value).length > 0` without building the array. */
function hasKeys(value: JsonObject): boolean {
  for (const key in value) if (Object.hasOwn(value, key)) return true;
  return false;
}

const SPACES = " ".repeat(64);

function spaces(count: number): string {
  return count <= SPACES.length ? SPACES.slice(0, count) : " ".repeat(count);
}

/** Columns are relative to the block; `pad` gives the indentation of a line at one, the block's own included. */
class Writer {
  readonly lines: string[] = [];
  private readonly pads: string[] = [];

  constructor(
    private readonly style: EmitStyle,
    private readonly base: number,
  ) {}

  private pad(column: number): string {
    let pad = this.pads[column];
    if (pad === undefined) {
      pad = spaces(this.base + column);
      this.pads[column] = pad;
    }
    return pad;
  }

  /**
   * Map entries at `column`; `first` is what goes before the first key on its line (its indentation, or a `- `
   * already written by an enclosing sequence), so that `- name: x` stays on one line.
   */
  map(map: JsonObject, column: number, first: string): void {
    const style = this.style;
    let prefix = first;
    const keys = Object.keys(map);
    if (style.sortKeys === true) keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const key of keys) {
      const value = map[key] as JsonValue;
      const head = `${prefix}${scalar(key)}:`;
      prefix = this.pad(column);
      if (isObject(value) && hasKeys(value)) {
        this.lines.push(head);
        this.map(value, column + style.indent, this.pad(column + style.indent));
      } else if (Array.isArray(value) && value.length > 0) {
        this.lines.push(head);
        // Linkerd's layout puts a list's dashes under its key; indented sequences sit one step in.
        const dashColumn = style.indentSeq ? column + style.indent : column;
        this.seq(value, dashColumn, this.pad(dashColumn));
      } else {
        this.value(`${head} `, value, column + style.indent);
      }
    }
  }

  /** Sequence items with their dashes at `column`; `first` precedes the first dash, as in `map`. */
  seq(items: JsonValue[], column: number, first: string): void {
    let prefix = first;
    for (const item of items) {
      const dash = `${prefix}- `;
      prefix = this.pad(column);
      if (isObject(item) && hasKeys(item)) {
        this.map(item, column + 2, dash);
      } else if (Array.isArray(item) && item.length > 0) {
        this.seq(item, column + 2, dash);
      } else {
        this.value(dash, item, column + 2);
      }
    }
  }

  /**
   * A value written after `head` (`key: ` or `- `): a scalar, an empty collection, or a literal block (content at
   * `column`).
   */
  value(head: string, value: JsonValue, column: number): void {
    if (isObject(value)) this.lines.push(`${head}{}`);
    else if (Array.isArray(value)) this.lines.push(`${head}[]`);
    else if (typeof value === "string" && value.includes("\n") && literalBlockFits(value)) {
      const pad = this.pad(Math.max(column, this.style.indent));
      const body = value.endsWith("\n") ? value.slice(0, -1) : value;
      this.lines.push(`${head}${value.endsWith("\n") ? "|" : "|-"}`);
      for (const line of body.split("\n")) this.lines.push(line === "" ? "" : pad + line);
    } else this.lines.push(`${head}${scalar(value)}`);
  }
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
  let written = WRITTEN.get(value);
  if (written === undefined) {
    written = plainFits(value) ? value : quoted(value);
    if (WRITTEN.size >= WRITTEN_LIMIT) WRITTEN.clear();
    WRITTEN.set(value, written);
  }
  return written;
}

/**
 * Strings as written, remembered: the injected containers repeat the same keys and values in every workload, and
 * deciding how to write a string was a third of writing them. A pure function of the string, so a shared memo is
 * safe; bounded, so that a large input of distinct strings does not keep them all.
 */
const WRITTEN = new Map<string, string>();
const WRITTEN_LIMIT = 10_000;

/**
 * What any YAML reader in use might take for a number: YAML 1.1's binary, octal, hex, underscored, sexagesimal
 * and `.inf`/`.nan` forms, YAML 1.2's `0o` octal, and what go-yaml v2 (behind kubectl) hands to Go's
 * `ParseInt(s, 0, 64)` / `ParseFloat` once it has dropped the underscores (hex floats, `-Inf`, `+infinity`).
 */
const NUMBER_LIKE =
  /^[-+]?(?:0b[01_]+|0o?[0-7_]+|0x[0-9a-f_]*(?:\.[0-9a-f_]*)?(?:p[-+]?[0-9]+)?|[0-9][0-9_]*(?::[0-5]?[0-9])*(?:\.[0-9_]*)?(?:e[-+]?[0-9]+)?|\.[0-9_]+(?:e[-+]?[0-9]+)?|\.?(?:inf|infinity|nan))$/i;
/** YAML 1.1 timestamps: a date, optionally followed by a time. */
const TIMESTAMP_LIKE = /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:$|[Tt \t])/;

/**
 * Most strings of a manifest (names, images, paths, flags): a letter, then letters, digits and `_./-`. Such a string
 * is plain unless it is one of YAML 1.1's words or `inf`/`nan`, the only number forms that start with a letter.
 */
const SIMPLE_PLAIN = /^[A-Za-z][A-Za-z0-9_./-]*$/;
const LETTER_NUMBER = /^(?:inf|infinity|nan)$/i;

function plainFits(text: string): boolean {
  if (SIMPLE_PLAIN.test(text)) return !WORDS_1_1.has(text) && !LETTER_NUMBER.test(text);
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
