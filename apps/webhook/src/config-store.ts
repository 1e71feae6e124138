import { formatIssue, prepareConfiguration, resolveValues, type Values } from "@l5d-injector/injector-core";
import { parse as parseYaml } from "yaml";
import { createPatchEncoder } from "./patch-text.js";
import type { ConfigSnapshot } from "./review.js";

/** What the store reads from disk (or, in `--dev`, generates). */
export interface ConfigInputs {
  /** The `values` document of `linkerd-config` (YAML or JSON); absent: the built-in defaults. */
  valuesText?: string | undefined;
  /** Trust anchors PEM bundle; becomes `identityTrustAnchorsPEM` (untrimmed: its hash goes into an annotation). */
  trustRootsPem?: string | undefined;
}

export interface ClusterFacts {
  nativeSidecars: boolean;
  version?: string | undefined;
}

export type BuildResult =
  | { ok: true; snapshot: Extract<ConfigSnapshot, { ok: true }> }
  | { ok: false; message: string };

/**
 * Resolves the values the handler uses from the files' contents and what is known of the cluster, and prepares them
 * (once per reload, never per request). Pure, so that reloads can be validated before they replace the current
 * snapshot. `linkerdNamespace` is the control plane's (`--linkerd-namespace`).
 */
export function buildSnapshot(inputs: ConfigInputs, cluster: ClusterFacts, linkerdNamespace = "linkerd"): BuildResult {
  let document: unknown = {};
  if (inputs.valuesText !== undefined && inputs.valuesText.trim() !== "") {
    try {
      // Alias expansion is capped: the file comes from a ConfigMap anyone with edit rights can change.
      document = parseYaml(inputs.valuesText, { maxAliasCount: 100, uniqueKeys: true }) ?? {};
    } catch (error) {
      return {
        ok: false,
        message: `failed to parse values: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
  }
  const layers: unknown[] = [document];
  if (inputs.trustRootsPem !== undefined) layers.push({ identityTrustAnchorsPEM: inputs.trustRootsPem });
  // Before Kubernetes 1.29 an init container with restartPolicy: Always is not a sidecar: the pod would never
  // start. The classic layout works everywhere.
  if (!cluster.nativeSidecars) layers.push({ proxy: { nativeSidecar: false } });
  const resolved = resolveValues(layers);
  const prepared = resolved.ok ? prepareConfiguration(resolved.values, { linkerdNamespace }) : resolved;
  if (!prepared.ok) {
    return {
      ok: false,
      message: `invalid values: ${prepared.issues.map(formatIssue).join("; ")}`,
    };
  }
  return {
    ok: true,
    snapshot: {
      ok: true,
      configuration: prepared.configuration,
      nativeSidecars: cluster.nativeSidecars,
      ...(cluster.version !== undefined ? { clusterVersion: cluster.version } : {}),
      encodePatch: createPatchEncoder(),
    },
  };
}

/** True when `values` carry identity trust anchors; without them every injection fails to render. */
export function hasTrustAnchors(values: Values): boolean {
  const pem = values["identityTrustAnchorsPEM"];
  return typeof pem === "string" && pem.trim() !== "";
}

/**
 * Holds the current snapshot. A reload that fails keeps the previous snapshot (a half-written ConfigMap must not
 * break admission); only the very first load can leave the store without one.
 */
export class ConfigStore {
  #current: ConfigSnapshot;
  readonly #linkerdNamespace: string;

  constructor(initial: ConfigSnapshot, linkerdNamespace: string) {
    this.#current = initial;
    this.#linkerdNamespace = linkerdNamespace;
  }

  current = (): ConfigSnapshot => this.#current;

  /** Returns the problem when the new inputs are rejected (the old snapshot stays). */
  update(inputs: ConfigInputs, cluster: ClusterFacts): string | undefined {
    const built = buildSnapshot(inputs, cluster, this.#linkerdNamespace);
    if (!built.ok) {
      if (!this.#current.ok) this.#current = { ok: false, message: built.message };
      return built.message;
    }
    this.#current = built.snapshot;
    return undefined;
  }
}
