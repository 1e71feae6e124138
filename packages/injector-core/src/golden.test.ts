/**
 * Golden cases: each folder of test/cases holds `case.yaml` (what to run), `input.yaml` (the object) and
 * `expected.yaml` (the result, reviewed like code). A `cli` case runs `reinjectManifest`, what the CLI prints; a
 * `webhook` case runs `injectAdmission`, what the webhook answers. For every case, whatever it tests, the invariants
 * of the house style are checked too: the input is deep-frozen, the patch applied to the input gives the output, a
 * second injection changes nothing, and uninjection restores the input where the spec says it does.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import {
  applyPatch,
  canonicalRemovals,
  checkValuePath,
  formatIssue,
  injectAdmission,
  prepareConfiguration,
  reinjectManifest,
  resolveValues,
  setValue,
  uninjectManifest,
} from "./index.js";
import type { Configuration, JsonValue, TransformResult, Values } from "./index.js";
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

function configurationFor(c: CaseFile): Configuration {
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
  const prepared = prepareConfiguration(values);
  if (!prepared.ok) throw new Error(JSON.stringify(prepared.issues));
  return prepared.configuration;
}

/** The core's entry point for the case's origin, as the CLI or the webhook calls it. */
function runnerFor(c: CaseFile): (input: JsonValue) => TransformResult {
  const configuration = configurationFor(c);
  if (c.origin === "webhook") {
    return (input) =>
      injectAdmission(input, {
        configuration,
        namespace: c.requestNamespace,
        namespaceAnnotations: c.namespaceAnnotations,
        owner: c.owner,
        createdBy: "linkerd/proxy-injector test",
      });
  }
  const overrideAnnotations = c.overrideAnnotations;
  return c.mode === "annotations"
    ? (input) => reinjectManifest(input, { configuration, mode: "annotations", overrideAnnotations })
    : (input) =>
        reinjectManifest(input, { configuration, mode: "full", overrideAnnotations, createdBy: "linkerd/cli test" });
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
      const run = runnerFor(c);
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
        // Both print in Kubernetes' canonical form: what the input says, without the zero values it leaves out.
        it("gives the input back when uninjected", () => {
          const un = uninjectManifest(deepFreeze(structuredClone(result.object)));
          expect(un.ok && un.object).toEqual(applyPatch(input, canonicalRemovals(input)));
        });
      }
    });
  }
});
