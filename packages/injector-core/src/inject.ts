import type { InjectOptions, JsonValue, TransformResult } from "./types.js";
export function injectObject(_input: JsonValue, _options: InjectOptions): TransformResult { throw new Error("ERR_NOT_READY"); }
