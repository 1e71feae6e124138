/**
 * A minimal RFC 6902 applier (add / replace / remove) so that the YAML splicer's tests state their expected
 * object independently of the code under test.
 */
import type { JsonValue, PatchOperation } from "@l5d-injector/injector-core";

export function applyJsonPatch(input: JsonValue, operations: readonly PatchOperation[]): JsonValue {
  let root = structuredClone(input);
  for (const operation of operations) {
    const path =
      operation.path === ""
        ? []
        : operation.path
            .slice(1)
            .split("/")
            .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
    if (path.length === 0) {
      if (operation.op === "remove") throw new Error("cannot remove the root");
      root = structuredClone(operation.value);
      continue;
    }
    let parent: JsonValue = root;
    for (const segment of path.slice(0, -1)) {
      parent = Array.isArray(parent)
        ? (parent[Number(segment)] as JsonValue)
        : ((parent as Record<string, JsonValue>)[segment] as JsonValue);
    }
    const last = path[path.length - 1] as string;
    if (Array.isArray(parent)) {
      const index = last === "-" ? parent.length : Number(last);
      if (operation.op === "add") parent.splice(index, 0, structuredClone(operation.value));
      else if (operation.op === "replace") parent[index] = structuredClone(operation.value);
      else parent.splice(index, 1);
    } else {
      const object = parent as Record<string, JsonValue>;
      if (operation.op === "remove") delete object[last];
      else object[last] = structuredClone(operation.value);
    }
  }
  return root;
}
