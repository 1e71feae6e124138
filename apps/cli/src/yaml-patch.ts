/**
 * Writes the result of a patch back into the user's YAML text, touching only the lines that changed.
 *
 * Linkerd re-serialises every manifest it injects, which loses comments, key order and formatting. Here the
 * document is parsed once with the `yaml` package's Document API, which gives every node its source range, and
 * the parsed document is walked alongside the patched object (the core's patches applied to the document's JSON
 * value): a key or item that the patch removed loses its lines, one it added gets new lines rendered from the
 * JSON value in block style at the indentation of its siblings, a scalar it replaced is re-rendered in place, and
 * everything equal is left as written. All edits are splices of the original text computed from that one parse.
 * Splicing the text rather than re-printing an edited Document is what keeps the user's own indentation, which
 * the printer would normalise to one style (manifests often mix indented and flat sequences in one document).
 *
 * Items of a sequence are aligned by equality, and by `name` for the lists Kubernetes keys by name (containers,
 * volumes, env, mounts), so that a container that gained or lost a field is edited rather than rewritten.
 *
 * New lines are written by `yaml-emit.ts`. Where a document has anchors, aliases, merge keys or tags, the value read
 * back can differ from the text edited, so there the edits are checked: the same edits are made with each new value
 * replaced by a one-line placeholder, and that text is parsed and compared with the patched object carrying the same
 * placeholders. If it differs in any way, the document is rendered from the object instead. Plain documents skip
 * the check (a second parse of every document, a third of the CLI's time): the random-edit property test holds for
 * them without it.
 */
import {
  isAlias,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  parseDocument,
  type Document,
  type Pair,
  type YAMLMap,
  type YAMLSeq,
} from "yaml";
import type { JsonValue } from "@l5d-injector/injector-core";
import { KUBERNETES_YAML } from "./documents.js";
import { emitYaml, emitYamlAt } from "./yaml-emit.js";

/** How new nodes are laid out: the document's own indentation step and sequence style. */
export interface LayoutStyle {
  indent: number;
  /** `key:\n  - item` (true) or `key:\n- item` (false, the Kubernetes style). */
  indentSeq: boolean;
  /**
   * Every map of the document has its keys in byte order, as `kubectl get -o yaml` and Linkerd write them: new keys
   * then go where that order puts them, and new maps are written in it.
   */
  sortKeys: boolean;
}

/** The Kubernetes layout: 2-space indentation, sequences not indented under their key. */
const KUBERNETES_STYLE: LayoutStyle = { indent: 2, indentSeq: false, sortKeys: false };

/**
 * Where a reader expects a new key among siblings in their own order (not sorted): in each group, a key goes after
 * those listed before it and before those listed after it (a pod template's new `metadata` goes before its `spec`).
 * Keys outside these groups go at the end of their map.
 */
const CONVENTIONAL_ORDER: readonly (readonly string[])[] = [
  ["apiVersion", "kind", "metadata", "spec", "status"],
  ["name", "generateName", "namespace", "labels", "annotations"],
];

export interface EditResult {
  text: string;
  /** False when the document had to be rendered from the object (see the file comment). */
  preserved: boolean;
}

/** Returns `text` (one YAML document) edited so that it parses to `target`, changing as few lines as it can. */
export function patchDocumentText(
  text: string,
  target: JsonValue,
  parsed?: { document: Document.Parsed; value: JsonValue },
): EditResult {
  // Edits work on LF text; a CRLF document gets its line ends back at the end, added lines included.
  if (text.includes("\r\n")) {
    const result = patchDocumentText(text.replace(/\r\n/g, "\n"), target);
    return { ...result, text: result.text.replace(/\n/g, "\r\n") };
  }
  const original = text.endsWith("\n") ? text : `${text}\n`;
  // The caller's parse of `text` has the same ranges: only a final newline may have been added.
  const document = parsed?.document ?? parseDocument(original, KUBERNETES_YAML);
  const { style, indirect } = survey(document, original);
  const fallback = () => ({
    text: `${leadingComments(original)}${emitYaml(target, { ...style, sortKeys: false })}\n`,
    preserved: false,
  });
  if (document.errors.length > 0) return fallback();

  let current: JsonValue;
  try {
    current = parsed?.value ?? (document.toJS({ maxAliasCount: 1000 }) as JsonValue);
  } catch {
    return fallback();
  }
  if (jsonEqual(current, target)) return { text: original, preserved: true };
  // Only a document with indirection is checked, so only there is the skeleton written.
  const planner = new EditPlanner(original, style, indirect);
  if (!planner.edit(document.contents, current, target, [])) return fallback();
  const { text: edited, skeleton } = planner.apply();
  if (!indirect) return { text: edited, preserved: true };
  return parsesTo(skeleton, planner.withPlaceholders(target)) ? { text: edited, preserved: true } : fallback();
}

