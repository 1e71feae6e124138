import { SETTINGS } from "./settings.js";
import type { JsonValue, Values } from "./types.js";
import { getValue } from "./values.js";

/**
 * The annotations that record, on each workload, the settings of `configured` that differ from `base` (the
 * cluster's values): what `linkerd inject` writes for its flags (spec §5.5). Which settings are recorded, and how,
 * is each registry entry's `record`.
 *
 * @example
 * const configured = setValue(base, "proxy.ports.admin", 1234);
 * overrideAnnotations(configured.values, base) // { "config.linkerd.io/admin-port": "1234" }
 */
export function overrideAnnotations(configured: Values, base: Values): Record<string, string> {
  const out: Record<string, string> = {};
  for (const setting of Object.values(SETTINGS)) {
    if (setting.record === undefined || setting.path === null) continue;
    const now = getValue(configured, setting.path) as JsonValue | undefined;
    if (now === undefined || now === null || sameValue(now, getValue(base, setting.path) as JsonValue | undefined))
      continue;
    const text = setting.record(now);
    if (text !== undefined) out[setting.annotation] = text;
  }
  return out;
}

function sameValue(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
