/**
 * How the API server picks the admission webhooks of a request: label selectors
 * (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors) and webhook rules
 * (https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#matching-requests-rules),
 * read from plain JSON as a MutatingWebhookConfiguration holds them.
 */
import { isObject } from "./json.js";
import type { JsonValue } from "./types.js";

/** One `matchExpressions` entry. */
export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[] | undefined;
}

/** A `metav1.LabelSelector`: every `matchLabels` entry and every expression must hold. */
export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>> | undefined;
  readonly matchExpressions?: readonly LabelSelectorRequirement[] | undefined;
}

/**
 * Whether labels satisfy a selector: the requirements they do not meet, in the selector's order and written as
 * `kubectl` writes selectors (`app=web`, `tier in (a,b)`, `!linkerd.io/control-plane-component`), or why the
 * selector itself is invalid (the API server refuses to store such a webhook configuration).
 */
export type SelectorMatch =
  | { readonly matches: true; readonly unmet: readonly [] }
  | { readonly matches: false; readonly unmet: readonly string[]; readonly invalid?: string };

/**
 * Matches labels against a label selector, with Kubernetes' semantics: `In` needs the key with one of the values,
 * `NotIn` holds when the key is absent or has none of them, `Exists` / `DoesNotExist` look at the key only. An
 * empty selector (and, for a webhook, an absent one, which the API server defaults to `{}`) matches everything.
 *
 * @example
 * matchLabelSelector({ matchExpressions: [{ key: "env", operator: "NotIn", values: ["prod"] }] }, { env: "dev" })
 * // { matches: true, unmet: [] }
 */
export function matchLabelSelector(
  selector: LabelSelector | undefined,
  labels: Readonly<Record<string, string>>,
): SelectorMatch {
  if (selector === undefined) return { matches: true, unmet: [] };
  const unmet: string[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) unmet.push(`${key}=${value}`);
  }
  for (const requirement of selector.matchExpressions ?? []) {
    const outcome = matchRequirement(requirement, labels);
    if (outcome === "invalid") {
      const invalid = `invalid requirement ${JSON.stringify(requirement)}`;
      return { matches: false, unmet: [...unmet, describeRequirement(requirement)], invalid };
    }
    if (!outcome) unmet.push(describeRequirement(requirement));
  }
  return unmet.length === 0 ? { matches: true, unmet: [] } : { matches: false, unmet };
}

function matchRequirement(r: LabelSelectorRequirement, labels: Readonly<Record<string, string>>): boolean | "invalid" {
  const values = r.values ?? [];
  const has = Object.hasOwn(labels, r.key);
  switch (r.operator) {
    case "In":
      if (values.length === 0) return "invalid";
      return has && values.includes(labels[r.key] as string);
    case "NotIn":
      if (values.length === 0) return "invalid";
      return !has || !values.includes(labels[r.key] as string);
    case "Exists":
      return values.length === 0 ? has : "invalid";
    case "DoesNotExist":
      return values.length === 0 ? !has : "invalid";
    default:
      return "invalid";
  }
}

/**
 * A requirement as `kubectl` writes it.
 *
 * @example
 * describeRequirement({ key: "config.linkerd.io/admission-webhooks", operator: "NotIn", values: ["disabled"] })
 * // "config.linkerd.io/admission-webhooks notin (disabled)"
 */
export function describeRequirement(r: LabelSelectorRequirement): string {
  const values = (r.values ?? []).join(",");
  switch (r.operator) {
    case "In":
      return `${r.key} in (${values})`;
    case "NotIn":
      return `${r.key} notin (${values})`;
    case "Exists":
      return r.key;
    case "DoesNotExist":
      return `!${r.key}`;
    default:
      return `${r.key} ${r.operator} (${values})`;
  }
}

/** One `rules` entry of a webhook (`RuleWithOperations`). Absent lists match nothing, as in the API server. */
export interface WebhookRule {
  readonly operations?: readonly string[] | undefined;
  readonly apiGroups?: readonly string[] | undefined;
  readonly apiVersions?: readonly string[] | undefined;
  readonly resources?: readonly string[] | undefined;
  /** `Cluster`, `Namespaced` or `*` (the default). */
  readonly scope?: string | undefined;
}

