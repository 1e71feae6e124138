/**
 * `l5d-injector uninject`: removes the Linkerd proxy and Linkerd's metadata from the workloads of an input
 * (spec §5.7).
 */
import { applyPatch, canonicalRemovals, uninjectObject } from "@l5d-injector/injector-core";
import type { JsonValue } from "@l5d-injector/injector-core";
import type { CliIo } from "./io.js";
import { renderUninjectReport } from "./report.js";
import { runTransform, type CommandArgs } from "./run.js";
import type { DocumentOutcome } from "./transform.js";

export type UninjectArgs = CommandArgs;

export async function runUninject(args: UninjectArgs, io: CliIo): Promise<number> {
  return runTransform(args, io, {
    prepare: async () => ({ ok: true, transform: uninjectTransform }),
    report: renderUninjectReport,
  });
}

export function uninjectTransform(value: JsonValue): DocumentOutcome {
  const uninjected = uninjectObject(value);
  if (!uninjected.ok) return { ok: false, messages: uninjected.issues.map((issue) => issue.message) };
  if (uninjected.patch.length === 0) return { ok: true, patches: [], object: value, reports: uninjected.reports };
  const removals = canonicalRemovals(uninjected.object);
  return {
    ok: true,
    patches: [uninjected.patch, removals],
    object: applyPatch(uninjected.object, removals),
    reports: uninjected.reports,
  };
}
