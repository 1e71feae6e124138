import type { ReasonCode } from "./types.js";
export const REASON_MESSAGES: Record<ReasonCode, string> = {} as Record<ReasonCode, string>;
export function reasonSentences(_reasons: readonly ReasonCode[]): string { throw new Error("ERR_NOT_READY"); }