/** Whether `text` reads back as exactly `target` (an edit that orphaned an alias does not even read back). */
function parsesTo(text: string, target: JsonValue): boolean {
  const document = parseDocument(text, KUBERNETES_YAML);
  if (document.errors.length > 0) return false;
  try {
    return jsonEqual(document.toJS({ maxAliasCount: 1000 }), target);
  } catch {
    return false;
  }
}

interface Edit {
  start: number;
  end: number;
  text: string;
  /**
   * The same edit with every new value replaced by the placeholder, for checking where the edits went (empty when
   * the document is not checked).
   */
  skeleton: string;
  /** Creation order: of two insertions at one offset, the one planned first (the deeper one) comes first. */
  order: number;
}

type Path = Array<string | number>;

/** What stands for a new value in the skeleton: one line, whatever the value. */
const PLACEHOLDER = 0;

/** Thrown while planning when a layout cannot be edited in place; the enclosing node is then replaced whole. */
class UnsupportedEdit extends Error {}

class EditPlanner {
  private readonly edits: Edit[] = [];
  /** Where the skeleton has a placeholder instead of the target's value. */
  private readonly placeholders: Path[] = [];

  constructor(
    private readonly text: string,
    private readonly style: LayoutStyle,
    /** Whether `apply` must also give the skeleton. */
    private readonly checked: boolean,
  ) {}

  /**
   * Plans the edits that turn `node` (whose value is `current`) into `target`. Returns false when that cannot
   * be done inside the node, so that its parent replaces it whole.
   */
  node(node: unknown, current: JsonValue, target: JsonValue, path: Path): boolean {
    return jsonEqual(current, target) || this.edit(node, current, target, path);
  }

  /** `node`, for values already known to differ. */
  edit(node: unknown, current: JsonValue, target: JsonValue, path: Path): boolean {
    if (isAlias(node) || !isNode(node)) return false;
    // An anchored node is shared with its aliases: editing it would change them too.
    if (node.anchor) return false;
    if (isMap(node) && !node.flow && node.items.length > 0 && isObject(target) && isObject(current)) {
      return this.attempt(() => this.map(node, current, target, path));
    }
    if (isSeq(node) && !node.flow && node.items.length > 0 && Array.isArray(target) && Array.isArray(current)) {
      return this.attempt(() => this.seq(node, current, target, path));
    }
    return false;
  }

  /** The edited text, and the skeleton text with placeholders for the new values. */
  apply(): { text: string; skeleton: string } {
    // Edits do not overlap: one pass from the start joins the pieces once, where splicing each edit into the whole
    // text copied the lines added so far again at every edit.
    const edits = [...this.edits].sort((a, b) => a.start - b.start || a.order - b.order);
    const splice = (part: (edit: Edit) => string) => {
      const pieces: string[] = [];
      let position = 0;
      for (const edit of edits) {
        pieces.push(this.text.slice(position, edit.start), part(edit));
        position = edit.end;
      }
      pieces.push(this.text.slice(position));
      return pieces.join("");
    };
    return { text: splice((edit) => edit.text), skeleton: this.checked ? splice((edit) => edit.skeleton) : "" };
  }

  /** `target` with the placeholder wherever the skeleton has one (copying only the containers on the way). */
  withPlaceholders(target: JsonValue): JsonValue {
    const replace = (value: JsonValue, path: Path, depth: number): JsonValue => {
      if (depth === path.length) return PLACEHOLDER;
      const segment = path[depth] as string | number;
      const copy = (Array.isArray(value) ? [...value] : { ...(value as JsonObject) }) as Record<
        string | number,
        JsonValue
      >;
      copy[segment] = replace(copy[segment] as JsonValue, path, depth + 1);
      return copy as JsonValue;
    };
    return this.placeholders.reduce((value, path) => replace(value, path, 0), target);
  }

  /** Runs a planning step; if it gives up, the edits it planned are dropped. */
  private attempt(step: () => boolean): boolean {
    const edits = this.edits.length;
    const placeholders = this.placeholders.length;
    try {
      if (step()) return true;
    } catch (error) {
      if (!(error instanceof UnsupportedEdit)) throw error;
    }
    this.edits.length = edits;
    this.placeholders.length = placeholders;
    return false;
  }

