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
