/**
 * The proxy flags of `linkerd inject` (spec §5.1), derived from the core's settings registry: each registry entry
 * declares its flags (name, type, help, how the value is checked and what it changes); `commands.ts` turns them into
 * command-line flags, and `configuration.ts` applies the ones given, in the registry's order.
 */
import { parseQuantity, PROXY_FLAGS } from "@l5d-injector/injector-core";
import type { Flag, JsonValue, ValuePath } from "@l5d-injector/injector-core";

export { PROXY_FLAGS };
export type { Flag };

/**
 * Checks that span several values (Linkerd's `validateProxyValues`): limits must not be below requests.
 * Returns the problems found.
 */
export function crossCheckResources(read: (path: ValuePath) => JsonValue | undefined): string[] {
  const problems: string[] = [];
  for (const resource of ["cpu", "memory"] as const) {
    const request = read(`proxy.resources.${resource}.request`);
    const limit = read(`proxy.resources.${resource}.limit`);
    if (typeof request !== "string" || typeof limit !== "string" || request === "" || limit === "") continue;
    const requested = parseQuantity(request);
    const limited = parseQuantity(limit);
    if (requested !== undefined && limited !== undefined && limited < requested) {
      problems.push(`the ${resource} limit '${limit}' cannot be lower than the ${resource} request '${request}'`);
    }
  }
  return problems;
}
