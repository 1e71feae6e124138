/**
 * `--diff` and `-o patch`, for review in CI: the diff applied with `patch -p0` to the input gives the manifests the
 * command prints, and each patch line applied with the rfc6902 package to its input document gives the document
 * the command prints; for `inject`, `inject --manual` and `uninject`.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { applyPatch } from "rfc6902";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { runCli } from "./cli.js";
import { KUBERNETES_YAML, parseSourceDocument, splitDocuments } from "./documents.js";
import { testdata } from "./test-support/fixtures.js";
import { memoryIo } from "./test-support/memory-io.js";

const VALUES = testdata("values.yaml");
/** Several documents, comments and layouts: a kind that is not injected, a Deployment, a CronJob, a Service. */
const MANIFESTS = `${testdata("commented.yaml")}---\n${testdata("cronjob.yaml")}`;

async function cli(argv: string[], files: Record<string, string>) {
  const io = memoryIo({ files: { "values.yaml": VALUES, ...files } });
  const code = await runCli(argv, io, { version: "9.9.9", linkerdNamespace: "linkerd" });
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}

function documents(text: string): unknown[] {
  return parseAllDocuments(text, KUBERNETES_YAML).map((document) => document.toJS() as unknown);
}

/** The three commands, each with the input it gets: uninject gets what inject --manual printed. */
async function cases(): Promise<Array<{ name: string; argv: string[]; input: string }>> {
  const injected = await cli(["inject", "--manual", "--values", "values.yaml", "app/manifests.yaml"], {
    "app/manifests.yaml": MANIFESTS,
  });
  if (injected.code !== 0) throw new Error(injected.stderr);
  return [
    { name: "inject", argv: ["inject", "--values", "values.yaml"], input: MANIFESTS },
    { name: "inject --manual", argv: ["inject", "--manual", "--values", "values.yaml"], input: MANIFESTS },
    { name: "uninject", argv: ["uninject"], input: injected.stdout },
  ];
}

describe("--diff", () => {
  it("prints a diff that patch -p0 applies to the input, giving what the command prints", async () => {
    const dir = mkdtempSync(join(tmpdir(), "l5d-diff-"));
    try {
      for (const { name, argv, input } of await cases()) {
        const file = "app/manifests.yaml";
        const printed = await cli([...argv, file], { [file]: input });
        const diff = await cli([...argv, "--diff", file], { [file]: input });
        expect({ name, code: diff.code, stderr: diff.stderr }).toEqual({ name, code: 0, stderr: printed.stderr });
        expect(diff.stdout).toMatch(new RegExp(`^--- ${file}\\n\\+\\+\\+ ${file}\\n@@ `));
        mkdirSync(join(dir, dirname(file)), { recursive: true });
        writeFileSync(join(dir, file), input);
        execFileSync("patch", ["-p0", "--quiet"], { cwd: dir, input: diff.stdout });
        expect({ name, patched: readFileSync(join(dir, file), "utf8") }).toEqual({ name, patched: printed.stdout });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("prints nothing for an input in which no document changes", async () => {
    const { code, stdout } = await cli(["uninject", "--diff", "app.yaml"], { "app.yaml": testdata("deployment.yaml") });
    expect({ code, stdout }).toEqual({ code: 0, stdout: "" });
  });

  it("does not combine with -o json", async () => {
    expect(
      (await cli(["inject", "--diff", "-o", "json", "--values", "values.yaml", "a.yaml"], { "a.yaml": MANIFESTS }))
        .stderr,
    ).toBe("Error: --diff shows the YAML output as a diff; it does not combine with -o json\n");
  });
});

describe("-o patch", () => {
  it("prints one RFC 6902 patch a document that turns the input document into the printed one", async () => {
    for (const { name, argv, input } of await cases()) {
      const printed = documents((await cli([...argv, "in.yaml"], { "in.yaml": input })).stdout).filter(
        (document) => document !== null,
      );
      const patched = await cli([...argv, "-o", "patch", "in.yaml"], { "in.yaml": input });
      expect({ name, code: patched.code }).toEqual({ name, code: 0 });
      const lines = patched.stdout
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line) as { kind: string; namespace: string; name: string; patch: never[] });
      // The input's documents as the CLI splits them (a comment-only chunk is a document of its own).
      const split = splitDocuments(input);
      if (!split.ok) throw new Error(split.problem.message);
      const inputs = split.documents.map((source) => {
        const parsed = parseSourceDocument(source);
        if (!parsed.ok) throw new Error(parsed.problem.message);
        return parsed.value;
      });
      expect(lines).toHaveLength(inputs.length);
      const results = lines.map((line, index) => {
        const document = structuredClone(inputs[index]);
        const errors = applyPatch(document, line.patch).filter((error) => error !== null);
        expect({ name, index, errors }).toEqual({ name, index, errors: [] });
        return document;
      });
      expect({ name, documents: results.filter((document) => document !== null) }).toEqual({
        name,
        documents: printed,
      });
      expect(Object.keys(lines[2] ?? {})).toEqual(["kind", "namespace", "name", "patch"]);
      expect(lines[2]).toMatchObject({ kind: "Deployment", namespace: "emojivoto", name: "web" });
    }
  });
});
