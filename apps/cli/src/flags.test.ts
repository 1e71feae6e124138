import { describe, expect, it } from "vitest";
import { parseCsvRecord, parseFlags, parseGoInteger, type FlagDef } from "./flags.js";

const FLAGS: FlagDef[] = [
  { name: "manual", kind: "bool", usage: "" },
  { name: "verbose", kind: "bool", usage: "" },
  { name: "output", short: "o", kind: "string", usage: "", choices: ["yaml", "json"] },
  { name: "proxy-version", short: "v", kind: "string", usage: "", deprecated: "use something else" },
  { name: "quiet", short: "q", kind: "bool", usage: "" },
  { name: "admin-port", kind: "int", usage: "" },
  { name: "ports", kind: "stringSlice", usage: "" },
  { name: "values", kind: "stringArray", usage: "" },
];

function parse(args: string[]) {
  const result = parseFlags(args, FLAGS);
  if (!result.ok) return result.message;
  return {
    values: Object.fromEntries(result.line.values),
    positionals: result.line.positionals,
    notices: result.line.notices,
  };
}

describe("parseFlags", () => {
  it("reads --flag=value, --flag value and booleans without a value", () => {
    expect(parse(["--output=json", "x", "--admin-port", "4191", "--manual"])).toEqual({
      values: { output: ["json"], "admin-port": [4191], manual: [true] },
      positionals: ["x"],
      notices: [],
    });
  });

  it("takes the next word as a value whatever it looks like, but never for a boolean", () => {
    expect(parse(["--admin-port", "-5"])).toMatchObject({ values: { "admin-port": [-5] } });
    expect(parse(["--manual", "false", "x"])).toMatchObject({
      values: { manual: [true] },
      positionals: ["false", "x"],
    });
    expect(parse(["--values", "--manual"])).toMatchObject({ values: { values: ["--manual"] } });
  });

  it("reads shorthands alone, joined to their value, with =, and in clusters of booleans", () => {
    expect(parse(["-o", "json"])).toMatchObject({ values: { output: ["json"] } });
    expect(parse(["-ojson"])).toMatchObject({ values: { output: ["json"] } });
    expect(parse(["-o=json"])).toMatchObject({ values: { output: ["json"] } });
    expect(parse(["-qojson"])).toMatchObject({ values: { quiet: [true], output: ["json"] } });
  });

  it("reads a single-dash long name as that flag, where pflag would read shorthands", () => {
    expect(parse(["-verbose", "-manual=false"])).toMatchObject({
      values: { verbose: [true], manual: [false] },
      notices: [],
    });
  });

  it("stops at --, and keeps a lone - as a positional", () => {
    expect(parse(["-", "--", "--manual"])).toMatchObject({ values: {}, positionals: ["-", "--manual"] });
  });

  it("adds up string slices as CSV records and string arrays as given", () => {
    expect(parse(["--ports", '22,"8100-8102"', "--ports=9000", "--values", "a,b", "--values", "c"])).toMatchObject({
      values: { ports: [["22", "8100-8102"], ["9000"]], values: ["a,b", "c"] },
    });
  });

  it("prints a deprecation notice once, for the long name as for the shorthand", () => {
    expect(parse(["-v", "a", "--proxy-version", "b"])).toMatchObject({
      notices: ["Flag --proxy-version has been deprecated, use something else"],
    });
  });

  it("says what is wrong, as pflag does, with a suggestion for a typo", () => {
    expect(parse(["--manul"])).toBe("unknown flag: --manul (did you mean --manual?)");
    expect(parse(["--zzz"])).toBe("unknown flag: --zzz");
    expect(parse(["-x"])).toBe("unknown shorthand flag: 'x' in -x");
    expect(parse(["--output"])).toBe("flag needs an argument: --output");
    expect(parse(["-o"])).toBe("flag needs an argument: 'o' in -o");
    expect(parse(["--manual=maybe"])).toMatch(/^invalid argument "maybe" for "--manual" flag: expected a boolean/);
    expect(parse(["--admin-port=4x"])).toBe('invalid argument "4x" for "--admin-port" flag: expected an integer');
    expect(parse(["-o", "xml"])).toBe('invalid argument "xml" for "-o, --output" flag: expected one of yaml, json');
    expect(parse(["---x"])).toBe("bad flag syntax: ---x");
  });
});

describe("parseGoInteger", () => {
  it("reads what strconv.ParseInt(s, 0, 64) reads", () => {
    expect(
      ["42", "-7", "+3", "0x1F", "0o17", "017", "0b101", "1_000", "0"].map((text) => parseGoInteger(text, false)),
    ).toEqual([42, -7, 3, 31, 15, 15, 5, 1000, 0]);
    expect(
      ["", "1.5", "1e3", "_1", "1__0", "0x", "9007199254740993"].map((text) => parseGoInteger(text, false)),
    ).toEqual(Array(7).fill(undefined));
    expect(parseGoInteger("-1", true)).toBeUndefined();
  });
});

describe("parseCsvRecord", () => {
  it("splits on commas outside quotes", () => {
    expect(parseCsvRecord('a,"b,c",,"d""e"')).toEqual(["a", "b,c", "", 'd"e']);
    expect(parseCsvRecord("")).toEqual([]);
    expect(parseCsvRecord('a"b')).toBeUndefined();
    expect(parseCsvRecord('"a')).toBeUndefined();
  });
});
