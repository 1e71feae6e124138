/**
 * The values injection runs with (spec §5.1, §5.5): the base (the cluster's `linkerd-config`, `--values` files
 * instead, or the built-in defaults with `--ignore-cluster`), then the flags and `--set` overrides on top. The
 * override annotations are what differs between the two, plus those of the flags that exist only as annotations.
 */
import { parse, parseAllDocuments } from "yaml";
import {
  checkValuePath,
  DEFAULT_VALUES,
  formatIssue,
  getValue,
  overrideAnnotations,
  resolveValues,
  setValue,
} from "@l5d-injector/injector-core";
import type { Issue, JsonValue, ValuePath, Values } from "@l5d-injector/injector-core";
import { KUBERNETES_YAML } from "./documents.js";
import type { CliIo, ClusterFlags } from "./io.js";
import { clusterRequest, errorMessage, fileErrorReason } from "./io.js";
import { crossCheckResources, PROXY_FLAGS } from "./proxy-flags.js";
import { closest } from "./suggest.js";

export type FlagValue = string | number | boolean | Array<string | number | boolean>;

/** `--as` and `--as-group` (ClusterFlags) impersonate for the cluster read. */
export interface ConfigurationArgs extends ClusterFlags {
  /** `--values` files, merged in order; they replace the cluster read. */
  valuesFiles: readonly string[];
  /** `--set PATH=VALUE`, applied after the flags. */
  sets: readonly string[];
  ignoreCluster: boolean;
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
  /** What the user should know but does not stop the run (unknown keys of a values file), one line each. */
  warnings: string[];
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
  const warnings = layers.layers.flatMap((layer) => (layer.checkKeys ? unknownKeys(layer) : []));
  return { ok: true, configuration: { base, configured, annotations, warnings } };
}

/** How to go on without the cluster, added to every failure to read it. */
const CLUSTER_HINT = "use --ignore-cluster for the built-in defaults, or --values FILE";

/**
 * Top-level keys a real `linkerd-config` may hold beyond the chart's defaults: the ones the chart documents only in
 * comments (set by `linkerd install`, or by the HA values).
 */
const COMMENTED_CHART_KEYS = new Set([
  "destinationProxyResources",
  "destinationResources",
  "heartbeatSchedule",
  "identityProxyResources",
  "identityResources",
  "namespace",
  "nodeAffinity",
  "proxyInjectorProxyResources",
  "proxyInjectorResources",
  "spValidatorResources",
  "tolerations",
]);

/** A values file's top-level keys that are no Linkerd setting: a typo would otherwise change nothing, silently. */
function unknownKeys(layer: Layer): string[] {
  if (layer.values === null || typeof layer.values !== "object") return [];
  const known = Object.keys(DEFAULT_VALUES);
  return Object.keys(layer.values)
    .filter((key) => !Object.hasOwn(DEFAULT_VALUES, key) && !COMMENTED_CHART_KEYS.has(key))
    .map((key) => {
      const near = closest(key, known);
      return `${layer.source}: unknown key "${key}"${near === undefined ? "" : ` (did you mean "${near}"?)`}, ignored`;
    });
}

type Layer = { source: string; values: unknown; checkKeys?: boolean };
type LayersResult = { ok: true; layers: Layer[] } | { ok: false; message: string };

async function baseLayers(args: ConfigurationArgs, io: CliIo): Promise<LayersResult> {
  if (args.valuesFiles.length > 0) {
    const layers: Layer[] = [];
    for (const file of args.valuesFiles) {
      const layer = await readValuesFile(file, io);
      if (!layer.ok) return layer;
      layers.push({ source: layer.source, values: layer.values, checkKeys: true });
    }
    return { ok: true, layers };
  }
  if (args.ignoreCluster) return { ok: true, layers: [] };
  const read = await io.readClusterValues(clusterRequest(args));
  if (!read.ok) return { ok: false, message: `${read.message}; ${CLUSTER_HINT}` };
  return { ok: true, layers: [{ source: `ConfigMap ${args.linkerdNamespace}/linkerd-config`, values: read.values }] };
}

