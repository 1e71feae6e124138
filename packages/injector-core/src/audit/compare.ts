import { PROXY_VERSION_ANNOTATION } from "../annotations.js";
import { isObject } from "../json.js";
import { pointer } from "../patch.js";
import { parseQuantity } from "../parse.js";
import type { JsonObject, JsonValue } from "../types.js";

/** What the injection adds to a pod spec, by list: the same names `uninject` takes out. */
const INJECTED: Readonly<Record<"initContainers" | "containers" | "volumes", ReadonlySet<string>>> = {
  initContainers: new Set(["linkerd-init", "linkerd-network-validator", "linkerd-proxy"]),
  containers: new Set(["linkerd-proxy", "linkerd-debug"]),
  volumes: new Set([
    "linkerd-identity-end-entity",
    "linkerd-proxy-init-xtables-lock",
    "linkerd-identity-token",
    "linkerd-podinfo",
  ]),
};
const PROXY = "linkerd-proxy";

/** The first way a pod's proxy differs from the one injection gives it now. */
export interface ProxyDifference {
  reason: "proxy_version_differs" | "proxy_spec_differs";
  /** RFC 6901 pointer into the live pod (into the expected pod for what only it has). */
  path: string;
  /** The live pod's value there; `undefined` when it has none. */
  live: JsonValue | undefined;
  /** The value injection gives it now; `undefined` when it gives none. */
  expected: JsonValue | undefined;
}

/**
 * Compares what the injection wrote into a live pod (as the API server returns it, defaults applied) with what the
 * injection gives the same pod now (`expected`: the pod uninjected and injected again). Only the containers and
 * volumes the injection adds, and the proxy version annotation, are compared; fields the API server fills with its
 * defaults, and empty fields, count only when the other side has another value. A different proxy version (the
 * image tag, or `linkerd.io/proxy-version`) is named first, as `proxy_version_differs`; any other difference is the
 * first one found, in spec order, as `proxy_spec_differs`. `undefined` when the two agree.
 *
 * @example
 * const d = compareInjectedParts(livePod, expectedPod);
 * d?.reason; // "proxy_version_differs"
 * d?.path;   // "/spec/containers/0/image"
 */
export function compareInjectedParts(live: JsonValue, expected: JsonValue): ProxyDifference | undefined {
  return versionDifference(live, expected) ?? specDifference(live, expected);
}

function versionDifference(live: JsonValue, expected: JsonValue): ProxyDifference | undefined {
  const liveProxy = findProxy(live);
  const expectedProxy = findProxy(expected);
  if (liveProxy !== undefined && expectedProxy !== undefined) {
    const liveImage = liveProxy.container["image"];
    const expectedImage = expectedProxy.container["image"];
    if (
      typeof liveImage === "string" &&
      typeof expectedImage === "string" &&
      imageTag(liveImage) !== imageTag(expectedImage)
    ) {
      return {
        reason: "proxy_version_differs",
        path: pointer("spec", liveProxy.list, liveProxy.index, "image"),
        live: liveImage,
        expected: expectedImage,
      };
    }
  }
  const liveVersion = annotation(live, PROXY_VERSION_ANNOTATION);
  const expectedVersion = annotation(expected, PROXY_VERSION_ANNOTATION);
  if (liveVersion !== undefined && expectedVersion !== undefined && liveVersion !== expectedVersion) {
    return {
      reason: "proxy_version_differs",
      path: pointer("metadata", "annotations", PROXY_VERSION_ANNOTATION),
      live: liveVersion,
      expected: expectedVersion,
    };
  }
  return undefined;
}

function specDifference(live: JsonValue, expected: JsonValue): ProxyDifference | undefined {
  const liveSpec = specOf(live);
  const expectedSpec = specOf(expected);
  for (const list of ["initContainers", "containers", "volumes"] as const) {
    const names = INJECTED[list];
    const liveItems = namedItems(liveSpec[list]);
    const expectedItems = namedItems(expectedSpec[list]);
    for (const [name, want] of expectedItems) {
      if (!names.has(name)) continue;
      const have = liveItems.get(name);
      if (have === undefined) {
        // Also a change of layout: a proxy that moves between containers and initContainers (native sidecar).
        return {
          reason: "proxy_spec_differs",
          path: pointer("spec", list, want.index),
          live: undefined,
          expected: want.item,
        };
      }
      const found = firstDifference(have.item, want.item, ["spec", list, have.index], "", list);
      if (found !== undefined) return found;
    }
    for (const [name, have] of liveItems) {
      if (names.has(name) && !expectedItems.has(name)) {
        return {
          reason: "proxy_spec_differs",
          path: pointer("spec", list, have.index),
          live: have.item,
          expected: undefined,
        };
      }
    }
  }
  return undefined;
}

/**
 * The first place where `live` and `expected` differ (`key` is the field they are the value of, `holder` the field
 * of the object that holds them). Objects: every key of either side, in `expected`'s order then
 * the live pod's; a key on one side only counts unless its value is empty or the API server's default there. Lists
 * are compared item by item: the injection's order is part of its output.
 */