  private remove(start: number, end: number): void {
    this.edits.push({ start, end, text: "", skeleton: "", order: this.edits.length });
  }

  /**
   * Writes `value` (a map of new entries, or a list of new items) at `column`; the first line is indented only
   * when the text goes at the start of a line.
   */
  private write(
    start: number,
    end: number,
    value: JsonObject | JsonValue[],
    column: number,
    atLineStart: boolean,
    paths: Path[],
    fresh = false,
  ): void {
    const newline = atLineStart ? "\n" : "";
    // Only new keys and items take the document's sorted order; a value written anew keeps the user's key order.
    const style = { ...this.style, sortKeys: fresh && this.style.sortKeys };
    let skeleton = "";
    if (this.checked) {
      const placeholder = Array.isArray(value)
        ? value.map(() => PLACEHOLDER)
        : Object.fromEntries(Object.keys(value).map((key) => [key, PLACEHOLDER]));
      skeleton = emitYamlAt(placeholder, this.style, column, atLineStart) + newline;
    }
    this.edits.push({
      start,
      end,
      text: emitYamlAt(value, style, column, atLineStart) + newline,
      skeleton,
      order: this.edits.length,
    });
    this.placeholders.push(...paths);
  }

  private map(map: YAMLMap, current: JsonObject, target: JsonObject, path: Path): boolean {
    const entries = map.items.map((pair) => {
      if (!isScalar(pair.key) || !pair.key.range) throw new UnsupportedEdit();
      // A merge key (`<<: *base`) parses as a symbol; it stays, and so do the keys it brings in.
      const merge = typeof pair.key.value === "symbol";
      return { pair, merge, key: merge ? "" : String(pair.key.value) };
    });
    const explicit = new Set(entries.filter((entry) => !entry.merge).map((entry) => entry.key));
    const hasMerge = entries.some((entry) => entry.merge);
    for (const key of Object.keys(current)) {
      // A key that only comes from a merge cannot be removed by editing this map.
      if (!explicit.has(key) && !Object.hasOwn(target, key)) throw new UnsupportedEdit();
    }
    const kept = entries.map((entry) => entry.merge || Object.hasOwn(target, entry.key));
    const firstKept = kept.indexOf(true);
    if (firstKept < 0) return false;

    // The first key of a map that starts on a `- ` line cannot lose its line: the first key that stays moves up
    // onto the `- ` line, and the keys in between go with it.
    const firstStart = rangeOf(map.items[0]?.key)[0];
    const onDashLine = !kept[0] && !onlySpacesBefore(this.text, firstStart);
    if (onDashLine) {
      const survivorStart = rangeOf(map.items[firstKept]?.key)[0];
      if (!onlySpacesBefore(this.text, survivorStart)) throw new UnsupportedEdit();
      this.remove(firstStart, survivorStart);
    }

    for (const [index, { pair, merge, key }] of entries.entries()) {
      if (merge) continue;
      if (!kept[index]) {
        if (!(onDashLine && index < firstKept)) this.removePair(pair);
      } else {
        const before = current[key] as JsonValue;
        const after = target[key] as JsonValue;
        // Compared here, before the path is copied: most keys keep their value.
        if (!jsonEqual(before, after) && !this.edit(pair.value, before, after, [...path, key])) {
          this.replacePair(pair, key, after, path);
        }
      }
    }

    const added = Object.keys(target).filter(
      (key) => !explicit.has(key) && !(hasMerge && Object.hasOwn(current, key) && jsonEqual(current[key], target[key])),
    );
    if (added.length === 0) return true;
    // Each new key goes where its place is among the keys as written (see `insertionIndex`); keys that land in the
    // same place are written together.
    // Only keys that stay can have new keys placed before them: a removed key's lines go, and so would the text
    // inserted there.
    const written = entries.filter((entry, index) => !entry.merge && kept[index]);
    const keys = written.map((entry) => entry.key);
    // One key says nothing about order: then the whole document's order decides.
    const sorted = keys.length >= 2 ? isSorted(keys) : this.style.sortKeys;
    const canGoBefore = (entry: { pair: Pair }) =>
      // Not before a key that does not start its line (the first key after `- `), nor the one moving up onto it.
      onlySpacesBefore(this.text, rangeOf(entry.pair.key)[0]) && !(onDashLine && entry === entries[firstKept]);
    const places = new Map<number, string[]>();
    for (const key of sorted ? [...added].sort(byteOrder) : added) {
      let index = hasMerge ? written.length : insertionIndex(keys, key, sorted);
      while (index < written.length && !canGoBefore(written[index] as { pair: Pair })) index += 1;
      places.set(index, [...(places.get(index) ?? []), key]);
    }
    const column = columnOf(this.text, firstStart);
    for (const [index, group] of places) {
      const position =
        index < written.length
          ? aboveComments(
              this.text,
              lineStart(this.text, rangeOf((written[index] as { pair: Pair }).pair.key)[0]),
              column,
              true,
            )
          : endOfLine(this.text, pairEnd(map.items[map.items.length - 1] as Pair));
      const values = Object.fromEntries(group.map((key) => [key, target[key] as JsonValue]));
      this.write(
        position,
        position,
        values,
        column,
        true,
        group.map((key) => [...path, key]),
        true,
      );
    }
    return true;
  }

