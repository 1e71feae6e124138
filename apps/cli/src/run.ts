/**
 * What `inject` and `uninject` share (spec §5.2): the output format, the INPUT, and the loop that prints each
 * input's manifests (or their diff) and report, stopping at the first input that fails.
 */
import type { ResourceReport } from "@l5d-injector/injector-core";
import { InputError, listInputs } from "./inputs.js";
import type { CliIo } from "./io.js";
import { renderWarnings } from "./report.js";
import { unifiedDiff } from "./unified-diff.js";
import { transformFile, type DocumentTransform, type OutputFormat } from "./transform.js";

export interface CommandArgs {
  input?: string | undefined;
  /** `-o/--output`: `yaml`, `json` or `patch`. */
  output: string;
  /** `--diff`: a unified diff of each changed input instead of the manifests. */
  diff?: boolean | undefined;
  verbose: boolean;
}

export interface TransformCommand {
  /** Everything that must hold before any input is read (the configuration, for `inject`). */
  prepare(): Promise<
    { ok: true; transform: DocumentTransform; warnings?: readonly string[] } | { ok: false; message: string }
  >;
  report(reports: readonly ResourceReport[]): string;
}

const FORMATS: readonly string[] = ["yaml", "json", "patch"];

export async function runTransform(args: CommandArgs, io: CliIo, command: TransformCommand): Promise<number> {
  const fail = (message: string) => {
    io.stderr.write(`Error: ${message}\n`);
    return 1;
  };
  if (!FORMATS.includes(args.output)) return fail(`unsupported format ${args.output} (use yaml, json or patch)`);
  const format = args.output as OutputFormat;
  if (args.diff === true && format !== "yaml")
    return fail(`--diff shows the YAML output as a diff; it does not combine with -o ${format}`);
  if (args.input === undefined || args.input === "") return fail("please specify a kubernetes resource file");

  const inputs = await listInputs(args.input, io);
  if (!inputs.ok) return fail(inputs.message);
  const prepared = await command.prepare();
  if (!prepared.ok) return fail(prepared.message);
  if (prepared.warnings !== undefined && prepared.warnings.length > 0)
    io.stderr.write(renderWarnings(prepared.warnings, io.stderr.isTTY));

  for (const source of inputs.sources) {
    let text: string;
    try {
      text = await source.read();
    } catch (error) {
      if (error instanceof InputError) return fail(error.message);
      throw error;
    }
    const result = transformFile(source.name, text, prepared.transform, format);
    if (!result.ok) {
      io.stderr.write(`Error transforming resources:\n${result.errors.join("\n")}\n`);
      return 1;
    }
    if (args.diff !== true) io.stdout.write(result.output);
    else if (result.changed) io.stdout.write(unifiedDiff(source.name, text, result.output));
    io.stderr.write(command.report(result.reports));
  }
  return 0;
}
