import { deepFreeze } from "./json.js";
import { parseNetworks, parsePortRange, type Networks } from "./parse.js";
import { prepareProxyTemplate, proxyParams, type ProxyTemplateResult } from "./proxy-spec.js";
import { sha256Hex } from "./sha256.js";
import type { Issue, JsonValue, Values } from "./types.js";
import { getValue, readBoolean, readString, resolveValues } from "./values.js";

/**
 * Linkerd values made ready for injection: checked once, and frozen with everything that depends only on them, so
 * that an injection only does what depends on the object. Prepare one per set of values (the webhook, on every
 * reload of `linkerd-config`; the CLI, once per run) and pass it to every injection.
 *
 * @example
 * const prepared = prepareConfiguration(values, { linkerdNamespace: "linkerd" });
 * if (prepared.ok) prepared.configuration.prepared.trustRootSha256; // "8dc603ab..."
 */
export interface Configuration {
  /** The values, merged over the defaults and checked. */
  readonly values: Readonly<Values>;
  /** The control plane's namespace (`-L/--linkerd-namespace`): the proxy's control-plane addresses and identities. */
  readonly linkerdNamespace: string;
  /** What the values decide, computed once. Its shape is internal and may change in any release. */
  readonly prepared: Prepared;
}

/** The facts a configuration computes once from its values. */
export interface Prepared {
  /** `linkerd.io/trust-root-sha256`: the hash of `identityTrustAnchorsPEM` exactly as configured (spec §2.1). */
  readonly trustRootSha256: string;
  readonly clusterNetworks: Networks;
  /** The proxy's environment variables for `proxy.inbound` / `proxy.outbound`. */
  readonly proxyParams: readonly JsonValue[];
  /** `proxy.opaquePorts` as ranges: the ports the webhook marks opaque on what it does not inject (spec §6.4). */
  readonly defaultOpaquePorts: readonly { lower: number; upper: number }[];
  /** `identity.serviceAccountTokenProjection` (spec §1.5). */
  readonly tokenProjection: boolean;
  /** `proxy.isIngress`: annotations-only injection writes `linkerd.io/inject: ingress` instead of `enabled`. */
  readonly ingress: boolean;
  /** The proxy's containers and volumes as these values render them, or why they cannot. */
  readonly proxy: ProxyTemplateResult;
}

export interface ConfigurationOptions {
  /** The control plane's namespace; default `linkerd`. */
  linkerdNamespace?: string | undefined;
}

export type ConfigurationResult = { ok: true; configuration: Configuration } | { ok: false; issues: Issue[] };

/**
 * Checks values and prepares them for injection: a deep-frozen {@link Configuration} holding the values and what
 * depends only on them (the trust anchors' hash, the parsed networks, the proxy's containers rendered from the
 * values). The values are copied, never frozen or changed in place. Values that do not have Linkerd's types are
 * issues. Values that Linkerd's templates refuse (no trust anchors, a bad `clusterNetworks`, ...) still give a
 * configuration: annotating for the webhook needs no proxy, and a workload's annotations may mend them; each full
 * injection that needs the proxy reports them as `render_failed`.
 *
 * @example
 * const values = resolveValues([{ identityTrustAnchorsPEM: pem }]);
 * if (!values.ok) throw new Error(values.issues.map(formatIssue).join("\n"));
 * const prepared = prepareConfiguration(values.values, { linkerdNamespace: "linkerd" });
 * if (prepared.ok) injectManifest(deployment, { configuration: prepared.configuration, mode: "full" });
 */
export function prepareConfiguration(
  values: Readonly<Values>,
  options: ConfigurationOptions = {},
): ConfigurationResult {
  // Merging over the defaults checks every known key's type; values that came from resolveValues come out equal.
  const checked = resolveValues([values]);
  if (!checked.ok) return checked;
  const own = checked.values;
  const linkerdNamespace = options.linkerdNamespace ?? "linkerd";
  const facts = {
    linkerdNamespace,
    clusterNetworks: parseNetworks(readString(own, "clusterNetworks")),
    proxyParams: proxyParams(own),
  };
  const prepared: Prepared = {
    trustRootSha256: sha256Hex(readString(own, "identityTrustAnchorsPEM")),
    clusterNetworks: facts.clusterNetworks,
    proxyParams: facts.proxyParams,
    defaultOpaquePorts: readString(own, "proxy.opaquePorts")
      .split(",")
      .map((t) => parsePortRange(t.trim()))
      .filter((r): r is { lower: number; upper: number } => r !== undefined),
    tokenProjection: getValue(own, "identity.serviceAccountTokenProjection") !== false,
    ingress: readBoolean(own, "proxy.isIngress"),
    proxy: prepareProxyTemplate(own, facts),
  };
  return { ok: true, configuration: deepFreeze({ values: own, linkerdNamespace, prepared }) };
}