  private removePair(pair: Pair): void {
    const keyStart = rangeOf(pair.key)[0];
    if (!onlySpacesBefore(this.text, keyStart)) throw new UnsupportedEdit();
    this.remove(lineStart(this.text, keyStart), endOfLine(this.text, valueEnd(pair)));
  }

  private replacePair(pair: Pair, key: string, value: JsonValue, path: Path): void {
    const start = rangeOf(pair.key)[0];
    const entry = Object.fromEntries([[key, value]]);
    this.write(start, contentEnd(this.text, valueEnd(pair)), entry, columnOf(this.text, start), false, [
      [...path, key],
    ]);
  }

  private seq(seq: YAMLSeq, current: JsonValue[], target: JsonValue[], path: Path): boolean {
    const indicators = seq.items.map((item) => {
      const indicator = indicatorOf(this.text, item);
      if (!onlySpacesBefore(this.text, indicator)) throw new UnsupportedEdit();
      return indicator;
    });
    const column = columnOf(this.text, indicators[0] as number);
    const alignment = align(current, target);
    if (alignment === undefined) return false;

    let kept = 0;
    let i = 0;
    let j = 0;
    const gap = (iEnd: number, jEnd: number) => {
      if (iEnd - i === jEnd - j) {
        for (; i < iEnd; i += 1, j += 1) {
          this.item(seq.items[i], indicators[i] as number, current[i] as JsonValue, target[j] as JsonValue, [
            ...path,
            j,
          ]);
          kept += 1;
        }
        return;
      }
      for (; i < iEnd; i += 1) {
        this.remove(lineStart(this.text, indicators[i] as number), endOfLine(this.text, rangeOf(seq.items[i])[1]));
      }
      if (j < jEnd) {
        const position =
          iEnd < seq.items.length
            ? aboveComments(
                this.text,
                lineStart(this.text, indicators[iEnd] as number),
                column,
                false,
                // Not into the item above: the lines of its block scalar can look like comments.
                iEnd > 0 ? endOfLine(this.text, rangeOf(seq.items[iEnd - 1])[1]) : 0,
              )
            : endOfLine(this.text, rangeOf(seq.items[seq.items.length - 1])[2]);
        const indices = Array.from({ length: jEnd - j }, (_, offset) => [...path, j + offset]);
        this.write(position, position, target.slice(j, jEnd), column, true, indices, true);
        j = jEnd;
      }
    };
    for (const [matchedI, matchedJ] of alignment) {
      gap(matchedI, matchedJ);
      this.item(seq.items[i], indicators[i] as number, current[i] as JsonValue, target[j] as JsonValue, [...path, j]);
      kept += 1;
      i += 1;
      j += 1;
    }
    gap(seq.items.length, target.length);
    return kept > 0;
  }

  private item(item: unknown, indicator: number, current: JsonValue, target: JsonValue, path: Path): void {
    if (this.node(item, current, target, path)) return;
    const end = contentEnd(this.text, rangeOf(item)[1]);
    this.write(indicator, end, [target], columnOf(this.text, indicator), false, [path]);
  }
}

type JsonObject = { [key: string]: JsonValue };

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isSorted(keys: readonly string[]): boolean {
  return keys.every((key, index) => index === 0 || byteOrder(keys[index - 1] as string, key) <= 0);
}