function firstDifference(
  live: JsonValue | undefined,
  expected: JsonValue | undefined,
  at: readonly (string | number)[],
  key: string,
  holder: string,
): ProxyDifference | undefined {
  const differ = (): ProxyDifference => ({ reason: "proxy_spec_differs", path: pointer(...at), live, expected });
  if (isEmpty(live) && isEmpty(expected)) return undefined;
  if (Array.isArray(live) && Array.isArray(expected)) {
    const length = Math.max(live.length, expected.length);
    for (let i = 0; i < length; i += 1) {
      const found = firstDifference(live[i], expected[i], [...at, i], key, holder);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (isObject(live) && isObject(expected)) {
    const want = key === "resources" ? requestsDefaulted(expected) : expected;
    for (const child of [...Object.keys(want), ...Object.keys(live).filter((k) => !Object.hasOwn(want, k))]) {
      const inLive = Object.hasOwn(live, child);
      const inExpected = Object.hasOwn(want, child);
      if (inLive && inExpected) {
        const found = firstDifference(live[child], want[child], [...at, child], child, key);
        if (found !== undefined) return found;
      } else if (
        inExpected ? !isEmpty(want[child]) : !isEmpty(live[child]) && !isServerDefault(key, child, live[child])
      ) {
        return {
          reason: "proxy_spec_differs",
          path: pointer(...at, child),
          live: inLive ? live[child] : undefined,
          expected: inExpected ? want[child] : undefined,
        };
      }
    }
    return undefined;
  }
  if (live === expected) return undefined;
  if (live === undefined || expected === undefined) return differ();
  // Quantities come back from the API server in canonical form (`0.1` is stored as `100m`).
  if ((holder === "limits" || holder === "requests") && typeof live === "string" && typeof expected === "string") {
    const a = parseQuantity(live);
    if (a !== undefined && a === parseQuantity(expected)) return undefined;
  }
  return differ();
}

/** The API server defaults a container's resource requests to its limits (`SetDefaults_Container`). */
function requestsDefaulted(resources: JsonObject): JsonObject {
  const limits = resources["limits"];
  if (!isObject(limits)) return resources;
  const requests = isObject(resources["requests"]) ? resources["requests"] : {};
  return { ...resources, requests: { ...limits, ...requests } };
}

/**
 * Values the API server writes when a field is absent (pkg/apis/core/v1/defaults.go), keyed by field name, with the
 * parents they apply under when the name alone is ambiguous. They appear in a live pod, never in an injection.
 */
const SERVER_DEFAULTS: readonly { key: string; values: readonly JsonValue[]; under?: readonly string[] }[] = [
  { key: "terminationMessagePath", values: ["/dev/termination-log"] },
  { key: "terminationMessagePolicy", values: ["File"] },
  // IfNotPresent, or Always for `:latest` and untagged images.
  { key: "imagePullPolicy", values: ["IfNotPresent", "Always"] },
  { key: "protocol", values: ["TCP"] },
  { key: "apiVersion", values: ["v1"], under: ["fieldRef"] },
  { key: "timeoutSeconds", values: [1], under: ["livenessProbe", "readinessProbe", "startupProbe"] },
  { key: "periodSeconds", values: [10], under: ["livenessProbe", "readinessProbe", "startupProbe"] },
  { key: "successThreshold", values: [1], under: ["livenessProbe", "readinessProbe", "startupProbe"] },
  { key: "failureThreshold", values: [3], under: ["livenessProbe", "readinessProbe", "startupProbe"] },
  { key: "scheme", values: ["HTTP"], under: ["httpGet"] },
  { key: "defaultMode", values: [420] },
  { key: "expirationSeconds", values: [3600], under: ["serviceAccountToken"] },
];

function isServerDefault(parent: string, key: string, value: JsonValue | undefined): boolean {
  return SERVER_DEFAULTS.some(
    (d) =>
      d.key === key && d.values.includes(value as JsonValue) && (d.under === undefined || d.under.includes(parent)),
  );
}

/**
 * `null`, `""`, `[]` and `{}`: a patch may write `resources: null`, stored as `{}`; Go's `omitempty` leaves empties
 * out (an env var's `value: ""` comes back without `value`).
 */
function isEmpty(value: JsonValue | undefined): boolean {
  if (value === undefined || value === null || value === "") return true;
  if (Array.isArray(value)) return value.length === 0;
  return isObject(value) && Object.keys(value).length === 0;
}

function specOf(pod: JsonValue): JsonObject {
  const spec = isObject(pod) ? pod["spec"] : undefined;
  return isObject(spec) ? spec : {};
}

function namedItems(list: JsonValue | undefined): Map<string, { item: JsonObject; index: number }> {
  const out = new Map<string, { item: JsonObject; index: number }>();
  if (!Array.isArray(list)) return out;
  list.forEach((item, index) => {
    if (isObject(item) && typeof item["name"] === "string" && !out.has(item["name"]))
      out.set(item["name"], { item, index });
  });
  return out;
}

/** The proxy container, a native sidecar first. */
function findProxy(pod: JsonValue): { container: JsonObject; list: string; index: number } | undefined {
  const spec = specOf(pod);
  for (const list of ["initContainers", "containers"]) {
    const found = namedItems(spec[list]).get(PROXY);
    if (found !== undefined) return { container: found.item, list, index: found.index };
  }
  return undefined;
}

/** Whether a pod has Linkerd's proxy, in either layout. */
export function hasProxy(pod: JsonValue): boolean {
  return findProxy(pod) !== undefined;
}

/** The tag of an image reference (`cr.l5d.io/linkerd/proxy:edge-26.8.3` → `edge-26.8.3`); `""` when it has none. */
function imageTag(image: string): string {
  const name = image.split("@", 1)[0] as string;
  const colon = name.lastIndexOf(":");
  return colon > name.lastIndexOf("/") ? name.slice(colon + 1) : "";
}

function annotation(pod: JsonValue, key: string): string | undefined {
  const meta = isObject(pod) ? pod["metadata"] : undefined;
  const annotations = isObject(meta) ? meta["annotations"] : undefined;
  const value = isObject(annotations) ? annotations[key] : undefined;
  return typeof value === "string" ? value : undefined;
}
