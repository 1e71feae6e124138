import type { PatchOperation } from "@l5d-injector/injector-core";

/** A JSON patch as JSON text: exactly what `JSON.stringify(patch)` gives. */
export type PatchEncoder = (patch: readonly PatchOperation[]) => string;

/**
 * An encoder that writes the text of each deep-frozen value once: most of an injection's patch (the proxy's
 * environment, probes, resources and volumes) is the prepared configuration's own frozen objects, shared by every
 * pod, and only what comes from the pod is new. One encoder per prepared configuration (config-store.ts makes it with
 * the snapshot), so that its texts go with the configuration's objects; a WeakMap, so that it holds none of them.
 *
 * Why not JSON.stringify: the patch is about 8 kB of JSON per pod, and stringifying it was a tenth of a review.
 */
export function createPatchEncoder(): PatchEncoder {
  // A frozen object's text, or null when something under it is not frozen (its text could change).
  const texts = new WeakMap<object, string | null>();
  const quotedKeys = new Map<string, string>();

  const key = (name: string): string => {
    let quoted = quotedKeys.get(name);
    if (quoted === undefined) {
      quoted = `${JSON.stringify(name)}:`;
      // Bounded: keys come from pods too, and a pod can have any number of them.
      if (quotedKeys.size < 4096) quotedKeys.set(name, quoted);
    }
    return quoted;
  };

  const deepFrozen = (value: object): boolean => {
    const known = texts.get(value);
    if (known !== undefined) return known !== null;
    if (!Object.isFrozen(value)) return false;
    for (const child of Object.values(value)) {
      if (typeof child === "object" && child !== null && !deepFrozen(child)) {
        texts.set(value, null);
        return false;
      }
    }
    return true;
  };

  const encode = (value: unknown): string => {
    if (typeof value !== "object" || value === null) return JSON.stringify(value) ?? "null";
    if (Object.isFrozen(value)) {
      const known = texts.get(value);
      if (typeof known === "string") return known;
      if (known === undefined && deepFrozen(value)) {
        const text = JSON.stringify(value);
        texts.set(value, text);
        return text;
      }
    }
    if (Array.isArray(value)) {
      let text = "[";
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (i > 0) text += ",";
        text += item === undefined || typeof item === "function" || typeof item === "symbol" ? "null" : encode(item);
      }
      return `${text}]`;
    }
    const prototype: unknown = Object.getPrototypeOf(value);
    // Anything but plain data (a class instance, an object with toJSON) is JSON.stringify's to write.
    if (
      (prototype !== Object.prototype && prototype !== null) ||
      typeof (value as { toJSON?: unknown }).toJSON === "function"
    ) {
      return JSON.stringify(value);
    }
    let text = "{";
    let first = true;
    const record = value as Record<string, unknown>;
    for (const name of Object.keys(record)) {
      const item = record[name];
      if (item === undefined || typeof item === "function" || typeof item === "symbol") continue;
      text += first ? key(name) : `,${key(name)}`;
      text += encode(item);
      first = false;
    }
    return `${text}}`;
  };

  return (patch) => {
    let text = "[";
    for (let i = 0; i < patch.length; i++) text += i > 0 ? `,${encode(patch[i])}` : encode(patch[i]);
    return `${text}]`;
  };
}
