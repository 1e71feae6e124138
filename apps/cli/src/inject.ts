/**
 * `injector inject`: adds the Linkerd proxy to the workloads of an input (spec §5.3), printing the manifests on
 * stdout and a report on stderr, input file by input file.
 */
import { formatIssue, prepareConfiguration, reinjectManifest } from "@l5d-injector/injector-core";
import type { Issue, JsonValue, ManifestOptions } from "@l5d-injector/injector-core";
import { loadConfiguration, type FlagValue } from "./configuration.js";
import type { CliIo } from "./io.js";
import { runTransform, type CommandArgs } from "./run.js";
import { renderInjectReport } from "./report.js";
import type { DocumentOutcome, DocumentTransform } from "./transform.js";

export interface InjectArgs extends CommandArgs {
  /** Render the whole proxy spec instead of annotations for the webhook. */
  manual: boolean;
  valuesFiles: readonly string[];
  sets: readonly string[];
  ignoreCluster: boolean;
  linkerdNamespace: string;
  kubeconfig?: string | undefined;
  context?: string | undefined;
  impersonate?: string | undefined;
  impersonateGroups?: readonly string[] | undefined;
  disableIdentity?: boolean | undefined;
  /** The proxy flags given, by long name. */
  proxyFlags: Readonly<Record<string, FlagValue | undefined>>;
}

export interface ToolInfo {
  /** Written into `linkerd.io/created-by` with `--manual`. */
  createdBy: string;
}

export async function runInject(args: InjectArgs, io: CliIo, tool: ToolInfo): Promise<number> {
  if (args.disableIdentity !== undefined) {
    io.stderr.write("Error: --disable-identity is no longer supported; identity is always required\n");
    return 1;
  }
  return runTransform(args, io, {
    async prepare() {
      const loaded = await loadConfiguration(args, io);
      if (!loaded.ok) return loaded;
      const { configured, annotations } = loaded.configuration;
      // Prepared once for the run: every document is injected with it.
      const prepared = prepareConfiguration(configured, { linkerdNamespace: args.linkerdNamespace });
      if (!prepared.ok) return { ok: false, message: `invalid values: ${prepared.issues.map(formatIssue).join("; ")}` };
      const configuration = prepared.configuration;
      const options: ManifestOptions = args.manual
        ? { configuration, mode: "full", overrideAnnotations: annotations, createdBy: tool.createdBy }
        : { configuration, mode: "annotations", overrideAnnotations: annotations };
      return { ok: true, transform: injectTransform(options), warnings: loaded.configuration.warnings };
    },
    report: (reports) => renderInjectReport(reports, { verbose: args.verbose, color: io.stderr.isTTY }),
  });
}

/**
 * The core's `reinjectManifest`: uninject first, so that an already injected workload is re-injected rather than
 * refused (spec §5.3), then inject, then drop what Kubernetes' own serialisation would drop from the result.
 */
export function injectTransform(options: ManifestOptions): DocumentTransform {
  return (value: JsonValue): DocumentOutcome => {
    const result = reinjectManifest(value, options);
    if (!result.ok) return { ok: false, messages: result.issues.map(describeIssue) };
    // An unchanged document is echoed as written (transform.ts), never read from `object`.
    return {
      ok: true,
      patches: [result.patch],
      object: result.patch.length === 0 ? value : result.object,
      reports: result.reports,
    };
  };
}

function describeIssue(issue: Issue): string {
  // Linkerd's sentence names no way out; the built-in defaults (--ignore-cluster) are the usual way in.
  if (issue.code === "render_failed" && issue.path.length === 1 && issue.path[0] === "identityTrustAnchorsPEM") {
    return `${issue.message}: set identityTrustAnchorsPEM with --values FILE or --set (the built-in defaults have none)`;
  }
  return formatIssue(issue);
}