/**
 * Where a new key goes among `keys` (the index of the key it goes before; `keys.length` for the end): in byte order
 * when the map is sorted, else after the keys a reader expects before it (`CONVENTIONAL_ORDER`), else at the end.
 */
export function insertionIndex(keys: readonly string[], key: string, sorted: boolean): number {
  if (sorted) {
    const after = keys.findIndex((existing) => byteOrder(existing, key) > 0);
    return after < 0 ? keys.length : after;
  }
  const group = conventionalGroup(key);
  if (group === undefined) return keys.length;
  const rank = group.indexOf(key);
  const before = keys.findIndex((existing) => group.indexOf(existing) > rank);
  if (before >= 0) return before;
  const lower = keys
    .map((existing, index) => (group.includes(existing) && group.indexOf(existing) < rank ? index : -1))
    .filter((index) => index >= 0);
  return lower.length > 0 ? (lower[lower.length - 1] as number) + 1 : keys.length;
}

function conventionalGroup(key: string): readonly string[] | undefined {
  return CONVENTIONAL_ORDER.find((names) => names.includes(key));
}

function isObject(value: JsonValue): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Pairs of indices (current, target) of the items that stay, in order: a longest common subsequence where equal
 * items count most and items with the same `name` count too. Undefined when the lists are too long to align.
 */
function align(current: readonly JsonValue[], target: readonly JsonValue[]): Array<[number, number]> | undefined {
  const n = current.length;
  const m = target.length;
  if (n * m > 250_000) return undefined;
  const score = (a: JsonValue, b: JsonValue) => (jsonEqual(a, b) ? 2 : sameName(a, b) ? 1 : 0);
  const scores: number[][] = Array.from({ length: n }, (_, i) =>
    Array.from({ length: m }, (_, j) => score(current[i] as JsonValue, target[j] as JsonValue)),
  );
  // best[i][j]: best total for current[i..] and target[j..].
  const best: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i -= 1) {
    for (let j = m - 1; j >= 0; j -= 1) {
      const here = (scores[i] as number[])[j] as number;
      const row = best[i] as number[];
      const next = best[i + 1] as number[];
      row[j] = Math.max(next[j] as number, row[j + 1] as number, here > 0 ? here + (next[j + 1] as number) : 0);
    }
  }
  const pairs: Array<[number, number]> = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    const here = (scores[i] as number[])[j] as number;
    if (here > 0 && (best[i] as number[])[j] === here + ((best[i + 1] as number[])[j + 1] as number)) {
      pairs.push([i, j]);
      i += 1;
      j += 1;
    } else if ((best[i] as number[])[j] === ((best[i + 1] as number[])[j] as number)) {
      i += 1;
    } else {
      j += 1;
    }
  }
  return pairs;
}

function sameName(a: JsonValue, b: JsonValue): boolean {
  return isObject(a) && isObject(b) && typeof a.name === "string" && a.name === b.name;
}

