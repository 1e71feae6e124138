/**
 * The values injection runs with (spec §5.1, §5.5): the base (the cluster's `linkerd-config`, `--values` files
 * instead, or the built-in defaults with `--ignore-cluster`), then the flags and `--set` overrides on top. The
 * override annotations are what differs between the two, plus those of the flags that exist only as annotations.
 */
import { parse } from "yaml";
import { checkValuePath, formatIssue, getValue, overrideAnnotations, resolveValues, setValue } from "@l5d-injector/injector-core";
import type { Issue, JsonValue, ValuePath, Values } from "@l5d-injector/injector-core";
import { KUBERNETES_YAML } from "./documents.js";
import type { CliIo } from "./io.js";
import { errorMessage, fileErrorReason } from "./io.js";
import { crossCheckResources, PROXY_FLAGS } from "./proxy-flags.js";

export type FlagValue = string | number | boolean | Array<string | number | boolean>;

export interface ConfigurationArgs {
  /** `--values` files, merged in order; they replace the cluster read. */
  valuesFiles: readonly string[];
  /** `--set PATH=VALUE`, applied after the flags. */
  sets: readonly string[];
  ignoreCluster: boolean;
  linkerdNamespace: string;
  kubeconfig?: string | undefined;
  context?: string | undefined;
  /** The proxy flags given on the command line, by long name (`proxy-cpu-request`); absent ones are undefined. */
  proxyFlags: Readonly<Record<string, FlagValue | undefined>>;
}

export interface Configuration {
  base: Values;
  configured: Values;
  /**
   * `config.*` annotations for the flags given (spec §5.5), plus `linkerd.io/inject: ingress` with `--ingress`, and
   * those of the flags that exist only as annotations.
   */
  annotations: Record<string, string>;
}

export type ConfigurationResult = { ok: true; configuration: Configuration } | { ok: false; message: string };

export async function loadConfiguration(args: ConfigurationArgs, io: CliIo): Promise<ConfigurationResult> {
  const layers = await baseLayers(args, io);
  if (!layers.ok) return layers;
  const resolved = resolveValues(layers.layers.map((layer) => layer.values));
  if (!resolved.ok) {
    // Name the layer at fault: each is checked alone against the defaults.
    const culprit = layers.layers.find((layer) => !resolveValues([layer.values]).ok);
    const where = culprit === undefined ? "" : ` in ${culprit.source}`;
    return { ok: false, message: `invalid values${where}: ${describeIssues(resolved.issues)}` };
  }
  const base = resolved.values;

  const overridden = applyOverrides(base, args);
  if (!overridden.ok) return overridden;
  const configured = overridden.values;
  const annotations = { ...overrideAnnotations(configured, base), ...overridden.annotations };
  return { ok: true, configuration: { base, configured, annotations } };
}

type Layer = { source: string; values: unknown };
type LayersResult = { ok: true; layers: Layer[] } | { ok: false; message: string };

async function baseLayers(args: ConfigurationArgs, io: CliIo): Promise<LayersResult> {
  if (args.valuesFiles.length > 0) {
    const layers: Layer[] = [];
    for (const file of args.valuesFiles) {
      const layer = await readValuesFile(file, io);
      if (!layer.ok) return layer;
      layers.push({ source: `values file ${file}`, values: layer.values });
    }
    return { ok: true, layers };
  }
  if (args.ignoreCluster) return { ok: true, layers: [] };
  const request = {
    namespace: args.linkerdNamespace,
    ...(args.kubeconfig === undefined ? {} : { kubeconfig: args.kubeconfig }),
    ...(args.context === undefined ? {} : { context: args.context }),
  };
  const read = await io.readClusterValues(request);
  if (!read.ok) return read;
  return { ok: true, layers: [{ source: `ConfigMap ${args.linkerdNamespace}/linkerd-config`, values: read.values }] };
}