/**
 * A values file: Linkerd values as JSON or YAML (what `linkerd-config` holds under `data.values`), or the
 * `linkerd-config` ConfigMap itself (`kubectl get cm linkerd-config -o yaml`), also inside a List or a multi-document
 * file (a saved `linkerd install` output).
 */
async function readValuesFile(
  file: string,
  io: CliIo,
): Promise<{ ok: true; source: string; values: unknown } | { ok: false; message: string }> {
  let text: string;
  try {
    text = await io.readFile(file);
  } catch (error) {
    return { ok: false, message: `cannot read values file ${file}: ${fileErrorReason(error)}` };
  }
  let documents: unknown[];
  try {
    documents = parseAllDocuments(text, { ...KUBERNETES_YAML, prettyErrors: true }).map((document) => {
      if (document.errors[0] !== undefined) throw document.errors[0];
      return document.toJS({ maxAliasCount: 1000 }) as unknown;
    });
  } catch (error) {
    return { ok: false, message: `values file ${file}: ${errorMessage(error).split("\n", 1)[0]}` };
  }
  const present = documents.filter((document) => document !== null && document !== undefined);
  const configMap = present.flatMap(listItems).find(isConfigMap);
  if (configMap !== undefined) return valuesOfConfigMap(file, configMap);
  if (present.some(isKubernetesObject)) {
    return {
      ok: false,
      message: `values file ${file} holds Kubernetes objects but no linkerd-config ConfigMap: give Linkerd values, or the linkerd-config ConfigMap (kubectl -n linkerd get cm linkerd-config -o yaml)`,
    };
  }
  if (present.length > 1)
    return {
      ok: false,
      message: `values file ${file}: expected one mapping of Linkerd values, found ${present.length} documents`,
    };
  const [values = {}] = present;
  if (typeof values !== "object" || Array.isArray(values)) {
    return {
      ok: false,
      message: `values file ${file}: expected a mapping of Linkerd values, found ${Array.isArray(values) ? "a list" : typeof values}`,
    };
  }
  return { ok: true, source: `values file ${file}`, values };
}

type KubernetesObject = {
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown };
  data?: unknown;
  items?: unknown;
};

function isKubernetesObject(value: unknown): value is KubernetesObject {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as KubernetesObject).kind === "string" &&
    "apiVersion" in value
  );
}

function listItems(value: unknown): unknown[] {
  return isKubernetesObject(value) && value.kind === "List" && Array.isArray(value.items) ? value.items : [value];
}

function isConfigMap(value: unknown): value is KubernetesObject {
  return isKubernetesObject(value) && value.kind === "ConfigMap" && value.metadata?.name === "linkerd-config";
}

function valuesOfConfigMap(
  file: string,
  configMap: KubernetesObject,
): { ok: true; source: string; values: unknown } | { ok: false; message: string } {
  const namespace = typeof configMap.metadata?.namespace === "string" ? `${configMap.metadata.namespace}/` : "";
  const source = `values file ${file} (ConfigMap ${namespace}linkerd-config)`;
  const text =
    typeof configMap.data === "object" && configMap.data !== null
      ? (configMap.data as { values?: unknown }).values
      : undefined;
  if (typeof text !== "string") return { ok: false, message: `${source} has no "values" key under data` };
  let values: unknown;
  try {
    values = parse(text, KUBERNETES_YAML);
  } catch (error) {
    return { ok: false, message: `${source}: its values are not valid YAML: ${errorMessage(error).split("\n", 1)[0]}` };
  }
  if (values === null || values === undefined) return { ok: true, source, values: {} };
  if (typeof values !== "object" || Array.isArray(values))
    return { ok: false, message: `${source}: its values are not a mapping` };
  return { ok: true, source, values };
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
