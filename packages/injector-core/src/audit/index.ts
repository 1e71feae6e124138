export { compareInjectedParts, hasProxy } from "./compare.js";
export type { ProxyDifference } from "./compare.js";
export { auditPod, describeDifference } from "./pod.js";
export type { AuditReason, AuditStatus, PodAudit, PodAuditOptions } from "./pod.js";
export { createAuditTally, needsRestart } from "./tally.js";
export type { AuditItem, AuditTally } from "./tally.js";
export { ownerNeedsLookup, resolveWorkload, singleOwner } from "./workload.js";
export type { OwnerRef, WorkloadRef } from "./workload.js";
