#!/usr/bin/env node
/**
 * Writes src/default-values.ts (Linkerd's chart defaults, their `ChartValues` type and the free-form parts of the
 * values) from Linkerd's control-plane chart values (charts/linkerd-control-plane/values.yaml of the Linkerd release
 * this injector follows, kept in the shared spec folder).
 *
 *   node scripts/generate-values.mjs            # rewrite src/default-values.ts
 *   node scripts/generate-values.mjs --stdout   # print what it would write
 *   node scripts/generate-values.mjs --values FILE
 *
 * The output is committed: neither the build nor the tests need this script or the chart values, and a test checks
 * that the committed file is what this script writes whenever the chart values are at hand.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";

const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), "..");
export const DEFAULT_SOURCE = join(PACKAGE, "..", "..", "..", "shared", "spec", "linkerd-control-plane-values.yaml");
const OUTPUT = join(PACKAGE, "src", "default-values.ts");

/** The Linkerd release whose chart values these are, and whose images the defaults name. */
const LINKERD_VERSION = "edge-26.8.3";

/**
 * The parts Linkerd reads as free-form maps (Go maps or Kubernetes objects in pkg/charts/linkerd2/values.go) rather
 * than fixed structs: any key, and a map given in a values layer replaces the one below. `depth` levels of maps lead
 * to the leaves; `leaf` is what a leaf holds.
 */
const FREE_FORM = {
  // Go ProxyParams: `proxy.inbound.<scope>.<proto>.<param>`, each a LINKERD2_PROXY_INBOUND_... variable (spec §3.5).
  "proxy.inbound": { depth: 3, leaf: "any", type: "ProxyParams" },
  "proxy.outbound": { depth: 3, leaf: "any", type: "ProxyParams" },
  "proxy.tracing.labels": { depth: 1, leaf: "string", type: "StringMap" },
  // Kubernetes SecurityContexts and LabelSelectors, copied whole into what Linkerd renders.
  "proxy.securityContext": { depth: 1, leaf: "any", type: "JsonObject" },
  "networkValidator.securityContext": { depth: 1, leaf: "any", type: "JsonObject" },
  "proxyInjector.namespaceSelector": { depth: 1, leaf: "any", type: "JsonObject" },
  "proxyInjector.objectSelector": { depth: 1, leaf: "any", type: "JsonObject" },
  "profileValidator.namespaceSelector": { depth: 1, leaf: "any", type: "JsonObject" },
  "policyValidator.namespaceSelector": { depth: 1, leaf: "any", type: "JsonObject" },
  podAnnotations: { depth: 1, leaf: "string", type: "StringMap" },
  podLabels: { depth: 1, leaf: "string", type: "StringMap" },
  commonLabels: { depth: 1, leaf: "string", type: "StringMap" },
  nodeSelector: { depth: 1, leaf: "string", type: "StringMap" },
  deploymentStrategy: { depth: 1, leaf: "any", type: "JsonObject" },
  spValidator: { depth: 1, leaf: "any", type: "JsonObject" },
  "destinationController.meshedHttp2ClientProtobuf": { depth: 1, leaf: "any", type: "JsonObject" },
  "destinationController.podAnnotations": { depth: 1, leaf: "string", type: "StringMap" },
  "identity.podAnnotations": { depth: 1, leaf: "string", type: "StringMap" },
  "proxyInjector.podAnnotations": { depth: 1, leaf: "string", type: "StringMap" },
  "podMonitor.labels": { depth: 1, leaf: "string", type: "StringMap" },
};

/** Types the defaults cannot tell: settings that default to null, and empty lists. */
const TYPES = {
  "proxy.cores": "number | null",
  "proxy.runtime.workers.maximumCPURatio": "number | null",
  "proxy.runtime.workers.maximum": "number | null",
  "proxy.additionalEnv": "JsonObject[]",
  "proxy.experimentalEnv": "JsonObject[]",
  imagePullSecrets: "JsonObject[]",
  configReaders: "JsonObject[] | null",
};

/**
 * Settings of Linkerd's values struct (pkg/charts/linkerd2/values.go) that the chart values leave out, added so that
 * annotations, flags and `--set` can set them; each goes after `after`, or last in its map.
 */
const STRUCT_ONLY = [
  { path: "proxy.runtime.workers.maximum", value: null, after: "maximumCPURatio" },
  { path: "proxy.tracing.protocol", value: "" },
  { path: "proxy.isIngress", value: false },
  { path: "proxy.isGateway", value: false },
  { path: "proxy.accessLog", value: "" },
  { path: "proxy.podInboundPorts", value: "" },
  { path: "proxy.additionalEnv", value: [] },
  { path: "proxy.experimentalEnv", value: [] },
];

/** What the Linkerd CLI sets before it uses the chart values (pkg/charts/linkerd2 `NewValues`). */
const RELEASE = [
  { path: "linkerdVersion", value: LINKERD_VERSION },
  { path: "debugContainer.image.version", value: LINKERD_VERSION },
];

