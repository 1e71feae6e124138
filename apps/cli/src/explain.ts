/**
 * `injector explain`: why a workload's pods would (or would not) get the proxy. For manifests (FILE|DIR|-, read as
 * `inject` reads them) offline, with the namespace stated by flags; for `KIND/NAME` from the cluster
 * (`explain-live.ts`). The chain comes from the core's `explainWorkload`; this file only gathers and prints.
 */
import {
  explainWorkload,
  formatIssue,
  prepareConfiguration,
  setValue,
  type Configuration,
  type Explanation,
  type NamespaceFacts,
} from "@l5d-injector/injector-core";
import { loadConfiguration } from "./configuration.js";
import { parseSourceDocument, splitDocuments } from "./documents.js";
import { liveTarget } from "./explain-live.js";
import { renderExplanations, type ExplainedItem } from "./explain-output.js";
import { InputError, listInputs } from "./inputs.js";
import type { CliIo, ClusterFlags } from "./io.js";
import { renderWarnings } from "./report.js";

export interface ExplainArgs extends ClusterFlags {
  /** FILE, DIR, `-`, an https URL, or KIND/NAME. */
  target?: string | undefined;
  /** `-n`: KIND/NAME's namespace, or the namespace a manifest's workloads are explained in. */
  namespace?: string | undefined;
  /** `--namespace-annotations K=V`, for manifests. */
  namespaceAnnotations: readonly string[];
  /** `--namespace-labels K=V`, for manifests. */
  namespaceLabels: readonly string[];
  output: string;
  valuesFiles: readonly string[];
  sets: readonly string[];
  ignoreCluster: boolean;
  verbose: boolean;
}

/**
 * A stand-in for the trust anchors the built-in defaults lack (`--ignore-cluster` without `--values`): explain
 * renders no proxy for anyone to run, and without it every workload would read "render_failed". Said on stderr.
 */
const STAND_IN_TRUST_ANCHORS = "-----BEGIN CERTIFICATE-----\nEXPLAIN-STAND-IN\n-----END CERTIFICATE-----\n";

export async function runExplain(args: ExplainArgs, io: CliIo): Promise<number> {
  const fail = (message: string) => {
    io.stderr.write(`Error: ${message}\n`);
    return 1;
  };
  if (args.output !== "text" && args.output !== "json")
    return fail(`unsupported format ${args.output} (use text or json)`);
  if (args.target === undefined || args.target === "")
    return fail("please name a kubernetes resource file, or KIND/NAME of a live object");
  const labels = keyValues("--namespace-labels", args.namespaceLabels);
  if (!labels.ok) return fail(labels.message);
  const annotations = keyValues("--namespace-annotations", args.namespaceAnnotations);
  if (!annotations.ok) return fail(annotations.message);

  const live = await liveTarget(args.target, io);
  if (live !== undefined && !live.ok) return fail(live.message);
  if (live === undefined && args.namespace !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(args.namespace))
    return fail(`${args.namespace} is not a valid namespace name`);

  const inputs = live === undefined ? await listInputs(args.target, io) : undefined;
  if (inputs !== undefined && !inputs.ok) return fail(inputs.message);

  const loaded = await explainConfiguration(args, io);
  if (!loaded.ok) return fail(loaded.message);
  if (loaded.warnings.length > 0) io.stderr.write(renderWarnings(loaded.warnings, io.stderr.isTTY));

  let items: ExplainedItem[];
  if (live !== undefined) {
    const { explainLive } = await import("./explain-live.js");
    const explained = await explainLive(live.target, args, loaded.configuration, io);
    if (!explained.ok) return fail(explained.message);
    items = [explained.item];
  } else {
    items = [];
    for (const source of inputs?.ok ? inputs.sources : []) {
      let text: string;
      try {
        text = await source.read();
      } catch (error) {
        if (error instanceof InputError) return fail(error.message);
        throw error;
      }
      const explained = explainText(source.name, text, loaded.configuration, {
        ...(args.namespace === undefined ? {} : { name: args.namespace }),
        labels: labels.values,
        annotations: annotations.values,
      });
      if (!explained.ok) return fail(explained.message);
      items.push(...explained.items.map((explanation) => ({ explanation })));
    }
  }
  io.stdout.write(renderExplanations(items, args.output));
  return 0;
}

/**
 * The explanations of one input's documents. `namespace.name` absent: each workload is explained in its own
 * `metadata.namespace` (else `default`), with the labels and annotations given.
 */
export function explainText(
  name: string,
  text: string,
  configuration: Configuration,
  namespace: Omit<NamespaceFacts, "name"> & { name?: string },
): { ok: true; items: Explanation[] } | { ok: false; message: string } {
  const split = splitDocuments(text);
  if (!split.ok) return { ok: false, message: `${name}:${split.problem.line}: ${split.problem.message}` };
  const items: Explanation[] = [];
  for (const source of split.documents) {
    const parsed = parseSourceDocument(source);
    if (!parsed.ok) {
      return {
        ok: false,
        message: `failed to parse ${name} at line ${parsed.problem.line}: ${parsed.problem.message}`,
      };
    }
    const value = parsed.value;
    const meta = typeof value === "object" && value !== null && !Array.isArray(value) ? value["metadata"] : undefined;
    const own =
      typeof meta === "object" && meta !== null && !Array.isArray(meta) && typeof meta["namespace"] === "string"
        ? meta["namespace"]
        : undefined;
    items.push(
      ...explainWorkload(value, {
        configuration,
        namespace: { ...namespace, name: namespace.name ?? own ?? "default" },
      }),
    );
  }
  return { ok: true, items };
}

type Loaded = { ok: true; configuration: Configuration; warnings: string[] } | { ok: false; message: string };

async function explainConfiguration(args: ExplainArgs, io: CliIo): Promise<Loaded> {
  const loaded = await loadConfiguration({ ...args, proxyFlags: {} }, io);
  if (!loaded.ok) return loaded;
  let values = loaded.configuration.configured;
  const warnings = [...loaded.configuration.warnings];
  const defaults = args.ignoreCluster && args.valuesFiles.length === 0;
  if (defaults && (values.identityTrustAnchorsPEM === "" || values.identityTrustAnchorsPEM === null)) {
    const set = setValue(values, "identityTrustAnchorsPEM", STAND_IN_TRUST_ANCHORS);
    if (set.ok) values = set.values;
    warnings.push(
      "the built-in defaults have no identityTrustAnchorsPEM: explaining with a stand-in, as a cluster's linkerd-config always has them",
    );
  }
  const prepared = prepareConfiguration(values, { linkerdNamespace: args.linkerdNamespace });
  if (!prepared.ok) return { ok: false, message: `invalid values: ${prepared.issues.map(formatIssue).join("; ")}` };
  return { ok: true, configuration: prepared.configuration, warnings };
}

function keyValues(
  flag: string,
  entries: readonly string[],
): { ok: true; values: Record<string, string> } | { ok: false; message: string } {
  const values: Record<string, string> = {};
  for (const entry of entries) {
    const equals = entry.indexOf("=");
    if (equals <= 0) return { ok: false, message: `${flag} expects KEY=VALUE, got "${entry}"` };
    values[entry.slice(0, equals)] = entry.slice(equals + 1);
  }
  return { ok: true, values };
}
