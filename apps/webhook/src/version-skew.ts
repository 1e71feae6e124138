/**
 * Which Linkerd the webhook implements and which one its configuration says. The values of ConfigMap `linkerd-config`
 * carry the installed control plane's `linkerdVersion`; this webhook renders proxies as Linkerd `implemented` does.
 * On another version it keeps serving (refusing would leave pods without a proxy under failurePolicy Ignore), but
 * says so: at start, on `/metrics` and in `--version`.
 */
export interface VersionSkew {
  /** The Linkerd version whose injection this webhook implements. */
  implemented: string;
  /** The configuration's `linkerdVersion`; the built-in one when no values are mounted. */
  configured: string;
  skew: boolean;
}

export function compareVersions(implemented: string, configured: string | null | undefined): VersionSkew {
  const effective =
    configured === undefined || configured === null || configured.trim() === "" ? implemented : configured.trim();
  return { implemented, configured: effective, skew: effective !== implemented };
}

/** The one log line about a skew, also the `--version` line's wording. */
export function describeSkew(versions: VersionSkew): string {
  return versions.skew
    ? `version skew: linkerd-config says Linkerd ${versions.configured}, this webhook implements ${versions.implemented}; injecting with the configured values as ${versions.implemented} would`
    : `linkerd-config says Linkerd ${versions.configured}, the version this webhook implements`;
}

export interface VersionText {
  webhookVersion: string;
  implemented: string;
  valuesPath: string;
  /** What reading the values gave: their `linkerdVersion`, none mounted, or why they could not be used. */
  configuration:
    | { kind: "configured"; linkerdVersion: string | null | undefined }
    | { kind: "not_mounted" }
    | { kind: "unreadable"; message: string };
}

/** `--version`: three lines, the last one naming a skew when there is one. */
export function formatVersion(text: VersionText): string {
  const lines = [`l5d-injector-webhook ${text.webhookVersion}`, `implements Linkerd ${text.implemented}`];
  const { configuration } = text;
  if (configuration.kind === "not_mounted") {
    lines.push(`configuration: ${text.valuesPath} not mounted: Linkerd's built-in values (${text.implemented})`);
  } else if (configuration.kind === "unreadable") {
    lines.push(`configuration: ${text.valuesPath}: ${configuration.message}`);
  } else {
    lines.push(
      `configuration: ${text.valuesPath}: ${describeSkew(compareVersions(text.implemented, configuration.linkerdVersion))}`,
    );
  }
  return `${lines.join("\n")}\n`;
}
