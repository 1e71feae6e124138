/**
 * @l5d-injector/injector-core: Linkerd's proxy injection (edge-26.8.3) as pure functions of data.
 *
 * ```ts
 * import { resolveValues, injectObject } from "@l5d-injector/injector-core";
 * const values = resolveValues([{ identityTrustAnchorsPEM: pem }]);
 * if (values.ok) {
 *   const result = injectObject(deployment, { origin: "cli", mode: "full", values: values.values });
 *   if (result.ok) console.log(result.object, result.patch, result.reports);
 * }
 * ```
 */
export type * from "./types.js";
export { DEFAULT_VALUES, LINKERD_VERSION, resolveValues, setValue, getValue } from "./values.js";
export { overrideAnnotations } from "./overrides.js";
export { isValidProxyAnnotationValue } from "./config.js";
export { injectObject } from "./inject.js";
export { uninjectObject } from "./uninject.js";
export { REASON_MESSAGES, reasonSentences } from "./report.js";
export { DEFAULT_INBOUND_POLICIES, PROXY_ANNOTATIONS } from "./annotations.js";
export { applyPatch, escapePointerSegment, pointer } from "./patch.js";
export { canonicalRemovals } from "./canonical.js";
export { cpuCores, formatGoDuration, parseGoBool, parseGoDuration, parseQuantity } from "./parse.js";
