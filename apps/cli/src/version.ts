/**
 * `l5d-injector version`: this CLI's version and the Linkerd version it implements, then (unless `--client`) the
 * Linkerd version of the cluster, read as Linkerd reads it: the `linkerdVersion` of the `linkerd-config` values.
 */
import { LINKERD_VERSION } from "@l5d-injector/injector-core";
import type { CliMeta } from "./cli.js";
import { type CliIo, type ClusterFlags, clusterRequest } from "./io.js";

export interface VersionArgs extends ClusterFlags {
  client: boolean;
  /** Only the version numbers, one a line. */
  short: boolean;
}

export async function runVersion(args: VersionArgs, io: CliIo, meta: Pick<CliMeta, "version">): Promise<number> {
  io.stdout.write(
    args.short ? `${meta.version}\n` : `Client version: ${meta.version} (implements Linkerd ${LINKERD_VERSION})\n`,
  );
  if (args.client) return 0;
  const read = await io.readClusterValues(clusterRequest(args));
  const version = read.ok ? linkerdVersion(read.values) : undefined;
  // Linkerd prints "unavailable" when it cannot tell; the reason is worth a line on stderr.
  io.stdout.write(args.short ? `${version ?? "unavailable"}\n` : `Server version: ${version ?? "unavailable"}\n`);
  if (!read.ok) io.stderr.write(`${read.message}\n`);
  else if (version === undefined)
    io.stderr.write(`the linkerd-config values in namespace "${args.linkerdNamespace}" have no linkerdVersion\n`);
  return 0;
}

function linkerdVersion(values: unknown): string | undefined {
  if (typeof values !== "object" || values === null) return undefined;
  const version = (values as { linkerdVersion?: unknown }).linkerdVersion;
  return typeof version === "string" && version !== "" ? version : undefined;
}