/** The module text for the chart values in `yamlText`. */
export function generateValuesModule(yamlText) {
  const defaults = YAML.parse(yamlText);
  if (defaults === null || typeof defaults !== "object" || Array.isArray(defaults)) {
    throw new Error("the chart values are not a map");
  }
  for (const { path, value } of RELEASE) setAt(defaults, path, value);
  for (const { path, value, after } of STRUCT_ONLY) insertAt(defaults, path, value, after);
  for (const path of [...Object.keys(FREE_FORM), ...Object.keys(TYPES)]) {
    if (!hasPath(defaults, path)) throw new Error(`${path} is not in the chart values any more`);
  }
  return [
    "/**",
    ` * Linkerd ${LINKERD_VERSION}'s control-plane chart values (charts/linkerd-control-plane/values.yaml): the defaults`,
    " * with the release's version set as the Linkerd CLI sets it, the settings of Linkerd's values struct that the chart",
    " * leaves out, the `ChartValues` type, and the free-form maps.",
    " *",
    " * Generated by scripts/generate-values.mjs; change the script (or the chart values) and run it again rather than",
    " * editing this file.",
    " */",
    'import type { JsonObject, JsonValue } from "./types.js";',
    "",
    "/** The Linkerd release whose behaviour and images this injector follows. */",
    `export const LINKERD_VERSION = ${JSON.stringify(LINKERD_VERSION)};`,
    "",
    "/** A free-form map of strings (annotations, labels, a node selector). */",
    "export type StringMap = { [key: string]: string };",
    "",
    "/** `proxy.inbound` / `proxy.outbound`: scope → protocol → parameter → value (Go `ProxyParams`). */",
    "export type ProxyParams = { [scope: string]: { [proto: string]: { [param: string]: JsonValue } | null } | null };",
    "",
    "/** The shape of Linkerd's values, as its chart defaults have them. */",
    `export type ChartValues = ${typeOf(defaults, "", 0)};`,
    "",
    "/**",
    " * The free-form parts of the values: any key, replaced whole by a values layer. `depth` levels of maps lead to the",
    " * leaves; `leaf` is what a leaf holds.",
    " */",
    'export const FREE_FORM: Readonly<Record<string, { readonly depth: number; readonly leaf: "string" | "any" }>> = {',
    ...Object.entries(FREE_FORM).map(
      ([path, { depth, leaf }]) => `  ${JSON.stringify(path)}: { depth: ${depth}, leaf: ${JSON.stringify(leaf)} },`,
    ),
    "};",
    "",
    `export const CHART_DEFAULTS: ChartValues = ${JSON.stringify(defaults, null, 2)};`,
    "",
  ].join("\n");
}

function typeOf(value, path, indent) {
  if (Object.hasOwn(FREE_FORM, path)) return FREE_FORM[path].type;
  if (Object.hasOwn(TYPES, path)) return TYPES[path];
  if (value === null) throw new Error(`${path} defaults to null: give its type in TYPES`);
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every((item) => typeof item === "string")) return "string[]";
    throw new Error(`${path} is a list: give its type in TYPES`);
  }
  if (typeof value === "object") {
    const pad = "  ".repeat(indent + 1);
    const fields = Object.entries(value).map(
      ([key, child]) =>
        `${pad}${propertyName(key)}: ${typeOf(child, path === "" ? key : `${path}.${key}`, indent + 1)};`,
    );
    return `{\n${fields.join("\n")}\n${"  ".repeat(indent)}}`;
  }
  return typeof value;
}

function propertyName(key) {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key);
}

function hasPath(root, path) {
  let node = root;
  for (const part of path.split(".")) {
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, part)) return false;
    node = node[part];
  }
  return true;
}

function parentOf(root, path) {
  const parts = path.split(".");
  let node = root;
  for (const part of parts.slice(0, -1)) {
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, part)) throw new Error(`no map at ${path}`);
    node = node[part];
  }
  return { node, key: parts[parts.length - 1] };
}

function setAt(root, path, value) {
  const { node, key } = parentOf(root, path);
  if (!Object.hasOwn(node, key)) throw new Error(`${path} is not in the chart values any more`);
  node[key] = value;
}

/** Adds `key` to its map after `after` (keeping the chart's order), or last; fails if the chart has it already. */
function insertAt(root, path, value, after) {
  const { node, key } = parentOf(root, path);
  if (Object.hasOwn(node, key)) throw new Error(`${path} is in the chart values now: drop it from STRUCT_ONLY`);
  const entries = Object.entries(node);
  const at = after === undefined ? entries.length : entries.findIndex(([k]) => k === after) + 1;
  if (at === 0) throw new Error(`${path}: no ${after} to put it after`);
  entries.splice(at, 0, [key, value]);
  for (const k of Object.keys(node)) delete node[k];
  Object.assign(node, Object.fromEntries(entries));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const valuesAt = args.indexOf("--values");
  const source = valuesAt >= 0 ? args[valuesAt + 1] : DEFAULT_SOURCE;
  const text = generateValuesModule(readFileSync(source, "utf8"));
  if (args.includes("--stdout")) process.stdout.write(text);
  else writeFileSync(OUTPUT, text);
}
