/**
 * Command-line flags parsed the way `linkerd` (Cobra over spf13/pflag) parses them, so that scripts written for
 * `linkerd inject` keep working:
 *
 * * `--flag=value` and `--flag value` (the next word is the value whatever it looks like: `--proxy-uid -5`);
 *   booleans take `=value` only (`--manual false` is `--manual` then a positional `false`), read as Go's
 *   `strconv.ParseBool` reads them (`1`, `t`, `T`, `TRUE`, `true`, `True` and their false twins);
 * * shorthands `-o json`, `-ojson`, `-o=json`, and clusters of boolean shorthands;
 * * integers as Go's `strconv.ParseInt(s, 0, 64)`: `0x1F`, `0o17`, `017`, `1_000`;
 * * string slices as pflag reads them: each occurrence is a CSV record (`--skip-inbound-ports 22,"8100-8102"`),
 *   and occurrences add up;
 * * `--` ends the flags; flags and positionals mix in any order.
 *
 * One addition: a single-dash word that is exactly a long flag's name (`-manual`, `-verbose`) is that flag, as Go's
 * own `flag` package reads it. pflag would read `-verbose` as `-v erbose` (`--proxy-version=erbose`), which no one
 * means.
 */
import { parseGoBool } from "@l5d-injector/injector-core";
import { closest } from "./suggest.js";

export type FlagKind = "bool" | "string" | "int" | "uint" | "stringSlice" | "stringArray";

export interface FlagDef {
  /** Long name, without dashes. */
  readonly name: string;
  /** One-letter shorthand, without the dash. */
  readonly short?: string;
  readonly kind: FlagKind;
  readonly usage: string;
  /** What help shows after the flag: `string`, `int`, `FILE`... (pflag's type names by default). */
  readonly valueName?: string;
  /** What help shows as `(default ...)`. */
  readonly defaultText?: string;
  readonly hidden?: boolean;
  /** pflag's `MarkDeprecated`: the flag still works, and using it prints `Flag --x has been deprecated, <this>`. */
  readonly deprecated?: string;
  /** pflag's `MarkShorthandDeprecated`: only the shorthand is deprecated. */
  readonly shorthandDeprecated?: string;
  /** Accepted values, checked while parsing; shell completion offers them. */
  readonly choices?: readonly string[];
  /** What shell completion offers for the value. */
  readonly complete?: "file" | "none";
}

export type FlagValue = string | number | boolean | string[];

export interface ParsedLine {
  /** Each flag's occurrences, in order, as their kind reads them (a string slice occurrence is its CSV fields). */
  readonly values: ReadonlyMap<string, readonly FlagValue[]>;
  readonly positionals: readonly string[];
  /** Deprecation notices, once per flag, in the order met (pflag prints them on stderr). */
  readonly notices: readonly string[];
}

export type ParseResult = { ok: true; line: ParsedLine } | { ok: false; message: string };

/** Parses `args` against `flags` (every flag the command accepts, global ones included). */
export function parseFlags(args: readonly string[], flags: readonly FlagDef[]): ParseResult {
  const byName = new Map(flags.map((flag) => [flag.name, flag]));
  const byShort = new Map(flags.filter((flag) => flag.short !== undefined).map((flag) => [flag.short as string, flag]));
  const values = new Map<string, FlagValue[]>();
  const positionals: string[] = [];
  const notices: string[] = [];
  const noticed = new Set<string>();
  const rest = [...args];

  const set = (flag: FlagDef, raw: string, viaShort: boolean): string | undefined => {
    const value = readValue(flag, raw);
    if (!value.ok) return `invalid argument "${raw}" for "${flagLabel(flag)}" flag: ${value.message}`;
    values.set(flag.name, [...(values.get(flag.name) ?? []), value.value]);
    const notice =
      flag.deprecated !== undefined
        ? `Flag --${flag.name} has been deprecated, ${flag.deprecated}`
        : viaShort && flag.shorthandDeprecated !== undefined
          ? `Flag shorthand -${flag.short} has been deprecated, ${flag.shorthandDeprecated}`
          : undefined;
    if (notice !== undefined && !noticed.has(notice)) {
      noticed.add(notice);
      notices.push(notice);
    }
    return undefined;
  };

  const long = (word: string, body: string): string | undefined => {
    if (body === "" || body.startsWith("-") || body.startsWith("=")) return `bad flag syntax: ${word}`;
    const equals = body.indexOf("=");
    const name = equals < 0 ? body : body.slice(0, equals);
    const flag = byName.get(name);
    if (flag === undefined) return unknownFlag(`--${name}`, name, flags);
    if (equals >= 0) return set(flag, body.slice(equals + 1), false);
    if (flag.kind === "bool") return set(flag, "true", false);
    if (rest.length === 0) return `flag needs an argument: --${name}`;
    return set(flag, rest.shift() as string, false);
  };

  const shorts = (word: string): string | undefined => {
    let cluster = word.slice(1);
    while (cluster.length > 0) {
      const letter = cluster[0] as string;
      const flag = byShort.get(letter);
      if (flag === undefined) {
        const message = `unknown shorthand flag: '${letter}' in ${word}`;
        const near = closest(word.slice(1).split("=")[0] as string, longNames(flags));
        return near === undefined ? message : `${message} (did you mean --${near}?)`;
      }
      let raw: string;
      if (cluster.length > 2 && cluster[1] === "=") {
        raw = cluster.slice(2);
        cluster = "";
      } else if (flag.kind === "bool") {
        raw = "true";
        cluster = cluster.slice(1);
      } else if (cluster.length > 1) {
        raw = cluster.slice(1);
        cluster = "";
      } else if (rest.length > 0) {
        raw = rest.shift() as string;
        cluster = "";
      } else {
        return `flag needs an argument: '${letter}' in ${word}`;
      }
      const problem = set(flag, raw, true);
      if (problem !== undefined) return problem;
    }
    return undefined;
  };

  while (rest.length > 0) {
    const word = rest.shift() as string;
    if (word.length < 2 || !word.startsWith("-")) {
      positionals.push(word);
      continue;
    }
    if (word === "--") {
      positionals.push(...rest.splice(0));
      break;
    }
    let problem: string | undefined;
    if (word.startsWith("--")) problem = long(word, word.slice(2));
    else if (isSingleDashLong(word, byName)) problem = long(word, word.slice(1));
    else problem = shorts(word);
    if (problem !== undefined) return { ok: false, message: problem };
  }
  return { ok: true, line: { values, positionals, notices } };
}

