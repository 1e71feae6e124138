/**
 * Annotation and label names (spec §2) that are not settings, shared by decision, injection and uninjection. The
 * annotations that override settings are in the settings registry (settings.ts).
 */

export const INJECT_ANNOTATION = "linkerd.io/inject";
export const CREATED_BY_ANNOTATION = "linkerd.io/created-by";
export const PROXY_VERSION_ANNOTATION = "linkerd.io/proxy-version";
export const TRUST_ROOT_SHA_ANNOTATION = "linkerd.io/trust-root-sha256";
export const CONTROL_PLANE_NS_LABEL = "linkerd.io/control-plane-ns";
export const WORKLOAD_NS_LABEL = "linkerd.io/workload-ns";
export const CONTROL_PLANE_COMPONENT_LABEL = "linkerd.io/control-plane-component";

/** The values `config.linkerd.io/default-inbound-policy` (and `proxy.defaultInboundPolicy`) accept. */
export const DEFAULT_INBOUND_POLICIES: readonly string[] = [
  "all-unauthenticated",
  "all-authenticated",
  "cluster-unauthenticated",
  "cluster-authenticated",
  "deny",
  "audit",
];
