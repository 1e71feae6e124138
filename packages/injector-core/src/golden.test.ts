/**
 * Golden cases: each folder of test/cases holds `case.yaml` (what to run), `input.yaml` (the object) and
 * `expected.yaml` (the result, reviewed like code). For every case, whatever it tests, the invariants of the house
 * style are checked too: the input is deep-frozen, the patch applied to the input gives the output, a second
 * injection changes nothing, and uninjection restores the input where the spec says it does.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { applyPatch, checkValuePath, formatIssue, injectObject, resolveValues, setValue, uninjectObject } from "./index.js";
import type { InjectOptions, JsonValue, TransformResult, Values } from "./index.js";
import { deepFreeze, TEST_TRUST_ANCHORS } from "./test-support/fixtures.js";

const casesDir = join(dirname(fileURLToPath(import.meta.url)), "..", "test", "cases");

interface CaseFile {
  about: string;
  origin: "cli" | "webhook";
  mode?: "full" | "annotations";
  values?: Record<string, unknown>;
  set?: Record<string, JsonValue>;
  namespaceAnnotations?: Record<string, string>;
  owner?: { kind: string; name: string };
  requestNamespace?: string;
  overrideAnnotations?: Record<string, string>;
  /** Whether uninject of the output gives back the input (spec §5.7 leaves some containers behind). */
  uninjectRestores?: boolean;
}

function optionsFor(c: CaseFile): InjectOptions {
  const resolved = resolveValues([{ identityTrustAnchorsPEM: TEST_TRUST_ANCHORS }, c.values ?? {}]);
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.issues));
  let values: Values = resolved.values;
  for (const [text, value] of Object.entries(c.set ?? {})) {
    const path = checkValuePath(values, text);
    if (!path.ok) throw new Error(JSON.stringify(path.issues));
    const r = setValue(values, path.path, value);
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    values = r.values;
  }
  const options: InjectOptions = {
    origin: c.origin,
    mode: c.mode ?? "full",
    values,
    createdBy: c.origin === "webhook" ? "linkerd/proxy-injector test" : "linkerd/cli test",
  };
  if (c.namespaceAnnotations) options.namespaceAnnotations = c.namespaceAnnotations;
  if (c.owner) options.owner = c.owner;
  if (c.requestNamespace !== undefined) options.requestNamespace = c.requestNamespace;
  if (c.overrideAnnotations) options.overrideAnnotations = c.overrideAnnotations;
  return options;
}

function summary(result: TransformResult): unknown {
  const reports = result.reports.map((r) => ({
    resource: r.resName,
    outcome: r.outcome,
    injectable: r.injectable,
    reasons: r.reasons,
    ...(r.missingKind ? { missingKind: true } : {}),
    ...(r.annotationAt ? { annotationAt: r.annotationAt } : {}),
    ...(r.udp ? { udp: true } : {}),
    ...(r.warnings.length ? { warnings: r.warnings.map(formatIssue) } : {}),
  }));
  if (!result.ok) return { reports, issues: result.issues.map((i) => `${i.code}: ${formatIssue(i)}`) };
  return { reports, patchOps: result.patch.map((op) => `${op.op} ${op.path}`), object: result.object };
}

const cases = readdirSync(casesDir).sort();

describe("golden cases", () => {
  it("has cases", () => expect(cases.length).toBeGreaterThan(20));

  for (const name of cases) {
    describe(name, () => {
      const dir = join(casesDir, name);
      const c = YAML.parse(readFileSync(join(dir, "case.yaml"), "utf8")) as CaseFile;
      const input = deepFreeze(YAML.parse(readFileSync(join(dir, "input.yaml"), "utf8")) as JsonValue);
      const options = optionsFor(c);
      // The CLI always uninjects first (spec §5.3); the webhook sees objects as they come.
      const run = (obj: JsonValue) => {
        if (c.origin === "webhook") return injectObject(obj, options);
        const un = uninjectObject(obj);
        if (!un.ok) return un;
        const r = injectObject(un.object, options);
        return r.ok ? { ...r, patch: [...un.patch, ...r.patch] } : r;
      };
      const result = run(input);

      it(c.about, async () => {
        await expect(YAML.stringify(summary(result), { lineWidth: 0 })).toMatchFileSnapshot(join(dir, "expected.yaml"));
      });

      if (!result.ok) return;

      it("gives the output when the patch is applied to the input", () => {
        expect(applyPatch(input, result.patch)).toEqual(result.object);
      });

      it("changes nothing when run again on its output", () => {
        const again = run(deepFreeze(structuredClone(result.object)));
        expect(again.ok).toBe(true);
        if (again.ok) expect(again.object).toEqual(result.object);
      });

      if (c.uninjectRestores) {
        it("gives the input back when uninjected", () => {
          const un = uninjectObject(deepFreeze(structuredClone(result.object)));
          expect(un.ok && un.object).toEqual(input);
        });
      }
    });
  }
});
