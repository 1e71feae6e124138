import type { Values } from "./types.js";
export function overrideAnnotations(_values: Values, _base: Values): Record<string, string> { throw new Error("ERR_NOT_READY"); }
