/**
 * @l5d-injector/injector-core: Linkerd's proxy injection (edge-26.8.3) as pure functions of data.
 *
 * ```ts
 * import { prepareConfiguration, reinjectManifest, resolveValues } from "@l5d-injector/injector-core";
 * const values = resolveValues([{ identityTrustAnchorsPEM: pem }]);
 * const prepared = values.ok ? prepareConfiguration(values.values) : undefined;
 * if (prepared?.ok) {
 *   const result = reinjectManifest(deployment, { configuration: prepared.configuration, mode: "full" });
 *   if (result.ok) console.log(result.object, result.patch, result.reports);
 * }
 * ```
 */
export type * from "./types.js";
export { checkValuePath, DEFAULT_VALUES, getValue, LINKERD_VERSION, resolveValues, setValue } from "./values.js";
export { prepareConfiguration } from "./configuration.js";
export type { Configuration, ConfigurationOptions, ConfigurationResult, Prepared } from "./configuration.js";
export { overrideAnnotations } from "./overrides.js";
export { isValidProxyAnnotationValue } from "./annotation-overrides.js";
export { injectAdmission } from "./admission.js";
export { injectManifest, reinjectManifest, uninjectManifest } from "./manifest.js";
export { REASON_MESSAGES, reasonSentences } from "./report.js";
export { formatIssue } from "./issues.js";
export { DEFAULT_INBOUND_POLICIES } from "./annotations.js";
export { PROXY_ANNOTATIONS, PROXY_FLAGS, SETTINGS } from "./settings.js";
export type {
  Flag,
  FlagInput,
  FlagOutcome,
  ParseContext,
  Parsed,
  Setting,
  SettingName,
  ValueChange,
} from "./settings.js";
export { applyPatch, escapePointerSegment, pointer } from "./patch.js";
export { canonicalRemovals } from "./canonical.js";
export { cpuCores, formatGoDuration, parseGoBool, parseGoDuration, parseQuantity } from "./parse.js";
export type { Networks } from "./parse.js";
export {
  auditPod,
  compareInjectedParts,
  createAuditTally,
  describeDifference,
  hasProxy,
  needsRestart,
  ownerNeedsLookup,
  resolveWorkload,
  singleOwner,
} from "./audit/index.js";
export type {
  AuditItem,
  AuditReason,
  AuditStatus,
  AuditTally,
  OwnerRef,
  PodAudit,
  PodAuditOptions,
  ProxyDifference,
  WorkloadRef,
} from "./audit/index.js";
export { explainWorkload } from "./explain/explain.js";
export { findHints } from "./explain/hints.js";
export { DEFAULT_INJECTOR_WEBHOOK_CONFIGURATION, isInjectorWebhook, judgeWebhooks } from "./explain/webhooks.js";
export type { WebhookVerdict } from "./explain/webhooks.js";
export type {
  ExplainCheck,
  ExplainContext,
  ExplainReason,
  ExplainStep,
  Explanation,
  Hint,
  HintCode,
  NamespaceFacts,
} from "./explain/types.js";
export {
  describeRequirement,
  matchLabelSelector,
  matchWebhookRule,
  POD_CREATE,
  readLabelSelector,
  readWebhookRules,
} from "./selectors.js";
export type {
  AdmissionAttributes,
  LabelSelector,
  LabelSelectorRequirement,
  SelectorMatch,
  WebhookRule,
} from "./selectors.js";
