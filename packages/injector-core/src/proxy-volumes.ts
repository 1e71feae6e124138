/** The volumes the proxy's containers mount (spec §3.7). */
import type { RenderFacts } from "./render-values.js";
import type { JsonObject } from "./types.js";

export interface ProxyVolumes {
  /** iptables' lock, for linkerd-init; none in CNI mode. */
  readonly xtables: JsonObject | undefined;
  readonly endEntity: JsonObject;
  /** The pod's labels for the proxy's trace attributes, with tracing. */
  readonly podinfo: JsonObject | undefined;
  /** The projected token the proxy proves its identity with. */
  readonly token: JsonObject | undefined;
}

export function renderVolumes(f: RenderFacts): ProxyVolumes {
  return {
    xtables: f.cni ? undefined : { emptyDir: {}, name: "linkerd-proxy-init-xtables-lock" },
    endEntity: { emptyDir: { medium: "Memory" }, name: "linkerd-identity-end-entity" },
    podinfo: f.tracing
      ? {
          downwardAPI: { items: [{ fieldRef: { fieldPath: "metadata.labels" }, path: "labels" }] },
          name: "linkerd-podinfo",
        }
      : undefined,
    token: f.projection
      ? {
          name: "linkerd-identity-token",
          projected: {
            sources: [
              {
                serviceAccountToken: {
                  audience: "identity.l5d.io",
                  expirationSeconds: 86400,
                  path: "linkerd-identity-token",
                },
              },
            ],
          },
        }
      : undefined,
  };
}
