import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { JsonValue } from "@l5d-injector/injector-core";
import { KUBERNETES_YAML } from "./documents.js";
import { emitYaml, scalar } from "./yaml-emit.js";

const FLAT = { indent: 2, indentSeq: false };

/** Readers the output must satisfy: as kubectl reads it, full YAML 1.1 (PyYAML's), and YAML 1.2. */
const READERS: Array<[string, (text: string) => unknown]> = [
  ["kubernetes", (text) => parse(text, KUBERNETES_YAML)],
  ["yaml 1.1", (text) => parse(text, { version: "1.1" })],
  ["yaml 1.2", (text) => parse(text, { version: "1.2" })],
];

const TRICKY_STRINGS = [
  ...["y", "Y", "yes", "No", "on", "OFF", "true", "False", "null", "Null", "~", "", "=", "<<"],
  ...["0", "-1", "+1", "007", "0777", "0o17", "0x1F", "0X1f", "0b101", "1_000", "1e3", "1E+3", ".5", "5.", "1.5e-3"],
  ...["12:30", "190:20:30.15", "-1:20", ".inf", "-.Inf", "+.INF", ".nan", "-inf", "+Infinity", "NaN", "0x1p-2"],
  ...["2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "2001-1-1"],
  ...["100m", "64Mi", "1.5", "4190,4191,4567,4568", "0.0.0.0:4190", "1.2.3", "10.0.0.0/8,fd00::/8", "1e"],
  ...["-", "--flag", "--ipv6=false", "- item", "?", "?x", ":x", "x:", "a: b", "a:b", "a #b", "a#b", "#x", "!x"],
  ...["&x", "*x", "|x", ">x", "'x", '"x', "%x", "@x", "`x", "{x", "[x", "x,y", "[{headers}]=off", "{}", "[]"],
  ...[
    " lead",
    "trail ",
    "tab\tin",
    "a\u0085b",
    "a\u2028b",
    "\ufeffbom",
    "é",
    "🙂",
    "$(_pod_sa).$(_pod_ns)",
    "---",
    "...",
  ],
  ...["a\nb", "a\nb\n", "a\nb\n\n", "\n", "\na", " a\nb", "a\n b", "a\n\nb", "a\n \nb", "a \nb", "a\r\nb", "a\n\tb"],
  ...['{"ns":"$(_pod_ns)", "pod":"$(_pod_name)"}\n', "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"],
  ...["# not a comment\nline", "key: value\n- item\n", "---\n...\n"],
];

const TRICKY_NUMBERS = [0, -1, 1.5, -0.25, 1e21, 1.5e-7, 2 ** 53 + 2, 123456789012, Number.MAX_VALUE, Number.MIN_VALUE];

function roundTrip(value: JsonValue, style = FLAT) {
  const text = emitYaml(value, style);
  for (const [name, read] of READERS) expect({ name, value: read(text) }, text).toEqual({ name, value });
}

describe("emitYaml", () => {
  it("writes strings every YAML reader reads back unchanged, as values, keys and list items", () => {
    for (const text of TRICKY_STRINGS) {
      roundTrip({ value: text });
      roundTrip({ [text]: "key" });
      roundTrip([text, { nested: [text] }]);
    }
  });

  it("writes numbers, booleans and null that read back unchanged", () => {
    for (const number of TRICKY_NUMBERS) roundTrip({ number, list: [number] });
    roundTrip({ yes: true, no: false, nothing: null });
  });

  it("writes nested and empty collections in both sequence styles and any indentation", () => {
    const value: JsonValue = {
      empty: {},
      none: [],
      list: [[], {}, [1, [2, { a: [] }]], { b: { c: "d" }, e: ["f"] }],
      map: { deep: { deeper: { text: "line one\nline two\n" } } },
    };
    for (const style of [
      FLAT,
      { indent: 2, indentSeq: true },
      { indent: 4, indentSeq: false },
      { indent: 3, indentSeq: true },
    ]) {
      roundTrip(value, style);
    }
  });

  it("lays out maps and lists as Kubernetes does", () => {
    expect(
      emitYaml(
        {
          name: "linkerd-proxy",
          args: ["--port", "4143"],
          env: [
            { name: "A", value: "0.0.0.0:4190" },
            { name: "PEM", value: "-----BEGIN-----\nabc\n" },
          ],
          resources: {},
        },
        FLAT,
      ),
    ).toBe(
      [
        "name: linkerd-proxy",
        "args:",
        "- --port",
        '- "4143"',
        "env:",
        "- name: A",
        "  value: 0.0.0.0:4190",
        "- name: PEM",
        "  value: |",
        "    -----BEGIN-----",
        "    abc",
        "resources: {}",
      ].join("\n"),
    );
  });

  it("keeps quantities and port lists plain and quotes what would read as a number", () => {
    expect(["100m", "64Mi", "4190,4191", "8080", "1.5", "12:30", "on"].map(scalar)).toEqual([
      "100m",
      "64Mi",
      "4190,4191",
      '"8080"',
      '"1.5"',
      '"12:30"',
      '"on"',
    ]);
  });
});
