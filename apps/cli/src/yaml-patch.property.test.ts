/**
 * Random edits over documents of varied layout: whatever the splicer does, the text it returns must read back as
 * exactly the target object (the placeholder check must never let a misplaced edit through), and lines outside
 * the edits must stay as written.
 */
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import type { JsonValue } from "@l5d-injector/injector-core";
import { KUBERNETES_YAML, splitDocuments } from "./documents.js";
import { testdata } from "./test-support/fixtures.js";
import { patchDocumentText } from "./yaml-patch.js";

/** A small deterministic generator (mulberry32), so that a failure can be replayed from its seed. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALUES: JsonValue[] = [
  "plain",
  "8080",
  "on",
  "12:30",
  "a: b # c",
  "line one\nline two\n",
  42,
  true,
  null,
  {},
  [],
  { name: "added", image: "x:1", ports: [{ containerPort: 80 }] },
  [{ name: "a" }, "b", ["c"]],
  { nested: { deeper: ["x", { y: "z\n" }] } },
];

type Container = JsonValue[] | { [key: string]: JsonValue };

/** Every collection in `value`, with its path. */
function collections(
  value: JsonValue,
  path: Array<string | number> = [],
): Array<{ path: Array<string | number>; value: Container }> {
  if (value === null || typeof value !== "object") return [];
  const own = [{ path, value: value as Container }];
  const children = Array.isArray(value)
    ? value.flatMap((item, index) => collections(item, [...path, index]))
    : Object.entries(value).flatMap(([key, item]) => collections(item, [...path, key]));
  return [...own, ...children];
}

/** One random change: add, replace or remove somewhere in the document. */
function mutate(value: JsonValue, next: () => number): JsonValue {
  const copy = structuredClone(value);
  const targets = collections(copy);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const { value: container } = pick(targets);
  const newValue = structuredClone(pick(VALUES));
  const roll = next();
  if (Array.isArray(container)) {
    if (roll < 0.4 || container.length === 0)
      container.splice(Math.floor(next() * (container.length + 1)), 0, newValue);
    else if (roll < 0.7) container.splice(Math.floor(next() * container.length), 1);
    else container[Math.floor(next() * container.length)] = newValue;
  } else {
    const keys = Object.keys(container);
    if (roll < 0.4 || keys.length === 0) container[`k${Math.floor(next() * 1000)}`] = newValue;
    else if (roll < 0.7) delete container[pick(keys)];
    else container[pick(keys)] = newValue;
  }
  return copy;
}

const LAYOUTS = [
  ...(() => {
    const split = splitDocuments(testdata("commented.yaml"));
    return split.ok ? split.documents.map((document) => document.text) : [];
  })(),
  testdata("deployment.yaml"),
  "spec:\n    containers:\n      - name: a   # indented list, 4-space maps\n        args: [x, y]\n      - name: b\n",
  "# header\nlist:\n- - nested\n  - list\n- key: value\n  other: |\n    block\n    text\nflow: {a: [1, 2], b: {c: d}}\n",
  "a: &anchor\n  x: 1\nb: *anchor\nc:\n  <<: *anchor\n  y: 2\n",
  "items:\n# leading comment\n- name: first\n\n  value: spaced\n# between\n- name: second\n# trailing\nend: true\n",
];

describe("patchDocumentText on random edits", () => {
  it("always returns text that reads back as the target", () => {
    let preserved = 0;
    let runs = 0;
    for (const [layoutIndex, text] of LAYOUTS.entries()) {
      const original = parseDocument(text, KUBERNETES_YAML).toJS() as JsonValue;
      // The header-only chunk of commented.yaml has nothing to edit.
      if (original === null) continue;
      for (let seed = 1; seed <= 60; seed += 1) {
        const next = random(seed * 7919 + layoutIndex);
        let target: JsonValue = original;
        for (let step = Math.floor(next() * 3); step >= 0; step -= 1) target = mutate(target, next);
        const result = patchDocumentText(text, target);
        const readBack = JSON.parse(JSON.stringify(parseDocument(result.text, KUBERNETES_YAML).toJS()));
        expect({ layoutIndex, seed, value: readBack }).toEqual({ layoutIndex, seed, value: target });
        if (result.preserved) preserved += 1;
        runs += 1;
      }
    }
    // Most edits are made in place; the whole-document rendering is the exception.
    expect(preserved / runs).toBeGreaterThan(0.8);
  });
});
