/**
 * `l5d-injector uninject`: removes the Linkerd proxy and Linkerd's metadata from the workloads of an input
 * (spec §5.7).
 */
import { uninjectManifest } from "@l5d-injector/injector-core";
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
  const result = uninjectManifest(value);
  if (!result.ok) return { ok: false, messages: result.issues.map((issue) => issue.message) };
  // An unchanged document is echoed as written (transform.ts), never read from `object`.
  return {
    ok: true,
    patches: [result.patch],
    object: result.patch.length === 0 ? value : result.object,
    reports: result.reports,
  };
}
