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
export { checkValuePath, DEFAULT_VALUES, getValue, LINKERD_VERSION, resolveValues, setValue } from "./values.js";
export { overrideAnnotations } from "./overrides.js";
export { isValidProxyAnnotationValue } from "./config.js";
export { injectObject } from "./inject.js";
export { uninjectObject } from "./uninject.js";
export { REASON_MESSAGES, reasonSentences } from "./report.js";
export { formatIssue } from "./issues.js";
export { DEFAULT_INBOUND_POLICIES } from "./annotations.js";
export { PROXY_ANNOTATIONS, PROXY_FLAGS, SETTINGS } from "./settings.js";
export type { Flag, FlagInput, FlagOutcome, ParseContext, Parsed, Setting, SettingName, ValueChange } from "./settings.js";
export { applyPatch, escapePointerSegment, pointer } from "./patch.js";
export { canonicalRemovals } from "./canonical.js";
export { cpuCores, formatGoDuration, parseGoBool, parseGoDuration, parseQuantity } from "./parse.js";
