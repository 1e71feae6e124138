import { describe, expect, it } from "vitest";
import { parseSourceDocument, splitDocuments } from "./documents.js";

function texts(input: string) {
  const result = splitDocuments(input);
  if (!result.ok) throw new Error(result.problem.message);
  return result.documents.map((document) => [document.firstLine, document.text]);
}

describe("splitDocuments", () => {
  it("splits on --- lines, dropping empty chunks but keeping blank ones", () => {
    expect(texts("---\na: 1\n---\n\n--- # trailing comment\nb: 2\n---\n")).toEqual([
      [2, "a: 1\n"],
      [4, "\n"],
      [6, "b: 2\n"],
    ]);
  });

  it("keeps a last document without a final newline", () => {
    expect(texts("a: 1\n---\nb: 2")).toEqual([
      [1, "a: 1\n"],
      [3, "b: 2"],
    ]);
  });

  it("refuses text after a separator, naming the line", () => {
    expect(splitDocuments("a: 1\n--- b: 2\n")).toEqual({
      ok: false,
      problem: { line: 2, message: 'invalid document separator "--- b: 2": only a comment may follow "---"' },
    });
  });
});

describe("parseSourceDocument", () => {
  const parse = (text: string, firstLine = 1) => parseSourceDocument({ text, firstLine });

  it("reads YAML 1.1 as Kubernetes does: yes/on are booleans, 0777 is octal, times and dates stay strings", () => {
    const parsed = parse("a: yes\nb: on\nc: 0777\nd: 12:30\ne: 2001-12-14\nf: ~\n");
    expect(parsed.ok && parsed.value).toEqual({ a: true, b: true, c: 511, d: "12:30", e: "2001-12-14", f: null });
  });

  it("numbers error lines from the top of the file", () => {
    expect(parse("a: 1\nb: [2\n", 10)).toMatchObject({ ok: false, problem: { line: 12 } });
  });

  it("refuses duplicate keys, which would make the output ambiguous", () => {
    expect(parse("a: 1\na: 2\n")).toMatchObject({
      ok: false,
      problem: { line: 2, message: expect.stringContaining("unique") },
    });
  });

  it("refuses values JSON cannot hold", () => {
    expect(parse("a: .inf\n")).toEqual({
      ok: false,
      problem: { line: 1, message: "a: Infinity cannot be represented in JSON" },
    });
    expect(parse("a: !!set {x}\n")).toMatchObject({
      ok: false,
      problem: { message: "a: YAML type !!set cannot be represented in JSON" },
    });
  });

  it("reads an alias as a copy of its anchor's value", () => {
    const parsed = parse("a: &x {b: 1}\nc: *x\n");
    expect(parsed.ok && parsed.value).toEqual({ a: { b: 1 }, c: { b: 1 } });
  });
});