/** A values file is JSON or YAML holding a mapping (Linkerd values, as `linkerd-config` stores them). */
async function readValuesFile(file: string, io: CliIo): Promise<{ ok: true; values: unknown } | { ok: false; message: string }> {
  let text: string;
  try {
    text = await io.readFile(file);
  } catch (error) {
    return { ok: false, message: `cannot read values file ${file}: ${fileErrorReason(error)}` };
  }
  let values: unknown;
  try {
    values = parse(text, { ...KUBERNETES_YAML, prettyErrors: true });
  } catch (error) {
    return { ok: false, message: `values file ${file}: ${errorMessage(error).split("\n", 1)[0]}` };
  }
  if (values === null || values === undefined) return { ok: true, values: {} };
  if (typeof values !== "object" || Array.isArray(values)) {
    return { ok: false, message: `values file ${file}: expected a mapping of Linkerd values, found ${Array.isArray(values) ? "a list" : typeof values}` };
  }
  return { ok: true, values };
}

type Overridden = { ok: true; values: Values; annotations: Record<string, string> } | { ok: false; message: string };

function applyOverrides(base: Values, args: ConfigurationArgs): Overridden {
  let values = base;
  const annotations: Record<string, string> = {};
  const read = (path: ValuePath): JsonValue | undefined => getValue(values, path) as JsonValue | undefined;
  const change = (label: string, path: ValuePath, value: JsonValue): string | undefined => {
    const result = setValue(values, path, value);
    if (!result.ok) return `${label}: ${describeIssues(result.issues)}`;
    values = result.values;
    return undefined;
  };

  for (const flag of PROXY_FLAGS) {
    const given = args.proxyFlags[flag.name];
    if (given === undefined) continue;
    const outcome = flag.apply(flagValue(given, flag.type === "list"), read);
    if (!outcome.ok) return { ok: false, message: `--${flag.name}: ${outcome.message}` };
    for (const { path, value } of outcome.changes) {
      const problem = change(`--${flag.name}`, path, value);
      if (problem !== undefined) return { ok: false, message: problem };
    }
    Object.assign(annotations, outcome.annotations);
  }

  for (const entry of args.sets) {
    const parsed = parseSet(entry, (text) => {
      const path = checkValuePath(values, text);
      return path.ok ? read(path.path) : undefined;
    });
    if (!parsed.ok) return parsed;
    const path = checkValuePath(values, parsed.path);
    if (!path.ok) return { ok: false, message: `--set ${entry}: ${describeIssues(path.issues)}` };
    const problem = change(`--set ${entry}`, path.path, parsed.value);
    if (problem !== undefined) return { ok: false, message: problem };
  }

  const problems = crossCheckResources(read);
  if (problems.length > 0) return { ok: false, message: problems.join("; ") };
  return { ok: true, values, annotations };
}

/** A repeated flag: list flags (pflag string slices) join every occurrence with commas; others keep the last. */
function flagValue(given: FlagValue, isList: boolean): string | number | boolean {
  if (!Array.isArray(given)) return isList ? String(given) : given;
  if (isList) return given.map(String).join(",");
  return given[given.length - 1] ?? "";
}

/**
 * `--set PATH=VALUE`, VALUE read as YAML (`1234` a number, `true` a boolean, `22,8100-8102` a string). Where the
 * configured value is a string, a number or boolean VALUE keeps its text (`--set proxy.resources.cpu.request=1`
 * means the quantity "1"), and so does a multi-line VALUE.
 */
export function parseSet(
  entry: string,
  read: (path: string) => JsonValue | undefined,
): { ok: true; path: string; value: JsonValue } | { ok: false; message: string } {
  const equals = entry.indexOf("=");
  if (equals <= 0) return { ok: false, message: `--set expects PATH=VALUE, got "${entry}"` };
  const path = entry.slice(0, equals).trim();
  const raw = entry.slice(equals + 1);
  if (raw === "") return { ok: true, path, value: "" };
  let value: JsonValue;
  try {
    value = (parse(raw, { version: "1.2", prettyErrors: false }) ?? null) as JsonValue;
  } catch {
    // Not valid YAML (`a: b: c`): the text itself.
    value = raw;
  }
  if (typeof read(path) === "string") {
    // YAML would fold the lines of a multi-line VALUE (a PEM) into one: a string setting takes it as written.
    if (raw.includes("\n")) return { ok: true, path, value: raw };
    if (typeof value === "number" || typeof value === "boolean") value = raw.trim();
  }
  return { ok: true, path, value };
}

function describeIssues(issues: readonly Issue[]): string {
  return issues.map(formatIssue).join("; ");
}
