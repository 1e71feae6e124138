/** Test inputs under `apps/cli/testdata/`, and small helpers the command tests share. */
import { readFileSync } from "node:fs";
import type { InjectArgs } from "../inject.js";

export function testdata(name: string): string {
  return readFileSync(new URL(`../../testdata/${name}`, import.meta.url), "utf8");
}

export const TOOL = { createdBy: "l5d-injector/cli test" };

/** `inject` arguments as the command line gives them when only INPUT is named. */
export function injectArgs(overrides: Partial<InjectArgs> = {}): InjectArgs {
  return {
    input: "manifest.yaml",
    output: "yaml",
    verbose: false,
    manual: false,
    valuesFiles: ["values.yaml"],
    sets: [],
    ignoreCluster: false,
    linkerdNamespace: "linkerd",
    proxyFlags: {},
    ...overrides,
  };
}

/**
 * A line diff (longest common subsequence): the lines of `before` that are not in `after`, and the lines of
 * `after` that are new, each with its 1-based line number.
 */
export function lineDiff(before: string, after: string) {
  const a = before.split("\n");
  const b = after.split("\n");
  const lengths = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i -= 1) {
    for (let j = b.length - 1; j >= 0; j -= 1) {
      const row = lengths[i] as number[];
      row[j] =
        a[i] === b[j]
          ? ((lengths[i + 1] as number[])[j + 1] as number) + 1
          : Math.max((lengths[i + 1] as number[])[j] as number, row[j + 1] as number);
    }
  }
  const removed: Array<{ line: number; text: string }> = [];
  const added: Array<{ line: number; text: string }> = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i += 1;
      j += 1;
    } else if (
      j < b.length &&
      (i === a.length || ((lengths[i] as number[])[j + 1] as number) >= ((lengths[i + 1] as number[])[j] as number))
    ) {
      added.push({ line: j + 1, text: b[j] as string });
      j += 1;
    } else {
      removed.push({ line: i + 1, text: a[i] as string });
      i += 1;
    }
  }
  return { removed, added };
}