/** What an admission request is about, as rules see it. */
export interface AdmissionAttributes {
  readonly operation: string;
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  /** `""` for the resource itself (`status`, `exec`, ... otherwise). */
  readonly subresource: string;
  /** Whether the object lives in a namespace. */
  readonly namespaced: boolean;
}

/** The attributes of a Pod being created, the request the proxy injector is called for. */
export const POD_CREATE: AdmissionAttributes = Object.freeze({
  operation: "CREATE",
  group: "",
  version: "v1",
  resource: "pods",
  subresource: "",
  namespaced: true,
});

/**
 * Whether a webhook rule matches a request, as the API server's rule matcher does: each list holds the request's
 * value or `*`; a resource entry `pods` matches the resource only, `pods/*` it and its subresources (the API
 * server's matcher compares the part after `/` with the request's subresource, `*` matching any, even none), `*`
 * every resource and `*\/*` everything; the scope `Namespaced` matches objects in a namespace, `Cluster` the others.
 *
 * @example
 * matchWebhookRule({ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] }, POD_CREATE)
 * // true
 */
export function matchWebhookRule(rule: WebhookRule, request: AdmissionAttributes): boolean {
  const listed = (list: readonly string[] | undefined, value: string) =>
    (list ?? []).some((entry) => entry === "*" || entry === value);
  return (
    listed(rule.operations, request.operation) &&
    listed(rule.apiGroups, request.group) &&
    listed(rule.apiVersions, request.version) &&
    resourceListed(rule.resources ?? [], request) &&
    scopeMatches(rule.scope, request)
  );
}

function resourceListed(resources: readonly string[], request: AdmissionAttributes): boolean {
  return resources.some((entry) => {
    const slash = entry.indexOf("/");
    const resource = slash < 0 ? entry : entry.slice(0, slash);
    const subresource = slash < 0 ? "" : entry.slice(slash + 1);
    return (
      (resource === "*" || resource === request.resource) &&
      (subresource === "*" || subresource === request.subresource)
    );
  });
}

function scopeMatches(scope: string | undefined, request: AdmissionAttributes): boolean {
  if (scope === undefined || scope === "*") return true;
  if (scope === "Namespaced") return request.namespaced;
  if (scope === "Cluster") return !request.namespaced;
  return false;
}

/** A label selector read from untrusted JSON; `undefined` when absent (the API server's default, `{}`). */
export function readLabelSelector(value: JsonValue | undefined): LabelSelector | undefined {
  if (!isObject(value)) return undefined;
  const matchLabels: Record<string, string> = {};
  if (isObject(value["matchLabels"])) {
    for (const [key, entry] of Object.entries(value["matchLabels"])) matchLabels[key] = String(entry);
  }
  const expressions = Array.isArray(value["matchExpressions"]) ? value["matchExpressions"] : [];
  const matchExpressions: LabelSelectorRequirement[] = expressions.filter(isObject).map((e) => ({
    key: typeof e["key"] === "string" ? e["key"] : "",
    operator: typeof e["operator"] === "string" ? e["operator"] : "",
    values: Array.isArray(e["values"]) ? e["values"].map((v) => String(v)) : [],
  }));
  return { matchLabels, matchExpressions };
}

/** A webhook's rules read from untrusted JSON. */
export function readWebhookRules(value: JsonValue | undefined): WebhookRule[] {
  const strings = (v: JsonValue | undefined) =>
    Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : [];
  return (Array.isArray(value) ? value : []).filter(isObject).map((r) => ({
    operations: strings(r["operations"]),
    apiGroups: strings(r["apiGroups"]),
    apiVersions: strings(r["apiVersions"]),
    resources: strings(r["resources"]),
    ...(typeof r["scope"] === "string" ? { scope: r["scope"] } : {}),
  }));
}
