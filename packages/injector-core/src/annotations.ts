/** Annotation and label names (spec §2), shared by decision, overrides, injection and uninjection. */

export const INJECT_ANNOTATION = "linkerd.io/inject";
export const CREATED_BY_ANNOTATION = "linkerd.io/created-by";
export const PROXY_VERSION_ANNOTATION = "linkerd.io/proxy-version";
export const TRUST_ROOT_SHA_ANNOTATION = "linkerd.io/trust-root-sha256";
export const CONTROL_PLANE_NS_LABEL = "linkerd.io/control-plane-ns";
export const WORKLOAD_NS_LABEL = "linkerd.io/workload-ns";
export const CONTROL_PLANE_COMPONENT_LABEL = "linkerd.io/control-plane-component";

const C = "config.linkerd.io/";
export const A = {
  proxyImage: `${C}proxy-image`,
  proxyVersion: `${C}proxy-version`,
  imagePullPolicy: `${C}image-pull-policy`,
  controlPort: `${C}control-port`,
  inboundPort: `${C}inbound-port`,
  adminPort: `${C}admin-port`,
  outboundPort: `${C}outbound-port`,
  podInboundPorts: `${C}pod-inbound-ports`,
  cpuRequest: `${C}proxy-cpu-request`,
  cpuLimit: `${C}proxy-cpu-limit`,
  cpuRatioLimit: `${C}proxy-cpu-ratio-limit`,
  memoryRequest: `${C}proxy-memory-request`,
  memoryLimit: `${C}proxy-memory-limit`,
  ephemeralRequest: `${C}proxy-ephemeral-storage-request`,
  ephemeralLimit: `${C}proxy-ephemeral-storage-limit`,
  uid: `${C}proxy-uid`,
  gid: `${C}proxy-gid`,
  logLevel: `${C}proxy-log-level`,
  logFormat: `${C}proxy-log-format`,
  logHttpHeaders: `${C}proxy-log-http-headers`,
  adminShutdown: `${C}proxy-admin-shutdown`,
  externalProfiles: `${C}enable-external-profiles`,
  requireIdentity: `${C}proxy-require-identity-inbound-ports`,
  hostnameLabels: `${C}proxy-metrics-hostname-labels`,
  outboundConnectTimeout: `${C}proxy-outbound-connect-timeout`,
  inboundConnectTimeout: `${C}proxy-inbound-connect-timeout`,
  outboundDiscoveryTimeout: `${C}proxy-outbound-discovery-cache-unused-timeout`,
  inboundDiscoveryTimeout: `${C}proxy-inbound-discovery-cache-unused-timeout`,
  disableOutboundDetect: `${C}proxy-disable-outbound-protocol-detect-timeout`,
  disableInboundDetect: `${C}proxy-disable-inbound-protocol-detect-timeout`,
  shutdownGracePeriod: `${C}shutdown-grace-period`,
  await: `${C}proxy-await`,
  defaultInboundPolicy: `${C}default-inbound-policy`,
  accessLog: `${C}access-log`,
  skipInboundPorts: `${C}skip-inbound-ports`,
  skipOutboundPorts: `${C}skip-outbound-ports`,
  skipSubnets: `${C}skip-subnets`,
  opaquePorts: `${C}opaque-ports`,
  debugSidecar: `${C}enable-debug-sidecar`,
  debugImage: `${C}debug-image`,
  debugImageVersion: `${C}debug-image-version`,
  debugImagePullPolicy: `${C}debug-image-pull-policy`,
  closeWaitTimeout: `${C}close-wait-timeout`,
  enableGateway: `${C}enable-gateway`,
  nativeSidecar: `${C}proxy-enable-native-sidecar`,
  nativeSidecarBeta: "config.beta.linkerd.io/proxy-enable-native-sidecar",
  nativeSidecarAlpha: "config.alpha.linkerd.io/proxy-enable-native-sidecar",
  waitBeforeExit: "config.alpha.linkerd.io/proxy-wait-before-exit-seconds",
  additionalEnv: `${C}proxy-additional-env`,
} as const;

/**
 * Linkerd's `ProxyAnnotations`: inherited by pods from their Namespace in the webhook (spec §1.7) and exported as
 * metric labels (spec §6.6), in Linkerd's order.
 */
export const PROXY_ANNOTATIONS: readonly string[] = [
  A.adminPort,
  A.controlPort,
  A.debugSidecar,
  A.externalProfiles,
  A.imagePullPolicy,
  A.inboundPort,
  A.outboundPort,
  A.podInboundPorts,
  A.cpuLimit,
  A.cpuRequest,
  A.proxyImage,
  A.adminShutdown,
  A.logFormat,
  A.logLevel,
  A.logHttpHeaders,
  A.memoryLimit,
  A.memoryRequest,
  A.ephemeralLimit,
  A.ephemeralRequest,
  A.uid,
  A.gid,
  A.proxyVersion,
  A.requireIdentity,
  A.skipInboundPorts,
  A.opaquePorts,
  A.skipOutboundPorts,
  A.hostnameLabels,
  A.outboundConnectTimeout,
  A.inboundConnectTimeout,
  A.await,
  A.defaultInboundPolicy,
  A.skipSubnets,
  A.accessLog,
  A.shutdownGracePeriod,
  A.outboundDiscoveryTimeout,
  A.inboundDiscoveryTimeout,
  A.disableOutboundDetect,
  A.disableInboundDetect,
  A.nativeSidecar,
  A.additionalEnv,
];

/** Annotations a pod inherits from its Namespace in the webhook, when it does not carry them (spec §1.7). */
export const NAMESPACE_INHERITED: readonly string[] = [
  ...PROXY_ANNOTATIONS,
  A.waitBeforeExit,
  A.nativeSidecarAlpha,
  INJECT_ANNOTATION,
];

/** The values `config.linkerd.io/default-inbound-policy` (and `proxy.defaultInboundPolicy`) accept. */
export const DEFAULT_INBOUND_POLICIES: readonly string[] = [
  "all-unauthenticated",
  "all-authenticated",
  "cluster-unauthenticated",
  "cluster-authenticated",
  "deny",
  "audit",
];
