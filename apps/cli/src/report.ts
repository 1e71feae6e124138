/**
 * The reports printed on stderr after each input's manifests, byte for byte as `linkerd inject` / `uninject`
 * print them (spec §5.6, §5.7).
 */
import { formatIssue, type ResourceReport } from "@l5d-injector/injector-core";

export interface ReportOptions {
  verbose: boolean;
  /** ANSI colours on the status marks; only for a terminal (spec §5.6). */
  color: boolean;
}

const OK = "\u221a"; // √
const WARN = "\u203c"; // ‼

function marks(color: boolean) {
  // Linkerd's colours: a green √ and a bold yellow ‼.
  return {
    ok: color ? `\u001b[32m${OK}\u001b[0m` : OK,
    warn: color ? `\u001b[33;1m${WARN}\u001b[0m` : WARN,
  };
}

/**
 * `inject`'s report: a blank line, the warnings (with `--verbose`, a `√` line for each check that passed), a blank
 * line when anything was printed there, one summary line per document, a blank line.
 */
export function renderInjectReport(reports: readonly ResourceReport[], options: ReportOptions): string {
  const { ok, warn } = marks(options.color);
  const names = (select: (report: ResourceReport) => boolean) => reports.filter(select).map((report) => report.resName);
  const hostNetwork = names((report) => report.hostNetwork);
  const sidecar = names((report) => report.sidecar);
  const injectDisabled = names((report) => report.injectDisabled);
  const udp = names((report) => report.udp);
  const supported = reports.some((report) => report.injectable || report.annotatable);
  const automountOk = reports.every((report) => report.automountServiceAccountToken);

  const checks: string[] = [];
  const check = (failing: string | undefined, passing: string) => {
    if (failing !== undefined) checks.push(`${warn} ${failing}`);
    else if (options.verbose) checks.push(`${ok} ${passing}`);
  };
  check(
    hostNetwork.length > 0 ? `"hostNetwork: true" detected in ${hostNetwork.join(", ")}` : undefined,
    "pods do not use host networking",
  );
  check(
    sidecar.length > 0 ? `known 3rd party sidecar detected in ${sidecar.join(", ")}` : undefined,
    "pods do not have a 3rd party proxy or initContainer already injected",
  );
  check(
    injectDisabled.length > 0
      ? `"linkerd.io/inject: disabled" annotation set on ${injectDisabled.join(", ")}`
      : undefined,
    "pods are not annotated to disable injection",
  );
  check(supported ? undefined : "no supported objects found", "at least one resource can be injected or annotated");
  check(
    udp.length > 0 ? `${udp.join(", ")} ${udp.length > 1 ? "use" : "uses"} "protocol: UDP"` : undefined,
    "pod specs do not include UDP ports",
  );
  // Linkerd has no warning line for this check, only the verbose one when it passes.
  if (options.verbose && automountOk) {
    checks.push(
      `${ok} pods do not have automountServiceAccountToken set to "false" or service account token projection is enabled`,
    );
  }

  // Annotation values the injection could not use (it kept the configured value instead). Linkerd logs these only
  // at debug level; a setting that silently does nothing is worth a line.
  for (const report of reports) {
    for (const warning of report.warnings) checks.push(`${warn} ${report.resName}: ${formatIssue(warning)}`);
  }

  const lines = ["", ...checks];
  if (checks.length > 0) lines.push("");
  for (const report of reports) lines.push(summaryLine(report));
  lines.push("");
  return `${lines.join("\n")}\n`;
}

/** `uninject`'s report: a blank line, one line per document, a blank line; no checks (spec §5.7). */
export function renderUninjectReport(reports: readonly ResourceReport[]): string {
  return `${["", ...reports.map(summaryLine), ""].join("\n")}\n`;
}

function summaryLine(report: ResourceReport): string {
  if (report.missingKind) return `document missing "kind" field, skipped`;
  return `${report.kind} "${report.name}" ${report.outcome}`;
}

/** Warnings about the run itself (a values file's unknown keys), printed once before the inputs' output. */
export function renderWarnings(warnings: readonly string[], color: boolean): string {
  const { warn } = marks(color);
  return warnings.map((warning) => `${warn} ${warning}\n`).join("");
}
