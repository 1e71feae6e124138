import type { JsonValue, TransformResult } from "./types.js";
export function uninjectObject(_input: JsonValue): TransformResult { throw new Error("ERR_NOT_READY"); }