/** `-manual`, `-linkerd-namespace=x`: a single dash before a whole long name. */
function isSingleDashLong(word: string, byName: ReadonlyMap<string, FlagDef>): boolean {
  const name = word.slice(1).split("=", 1)[0] as string;
  return name.length > 1 && byName.has(name);
}

/** How pflag names a flag in messages: `-o, --output` or `--manual`. */
export function flagLabel(flag: FlagDef): string {
  return flag.short === undefined ? `--${flag.name}` : `-${flag.short}, --${flag.name}`;
}

function longNames(flags: readonly FlagDef[]): string[] {
  return flags.filter((flag) => flag.hidden !== true).map((flag) => flag.name);
}

function unknownFlag(word: string, name: string, flags: readonly FlagDef[]): string {
  const near = closest(name, longNames(flags));
  return near === undefined ? `unknown flag: ${word}` : `unknown flag: ${word} (did you mean --${near}?)`;
}

type Read = { ok: true; value: FlagValue } | { ok: false; message: string };

function readValue(flag: FlagDef, raw: string): Read {
  switch (flag.kind) {
    case "bool": {
      const value = parseGoBool(raw);
      return value === undefined
        ? { ok: false, message: "expected a boolean: true or false (also 1, 0, t, f, T, F, TRUE, FALSE, True, False)" }
        : { ok: true, value };
    }
    case "int":
    case "uint": {
      const value = parseGoInteger(raw, flag.kind === "uint");
      if (value === undefined) {
        return {
          ok: false,
          message: flag.kind === "uint" ? "expected a whole number (0 or more)" : "expected an integer",
        };
      }
      return { ok: true, value };
    }
    case "stringSlice": {
      const fields = parseCsvRecord(raw);
      return fields === undefined
        ? { ok: false, message: 'a bare " in an unquoted value (quote a value with "..." as in CSV)' }
        : { ok: true, value: fields };
    }
    default:
      if (flag.choices !== undefined && !flag.choices.includes(raw)) {
        return { ok: false, message: `expected one of ${flag.choices.join(", ")}` };
      }
      return { ok: true, value: raw };
  }
}

/**
 * Go's `strconv.ParseInt(s, 0, 64)` (or `ParseUint` when `unsigned`): an optional sign, then a decimal, `0x` hex,
 * `0o`/`0` octal or `0b` binary literal, with `_` between digits. Values beyond what a JavaScript number holds
 * exactly are refused rather than rounded.
 */
export function parseGoInteger(text: string, unsigned: boolean): number | undefined {
  const match =
    /^([+-]?)(0[xX]_?[0-9a-fA-F]+(?:_[0-9a-fA-F]+)*|0[oO]_?[0-7]+(?:_[0-7]+)*|0[bB]_?[01]+(?:_[01]+)*|0_?[0-7]+(?:_[0-7]+)*|0|[1-9][0-9]*(?:_[0-9]+)*)$/.exec(
      text,
    );
  if (match === null) return undefined;
  const [, sign, literal = ""] = match;
  if (unsigned && sign !== "") return undefined;
  let digits = literal.replace(/_/g, "");
  // A leading 0 alone means octal in Go: `017` is 15.
  if (/^0[0-7]+$/.test(digits)) digits = `0o${digits.slice(1)}`;
  const value = BigInt(digits) * (sign === "-" ? -1n : 1n);
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) return undefined;
  return Number(value);
}

/** One CSV record (Go's `encoding/csv`, as pflag reads a string slice): `a,"b,c"` → `["a", "b,c"]`; `""` → `[]`. */
export function parseCsvRecord(text: string): string[] | undefined {
  if (text === "") return [];
  const fields: string[] = [];
  let index = 0;
  for (;;) {
    let field = "";
    if (text[index] === '"') {
      index += 1;
      for (;;) {
        if (index >= text.length) return undefined;
        if (text[index] === '"') {
          if (text[index + 1] === '"') {
            field += '"';
            index += 2;
            continue;
          }
          index += 1;
          break;
        }
        field += text[index];
        index += 1;
      }
      if (index < text.length && text[index] !== ",") return undefined;
    } else {
      const comma = text.indexOf(",", index);
      const end = comma < 0 ? text.length : comma;
      field = text.slice(index, end);
      if (field.includes('"')) return undefined;
      index = end;
    }
    fields.push(field);
    if (index >= text.length) return fields;
    index += 1; // the comma
  }
}
