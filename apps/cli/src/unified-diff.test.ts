import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from "diff";
import { describe, expect, it } from "vitest";
import { unifiedDiff } from "./unified-diff.js";

/** A small random manifest: documents of a few lines, with separators written in the ways YAML allows. */
function manifest(seed: number, documents: number): string {
  let state = seed;
  const next = (n: number) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % n;
  };
  const out: string[] = [];
  if (next(3) === 0) out.push("---\n");
  for (let d = 0; d < documents; d++) {
    if (d > 0) out.push(next(4) === 0 ? "--- # next\n" : "---\n");
    const lines = 1 + next(9);
    for (let l = 0; l < lines; l++) out.push(`key${next(6)}: value${next(4)}\n`);
  }
  return out.join("");
}

/** What the CLI does to a manifest, roughly: lines added inside some documents, a value changed, a `---` appended. */
function transform(text: string, seed: number): string {
  let i = seed;
  return `${text
    .split("\n")
    .map((line) => {
      i = (i * 7 + 3) % 11;
      if (i === 0) return `${line}\n  added: ${seed}\n  more: lines`;
      if (i === 1 && line.startsWith("key")) return line.replace(/value\d/, "changed");
      return line;
    })
    .join("\n")}---\n`;
}

function applyWithPatch(before: string, diff: string): string {
  const dir = mkdtempSync(join(tmpdir(), "l5d-udiff-"));
  try {
    writeFileSync(join(dir, "f.yaml"), before);
    execFileSync("patch", ["-p0", "--quiet"], { cwd: dir, input: diff });
    return readFileSync(join(dir, "f.yaml"), "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("unifiedDiff", () => {
  it("gives a diff that patch applies to turn the input into the output, for random manifests and edits", () => {
    let same = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const before = manifest(seed, 1 + (seed % 7));
      const after = transform(before, seed);
      const whole = createTwoFilesPatch("f.yaml", "f.yaml", before, after, undefined, undefined, {
        context: 3,
        headerOptions: FILE_HEADERS_ONLY,
      });
      const ours = unifiedDiff("f.yaml", before, after);
      expect(applyWithPatch(before, ours), `seed ${seed}`).toBe(after);
      if (ours === whole) same++;
    }
    // Most are the very text of a whole-file diff; the others align a repeated line differently.
    expect(same).toBeGreaterThan(30);
  });

  it("is the same text as a whole-file diff for a file whose documents each gain lines", () => {
    const before = "a: 1\nb: 2\n---\nc: 3\nd: 4\n";
    const after = "a: 1\nx: 0\nb: 2\n---\nc: 3\nd: 4\ny: 0\n---\n";
    expect(unifiedDiff("f.yaml", before, after)).toBe(
      createTwoFilesPatch("f.yaml", "f.yaml", before, after, undefined, undefined, {
        context: 3,
        headerOptions: FILE_HEADERS_ONLY,
      }),
    );
  });

  it("marks a last line without a newline, and handles added, removed and changed documents", () => {
    for (const [before, after] of [
      ["a: 1", "a: 2\n---\n"],
      ["a: 1\n---\nb: 2\n", "a: 1\n---\n"],
      ["a: 1\n", "a: 1\n---\nb: 2\n---\nc: 3"],
      ["---\na: 1\n", "a: 1\n---\n"],
    ] as const) {
      const diff = unifiedDiff("f.yaml", before, after);
      expect(applyWithPatch(before, diff), JSON.stringify([before, after])).toBe(after);
    }
    expect(unifiedDiff("f.yaml", "a: 1", "a: 2")).toContain("\\ No newline at end of file");
  });

  it("prints only the headers for equal texts", () => {
    expect(unifiedDiff("f.yaml", "a: 1\n", "a: 1\n")).toBe("--- f.yaml\n+++ f.yaml\n");
  });
});
