import type { JsonValue, PatchOperation } from "./types.js";
export function applyPatch(_doc: JsonValue, _patch: readonly PatchOperation[]): JsonValue { throw new Error("ERR_NOT_READY"); }
export function escapePointerSegment(_s: string): string { throw new Error("ERR_NOT_READY"); }
export function pointer(..._segments: (string | number)[]): string { throw new Error("ERR_NOT_READY"); }