/** The comment block that opens a document (a licence header, say), kept when the document is rendered anew. */
function leadingComments(text: string): string {
  return /^(?:[ \t]*(?:#[^\n]*)?\n)*/.exec(text)?.[0] ?? "";
}

function rangeOf(node: unknown): [number, number, number] {
  if (isNode(node) && node.range) return node.range;
  throw new UnsupportedEdit();
}

/** End of a pair's value (or of its key when the value is empty). */
function valueEnd(pair: Pair): number {
  const keyEnd = rangeOf(pair.key)[1];
  return isNode(pair.value) && pair.value.range ? Math.max(keyEnd, pair.value.range[1]) : keyEnd;
}

/** End of a pair including the comments that trail its value. */
function pairEnd(pair: Pair): number {
  return isNode(pair.value) && pair.value.range ? pair.value.range[2] : rangeOf(pair.key)[2];
}

/** The `-` of a block sequence item. */
function indicatorOf(text: string, item: unknown): number {
  let index = rangeOf(item)[0] - 1;
  while (index >= 0 && (text[index] === " " || text[index] === "\n" || text[index] === "\r")) index -= 1;
  if (text[index] !== "-") throw new UnsupportedEdit();
  return index;
}

/**
 * Moves an insertion point above the comment lines that introduce the item below it: comments at its column or
 * deeper for a sequence item, at exactly its column for a map key (deeper ones belong to the value above); never
 * above `floor`.
 */
function aboveComments(text: string, position: number, indicatorColumn: number, exact = false, floor = 0): number {
  let current = position;
  while (current > floor) {
    const previousStart = lineStart(text, current - 1);
    const line = text.slice(previousStart, current - 1);
    const trimmed = line.trimStart();
    const column = line.length - trimmed.length;
    if (!trimmed.startsWith("#") || column < indicatorColumn || (exact && column !== indicatorColumn)) break;
    current = previousStart;
  }
  return current;
}

function lineStart(text: string, position: number): number {
  return text.lastIndexOf("\n", position - 1) + 1;
}

function columnOf(text: string, position: number): number {
  return position - lineStart(text, position);
}

function onlySpacesBefore(text: string, position: number): boolean {
  return text.slice(lineStart(text, position), position).trim() === "";
}

/** The start of the line after the one `position` is on (or `position` itself when it starts a line). */
function endOfLine(text: string, position: number): number {
  if (position > 0 && text[position - 1] === "\n") return position;
  const newline = text.indexOf("\n", position);
  return newline < 0 ? text.length : newline + 1;
}

/** The end of the content of the line `position` is on, before its newline (drops a trailing comment). */
function contentEnd(text: string, position: number): number {
  if (position > 0 && text[position - 1] === "\n") return position - 1;
  const newline = text.indexOf("\n", position);
  return newline < 0 ? text.length : newline;
}

/** Structural equality of parsed YAML and JSON values (key order is irrelevant). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let index = 0; index < a.length; index += 1) if (!jsonEqual(a[index], b[index])) return false;
    return true;
  }
  const aKeys = Object.keys(a);
  if (aKeys.length !== Object.keys(b).length) return false;
  for (const key of aKeys) {
    if (!Object.hasOwn(b, key) || !jsonEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]))
      return false;
  }
  return true;
}

/** The indentation step and sequence style the document mostly uses, so that added lines look like their neighbours. */
export function detectStyle(document: Document.Parsed, text: string): LayoutStyle {
  return survey(document, text).style;
}

/**
 * One walk over the document for what the edits need to know of it: its layout style, and whether it has anchors,
 * aliases, merge keys or tags (where a value read back can differ from the text the planner edited).
 */
function survey(document: Document.Parsed, text: string): { style: LayoutStyle; indirect: boolean } {
  const steps = new Map<number, number>();
  let indented = 0;
  let flat = 0;
  let sortedMaps = 0;
  let unsortedMaps = 0;
  let indirect = false;
  const pair = (pair: Pair) => {
    if (isScalar(pair.key) && pair.key.value === "<<") indirect = true;
    if (isScalar(pair.key) && pair.key.range) {
      const keyStart = pair.key.range[0];
      const value = pair.value;
      if (isMap(value) && !value.flow && value.items.length > 0) {
        const firstKey = (value.items[0] as Pair).key;
        if (isScalar(firstKey) && firstKey.range) {
          const step = columnOf(text, firstKey.range[0]) - columnOf(text, keyStart);
          if (step > 0) steps.set(step, (steps.get(step) ?? 0) + 1);
        }
      } else if (isSeq(value) && !value.flow && value.items.length > 0) {
        try {
          if (columnOf(text, indicatorOf(text, value.items[0])) > columnOf(text, keyStart)) indented += 1;
          else flat += 1;
        } catch {
          // An item without a visible indicator says nothing about the style.
        }
      }
    }
    walk(pair.key);
    walk(pair.value);
  };
  const walk = (node: unknown): void => {
    if (isPair(node)) {
      pair(node);
      return;
    }
    if (isAlias(node)) {
      indirect = true;
      return;
    }
    if (!isNode(node)) return;
    if (node.anchor !== undefined || node.tag !== undefined) indirect = true;
    if (isMap(node)) {
      if (!node.flow && node.items.length >= 2) {
        const keys = node.items.map((item) => (isScalar(item.key) ? String(item.key.value) : ""));
        if (isSorted(keys)) sortedMaps += 1;
        else unsortedMaps += 1;
      }
      for (const item of node.items) pair(item);
    } else if (isSeq(node)) {
      for (const item of node.items) walk(item);
    }
  };
  walk(document.contents);
  let indent = KUBERNETES_STYLE.indent;
  let best = 0;
  for (const [step, count] of steps) {
    if (count > best || (count === best && step < indent)) {
      indent = step;
      best = count;
    }
  }
  // Two maps in order can be chance (`name`, `namespace`); output of `kubectl get -o yaml` has many more.
  return { style: { indent, indentSeq: indented > flat, sortKeys: sortedMaps >= 3 && unsortedMaps === 0 }, indirect };
}
