import { prepareConfiguration } from "../configuration.js";
import type { Configuration } from "../configuration.js";
import { resolveValues } from "../values.js";

/** A stand-in trust anchor: the injector copies and hashes it, it never parses it. */
export const TEST_TRUST_ANCHORS = "-----BEGIN CERTIFICATE-----\nTEST-TRUST-ANCHOR\n-----END CERTIFICATE-----\n";

/** Freezes a value deeply, so that any mutation by the code under test throws. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The defaults with the test trust anchor and `layer` over them, prepared. */
export function testConfiguration(layer: Record<string, unknown> = {}, linkerdNamespace?: string): Configuration {
  const resolved = resolveValues([{ identityTrustAnchorsPEM: TEST_TRUST_ANCHORS }, layer]);
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.issues));
  const prepared = prepareConfiguration(resolved.values, { linkerdNamespace });
  if (!prepared.ok) throw new Error(JSON.stringify(prepared.issues));
  return prepared.configuration;
}
