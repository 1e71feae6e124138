import type { JsonValue, PatchOperation } from "./types.js";
export function canonicalRemovals(_object: JsonValue): PatchOperation[] { throw new Error("ERR_NOT_READY"); }
