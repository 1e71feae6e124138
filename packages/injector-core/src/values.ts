import type { JsonValue, Values, ValuesResult } from "./types.js";
export const LINKERD_VERSION = "edge-26.8.3";
export const DEFAULT_VALUES: Values = {};
export function resolveValues(_layers: readonly unknown[]): ValuesResult { throw new Error("ERR_NOT_READY"); }
export function setValue(_values: Values, _path: string, _value: JsonValue): ValuesResult { throw new Error("ERR_NOT_READY"); }
export function getValue(_values: Values, _path: string): JsonValue | undefined { throw new Error("ERR_NOT_READY"); }
