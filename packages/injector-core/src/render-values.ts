import { isObject } from "./json.js";
import { goUpper, snakeCase } from "./snake-case.js";
import type { JsonObject, JsonValue, PathTo, ValuePath, Values } from "./types.js";
import { getValue, readBoolean, readNumber, readString, readText } from "./values.js";

/**
 * A failure Linkerd's templates raise with `fail` (or Helm on a value it cannot render). It never leaves the proxy
 * spec's rendering: `prepareProxyTemplate` turns it into a `render_failed` issue.
 */
export class RenderError extends Error {
  readonly code = "ERR_RENDER";
  constructor(
    message: string,
    readonly path: (string | number)[] = [],
  ) {
    super(message);
  }
}

/**
 * Typed reads of effective values; missing or mistyped settings read as Go's zero values, as in Helm. Each reader
 * takes only the paths of its type, so a mistyped path does not compile.
 */
export class ValueReader {
  constructor(private readonly values: Values) {}
  str(path: PathTo<string>): string {
    return readString(this.values, path);
  }
  /** A string setting that users may also give as a number (`ignoreOutboundPorts: 5432`). */
  text(path: PathTo<string>): string {
    return readText(this.values, path);
  }
  num(path: PathTo<number>): number {
    return readNumber(this.values, path);
  }
  bool(path: PathTo<boolean>): boolean {
    return readBoolean(this.values, path);
  }
  /** A map setting (a struct or a free-form map), when it is one. */
  map(path: ValuePath): JsonObject | undefined {
    const v = getValue(this.values, path) as JsonValue | undefined;
    return isObject(v) ? v : undefined;
  }
  /** Any setting, untyped (a list, or an optional number that may come as text). */
  raw(path: ValuePath): JsonValue | undefined {
    return getValue(this.values, path) as JsonValue | undefined;
  }
}

/** Numbers are printed in full (Helm's float64 rendering would print `1e+06`; spec §8 item 14). */
export function scalar(value: JsonValue): string {
  if (typeof value === "string") return value;
  if (typeof value === "number") return Number.isInteger(value) ? value.toFixed(0) : String(value);
  if (typeof value === "boolean") return String(value);
  return value === null ? "" : JSON.stringify(value);
}

/** A key of `proxy.inbound` / `proxy.outbound` as the template names it: `snakecase | upper` (spec §3.5). */
export function envCase(part: string): string {
  return goUpper(snakeCase(part));
}

/** What several parts of the proxy spec read, read once from the values. */
export interface RenderFacts {
  /** The control plane's namespace. */
  ns: string;
  clusterDomain: string;
  trustDomain: string;
  disableIPv6: boolean;
  cni: boolean;
  nativeSidecar: boolean;
  await: boolean;
  projection: boolean;
  tracing: boolean;
  /** The proxy's version: the image tag and `linkerd.io/proxy-version`. */
  version: string;
  image: string;
  pullPolicy: string;
  ports: { admin: number; control: number; inbound: number; outbound: number };
  uid: number;
  gid: number;
  /** The PEM as configured (it is trimmed where it is written, hashed as it is). */
  trustAnchors: string;
  /** Resources of the proxy and its init container (spec §3.10); `null` when nothing is configured. */
  resources: JsonValue;
}

export function readRenderFacts(V: ValueReader, linkerdNamespace: string): RenderFacts {
  const clusterDomain = V.str("clusterDomain") || "cluster.local";
  const version = V.str("proxy.image.version") || V.str("linkerdVersion");
  return {
    ns: linkerdNamespace,
    clusterDomain,
    trustDomain: V.str("identityTrustDomain") || clusterDomain,
    disableIPv6: V.bool("disableIPv6"),
    cni: V.bool("cniEnabled"),
    nativeSidecar: V.bool("proxy.nativeSidecar"),
    await: V.bool("proxy.await"),
    projection: V.raw("identity.serviceAccountTokenProjection") !== false,
    tracing: V.bool("proxy.tracing.enabled"),
    version,
    image: `${V.str("proxy.image.name")}:${version}`,
    pullPolicy: V.str("proxy.image.pullPolicy") || V.str("imagePullPolicy"),
    ports: {
      admin: V.num("proxy.ports.admin"),
      control: V.num("proxy.ports.control"),
      inbound: V.num("proxy.ports.inbound"),
      outbound: V.num("proxy.ports.outbound"),
    },
    uid: V.num("proxy.uid"),
    gid: V.num("proxy.gid"),
    trustAnchors: V.str("identityTrustAnchorsPEM"),
    resources: renderResources(V),
  };
}

function renderResources(V: ValueReader): JsonValue {
  const res = V.map("proxy.resources");
  if (!res) return null;
  const requests: JsonObject = {};
  const limits: JsonObject = {};
  for (const kind of ["cpu", "memory", "ephemeral-storage"]) {
    const r = res[kind];
    if (!isObject(r)) continue;
    if (r["request"] !== undefined && r["request"] !== null && r["request"] !== "")
      requests[kind] = scalar(r["request"]);
    if (r["limit"] !== undefined && r["limit"] !== null && r["limit"] !== "") limits[kind] = scalar(r["limit"]);
  }
  const out: JsonObject = {};
  if (Object.keys(limits).length > 0) out["limits"] = limits;
  if (Object.keys(requests).length > 0) out["requests"] = requests;
  return Object.keys(out).length > 0 ? out : null;
}
