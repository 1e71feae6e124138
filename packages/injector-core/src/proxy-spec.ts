/**
 * The containers and volumes Linkerd's patch template adds to a pod (spec §3), in two steps: what the values decide
 * is rendered once into a template (once per configuration, or once per pod whose annotations override settings),
 * and each pod then only adds what comes from it (its ports, the app's capabilities and token mount, tracing
 * attributes).
 */
import { completeInitContainer, renderInitContainer, type InitTemplate } from "./init-container.js";
import type { Networks } from "./parse.js";
import type { PodFacts } from "./pod-facts.js";
import {
  completeProxyContainer,
  renderDebugContainer,
  renderProxyContainer,
  type ProxyContainerTemplate,
} from "./proxy-container.js";
import { completeEnv, renderEnv, renderProxyParams, type EnvTemplate } from "./proxy-env.js";
import { renderVolumes, type ProxyVolumes } from "./proxy-volumes.js";
import { readRenderFacts, RenderError, ValueReader } from "./render-values.js";
import type { Issue, JsonObject, JsonValue, Values } from "./types.js";

/** The proxy spec as far as the values decide it. */
export interface ProxyTemplate {
  readonly nativeSidecar: boolean;
  readonly await: boolean;
  /** `linkerd.io/proxy-version`. */
  readonly proxyVersion: string;
  readonly init: InitTemplate;
  readonly proxy: ProxyContainerTemplate;
  readonly env: EnvTemplate;
  readonly debug: JsonObject;
  readonly volumes: ProxyVolumes;
}

/** A template, or the failures Linkerd's templates raise for these values (`render_failed`). */
export type ProxyTemplateResult = { ok: true; template: ProxyTemplate } | { ok: false; issues: Issue[] };

/** What the template takes besides the values: facts no annotation changes, prepared with the configuration. */
export interface TemplateFacts {
  linkerdNamespace: string;
  /** `clusterNetworks`, parsed. */
  clusterNetworks: Networks;
  /** The environment variables of `proxy.inbound` / `proxy.outbound` (`renderProxyParams`). */
  proxyParams: readonly JsonValue[];
}

/** The containers and volumes for one pod. */
export interface ProxySpec {
  nativeSidecar: boolean;
  await: boolean;
  /** `linkerd-init`, or `linkerd-network-validator` in CNI mode. */
  init: JsonObject;
  proxy: JsonObject;
  debug: JsonObject | undefined;
  volumes: ProxyVolumes;
  proxyVersion: string;
}

/** Renders what the values decide; the failures Linkerd's templates raise come back as issues. */
export function prepareProxyTemplate(values: Values, facts: TemplateFacts): ProxyTemplateResult {
  try {
    return { ok: true, template: renderTemplate(values, facts) };
  } catch (e) {
    if (e instanceof RenderError)
      return { ok: false, issues: [{ code: "render_failed", path: e.path, message: e.message }] };
    throw e;
  }
}

/** The variables of `proxy.inbound` / `proxy.outbound` these values give, for {@link TemplateFacts}. */
export function proxyParams(values: Values): readonly JsonValue[] {
  return renderProxyParams(new ValueReader(values));
}

/** The template with another `proxy.opaquePorts`: the one value it depends on that a pod commonly sets. */
export function withOpaquePorts(t: ProxyTemplate, opaquePorts: string): ProxyTemplate {
  return opaquePorts === t.env.opaquePorts ? t : { ...t, env: { ...t.env, opaquePorts } };
}

/** Completes a template with what comes from the pod. */
export function completeProxySpec(t: ProxyTemplate, pod: PodFacts): ProxySpec {
  return {
    nativeSidecar: t.nativeSidecar,
    await: t.await,
    init: completeInitContainer(t.init, pod),
    proxy: completeProxyContainer(t.proxy, completeEnv(t.env, pod), pod),
    debug: pod.debugSidecar ? t.debug : undefined,
    volumes: t.volumes,
    proxyVersion: t.proxyVersion,
  };
}

// The checks run in the order Linkerd's templates fail in: networks, trust anchors, init container, environment.
function renderTemplate(values: Values, facts: TemplateFacts): ProxyTemplate {
  const V = new ValueReader(values);
  const f = readRenderFacts(V, facts.linkerdNamespace);
  if (!facts.clusterNetworks.ok) {
    throw new RenderError(
      `cannot parse destination get networks: invalid CIDR address: ${facts.clusterNetworks.invalid}`,
    );
  }
  if (f.trustAnchors.trim() === "")
    throw new RenderError("Please provide the identity trust anchors", ["identityTrustAnchorsPEM"]);
  const init = renderInitContainer(V, f);
  const env = renderEnv(V, f, facts.proxyParams);
  return {
    nativeSidecar: f.nativeSidecar,
    await: f.await,
    proxyVersion: f.version,
    init,
    proxy: renderProxyContainer(V, f),
    env,
    debug: renderDebugContainer(V),
    volumes: renderVolumes(f),
  };
}
