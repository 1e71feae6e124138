import type { Container, Pod } from "./kube-types.js";
import type { ServerVersion } from "./context.js";

export const PROXY = "linkerd-proxy";
export const INIT = "linkerd-init";

export type Layout = "classic" | "native" | "none" | "unexpected";

/**
 * Where the injector put the proxy (spec §3.1): `native` = linkerd-init and linkerd-proxy at initContainers[0..1],
 * the proxy with `restartPolicy: Always`; `classic` = the proxy first in `containers` and linkerd-init last among
 * the init containers; `none` = not injected.
 */
export function layoutOf(pod: Pod): Layout {
  const init = pod.spec.initContainers ?? [];
  const containers = pod.spec.containers;
  const inInit = init.findIndex((c) => c.name === PROXY);
  const inMain = containers.findIndex((c) => c.name === PROXY);
  if (inInit === -1 && inMain === -1) return "none";
  if (inInit === 1 && init[0]?.name === INIT && init[1]?.restartPolicy === "Always" && inMain === -1) return "native";
  if (inMain === 0 && inInit === -1 && init.at(-1)?.name === INIT) return "classic";
  return "unexpected";
}

/** Native sidecars are on by default from Kubernetes 1.29; the webhook picks the layout from the server version. */
export function expectedLayout(server: ServerVersion): "classic" | "native" {
  return server.major > 1 || server.minor >= 29 ? "native" : "classic";
}

export function proxyContainer(pod: Pod): Container | undefined {
  return [...(pod.spec.initContainers ?? []), ...pod.spec.containers].find((c) => c.name === PROXY);
}

// The owner labels of spec §2.1 (`proxy-cronjob` only ever comes from the CLI on a CronJob).
const OWNER_LABEL =
  /^linkerd\.io\/proxy-(deployment|replicationcontroller|replicaset|job|daemonset|statefulset|cronjob)$/;

/** The pod's `linkerd.io/proxy-<kind>` labels (at most one is expected). */
export function ownerLabels(pod: Pod): Record<string, string> {
  return Object.fromEntries(Object.entries(pod.metadata.labels ?? {}).filter(([key]) => OWNER_LABEL.test(key)));
}

/** Every `linkerd.io/*` label and annotation key: none may appear on a pod the injector skipped. */
export function linkerdMetadataKeys(pod: Pod): string[] {
  return [...Object.keys(pod.metadata.labels ?? {}), ...Object.keys(pod.metadata.annotations ?? {})].filter((key) =>
    key.startsWith("linkerd.io/"),
  );
}
