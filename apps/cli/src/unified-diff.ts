/**
 * `--diff`: the change from the input to the output as a unified diff, in time that grows with the size of the
 * manifests, not with its square.
 *
 * A line diff of the whole file (Myers, as `diff` and `git diff` do) takes time in proportion to the file's length
 * times the number of changed lines: injection adds about a hundred lines to each workload, so 200 workloads took
 * 40 s and 2,000 over an hour. The output keeps the input's documents in order, so the diff is made in two steps:
 * first over the file's parts (documents and the `---` lines between them), where an untouched document is one
 * token; then line by line inside each run of parts that changed, which is one document, small. The hunks are then
 * cut as `diff -u` cuts them, three lines of context, hunks that would share context joined.
 */
import { diffArrays, diffLines, FILE_HEADERS_ONLY, formatPatch, type StructuredPatchHunk } from "diff";

const CONTEXT = 3;

/** A run of whole lines, kept, added or removed. */
interface Run {
  kind: "same" | "added" | "removed";
  lines: string[];
}

/**
 * The change from `before` to `after` as a unified diff naming `path` on both sides, so that `patch -p0` (or
 * `git apply -p0`) run where the command ran turns the input into the output. Empty when they are equal.
 */
export function unifiedDiff(path: string, before: string, after: string): string {
  const hunks = cutHunks(lineRuns(before, after));
  return formatPatch(
    { oldFileName: path, newFileName: path, oldHeader: undefined, newHeader: undefined, hunks },
    FILE_HEADERS_ONLY,
  );
}

/** The edit script from `before` to `after`, as runs of lines (each line with its `\n`, the last maybe without). */
function lineRuns(before: string, after: string): Run[] {
  const runs: Run[] = [];
  const push = (kind: Run["kind"], lines: string[]) => {
    if (lines.length === 0) return;
    const last = runs.at(-1);
    if (last?.kind === kind) last.lines.push(...lines);
    else runs.push({ kind, lines: [...lines] });
  };
  let removed: string[] = [];
  let added: string[] = [];
  // A changed document: the parts removed and added since the last kept part, diffed line by line.
  const flush = () => {
    if (removed.length === 0 && added.length === 0) return;
    for (const change of diffLines(removed.join(""), added.join(""))) {
      push(change.added ? "added" : change.removed ? "removed" : "same", splitLines(change.value));
    }
    removed = [];
    added = [];
  };
  for (const change of diffArrays(parts(before), parts(after))) {
    if (change.removed) removed.push(...change.value);
    else if (change.added) added.push(...change.value);
    else {
      flush();
      for (const part of change.value) push("same", splitLines(part));
    }
  }
  flush();
  return runs;
}

/** The file cut before each line that starts a YAML document (`---`) and after it: documents and separators. */
function parts(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  const marker = /^---(?:[ \t].*)?$/gm;
  for (let match = marker.exec(text); match !== null; match = marker.exec(text)) {
    const lineEnd = text.indexOf("\n", match.index);
    const end = lineEnd === -1 ? text.length : lineEnd + 1;
    if (match.index > start) out.push(text.slice(start, match.index));
    out.push(text.slice(match.index, end));
    start = end;
    marker.lastIndex = end;
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

function splitLines(text: string): string[] {
  const lines = text.split(/(?<=\n)/);
  return lines.at(-1) === "" ? lines.slice(0, -1) : lines;
}

/** Hunks as `diff -u` cuts them: CONTEXT kept lines around each change, changes closer than twice that joined. */
function cutHunks(runs: readonly Run[]): StructuredPatchHunk[] {
  const hunks: StructuredPatchHunk[] = [];
  let hunk: StructuredPatchHunk | undefined;
  let oldLine = 1;
  let newLine = 1;
  const body = (prefix: string, lines: readonly string[]) =>
    lines.flatMap((line) =>
      line.endsWith("\n") ? [prefix + line.slice(0, -1)] : [prefix + line, "\\ No newline at end of file"],
    );
  runs.forEach((run, index) => {
    if (run.kind === "same") {
      const n = run.lines.length;
      if (hunk !== undefined) {
        const isLast = index === runs.length - 1;
        if (n <= 2 * CONTEXT && !isLast) {
          hunk.lines.push(...body(" ", run.lines));
          hunk.oldLines += n;
          hunk.newLines += n;
        } else {
          const tail = run.lines.slice(0, CONTEXT);
          hunk.lines.push(...body(" ", tail));
          hunk.oldLines += tail.length;
          hunk.newLines += tail.length;
          hunks.push(hunk);
          hunk = undefined;
        }
      }
      oldLine += n;
      newLine += n;
      return;
    }
    if (hunk === undefined) {
      const previous = runs[index - 1];
      const lead = previous?.kind === "same" ? previous.lines.slice(-CONTEXT) : [];
      hunk = {
        oldStart: oldLine - lead.length,
        oldLines: lead.length,
        newStart: newLine - lead.length,
        newLines: lead.length,
        lines: body(" ", lead),
      };
    }
    if (run.kind === "added") {
      hunk.lines.push(...body("+", run.lines));
      hunk.newLines += run.lines.length;
      newLine += run.lines.length;
    } else {
      hunk.lines.push(...body("-", run.lines));
      hunk.oldLines += run.lines.length;
      oldLine += run.lines.length;
    }
  });
  if (hunk !== undefined) hunks.push(hunk);
  return hunks;
}
