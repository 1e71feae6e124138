/**
 * The command line: finds the command, parses its flags as `linkerd` does (`flags.ts`), and loads each command's
 * handler only when it runs. Handlers take a `CliIo` and return an exit code; nothing here exits the process.
 */
import { parseGoBool, parseGoDuration } from "@l5d-injector/injector-core";
import { commands, flagsOf, PROGRAM, PROXY_FLAG_DEFS, type CommandDef } from "./commands.js";
import type { FlagValue as CliFlagValue } from "./configuration.js";
import { parseFlags, type FlagDef, type FlagValue, type ParsedLine } from "./flags.js";
import { renderHelp } from "./help.js";
import type { CliIo } from "./io.js";
import { closest } from "./suggest.js";

export interface CliMeta {
  /** The tool's version, for `version` and `linkerd.io/created-by`. */
  version: string;
  /** Default of `-L/--linkerd-namespace`: `$LINKERD_NAMESPACE`, else `linkerd`. */
  linkerdNamespace: string;
  /** `$LINKERD_DOCKER_REGISTRY`: the registry when `--registry` is not given, as Linkerd reads it. */
  dockerRegistry?: string | undefined;
}

/** Runs the command line `argv` (without the node and script paths) and resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo, meta: CliMeta): Promise<number> {
  const { root, all } = commands(meta.linkerdNamespace);
  const located = locateCommand(argv, root, all);
  if (!located.ok) return usageError(io, located.message, undefined);
  const { command, args } = located;
  const parsed = parseFlags(args, flagsOf(command));
  if (!parsed.ok) return usageError(io, parsed.message, command);
  const line = parsed.line;
  for (const notice of line.notices) io.stderr.write(`${notice}\n`);
  const flag = reader(line);

  if (flag.bool("help")) {
    io.stdout.write(renderHelp(command, all));
    return 0;
  }
  const namespace = flag.string("linkerd-namespace") ?? meta.linkerdNamespace;
  // Linkerd's check (root.go): anything else would only fail later, at the API server.
  if (!/^[a-zA-Z0-9-]+$/.test(namespace)) return usageError(io, `${namespace} is not a valid namespace`, command);
  const cluster = {
    linkerdNamespace: namespace,
    kubeconfig: flag.string("kubeconfig"),
    context: flag.string("context"),
    impersonate: flag.string("as"),
    impersonateGroups: flag.strings("as-group"),
  };

  switch (command.name) {
    case "": {
      if (flag.bool("version")) {
        const { runVersion } = await import("./version.js");
        return runVersion({ client: true, short: false, ...cluster }, io, meta);
      }
      if (line.positionals.length > 0)
        return usageError(io, `unknown command "${line.positionals[0]}" for "${PROGRAM}"`, undefined);
      io.stdout.write(renderHelp(root, all));
      return 0;
    }
    case "help": {
      const [name] = line.positionals;
      const target = name === undefined ? root : all.find((c) => c.name === name);
      if (target === undefined) return usageError(io, unknownCommand(name as string, all), undefined);
      io.stdout.write(renderHelp(target, all));
      return 0;
    }
    case "version": {
      const extra = tooManyPositionals(line, 0);
      if (extra !== undefined) return usageError(io, extra, command);
      const { runVersion } = await import("./version.js");
      return runVersion({ client: flag.bool("client"), short: flag.bool("short"), ...cluster }, io, meta);
    }
    case "completion": {
      const shell = line.positionals[0] ?? "bash";
      const { completionScript, SHELLS } = await import("./completion.js");
      if (!(SHELLS as readonly string[]).includes(shell) || line.positionals.length > 1) {
        return usageError(io, `unsupported shell "${line.positionals.join(" ")}": use ${SHELLS.join(", ")}`, command);
      }
      io.stdout.write(completionScript(shell as (typeof SHELLS)[number], meta.linkerdNamespace));
      return 0;
    }
    case "explain": {
      const extra = tooManyPositionals(line, 1);
      if (extra !== undefined) return usageError(io, extra, command);
      const { runExplain } = await import("./explain.js");
      return runExplain(
        {
          target: line.positionals[0],
          namespace: flag.string("namespace"),
          namespaceAnnotations: flag.strings("namespace-annotations"),
          namespaceLabels: flag.strings("namespace-labels"),
          output: flag.string("output") ?? "text",
          valuesFiles: flag.strings("values"),
          sets: flag.strings("set"),
          ignoreCluster: flag.bool("ignore-cluster"),
          verbose: flag.bool("verbose"),
          ...cluster,
        },
        io,
      );
    }
    case "audit": {
      const extra = tooManyPositionals(line, 0);
      if (extra !== undefined) return usageError(io, extra, command);
      const pauseText = flag.string("pause") ?? "5s";
      const pause = parseGoDuration(pauseText);
      if (pause === undefined || pause < 0)
        return usageError(io, `invalid --pause "${pauseText}": use a duration such as 5s or 1m`, command);
      if (flag.bool("dry-run") && !flag.bool("restart"))
        return usageError(io, "--dry-run goes with --restart", command);
      const { favourMemory, runAudit } = await import("./audit.js");
      return runAudit(
        {
          ...cluster,
          namespace: flag.string("namespace") ?? "default",
          allNamespaces: flag.bool("all-namespaces"),
          output: flag.string("output") === "json" ? "json" : "table",
          verbose: flag.bool("verbose"),
          restart: flag.bool("restart"),
          dryRun: flag.bool("dry-run"),
          pauseMs: pause / 1e6,
        },
        io,
        { now: () => new Date(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)), favourMemory },
      );
    }
    case "uninject": {
      const extra = tooManyPositionals(line, 1);
      if (extra !== undefined) return usageError(io, extra, command);
      const { runUninject } = await import("./uninject.js");
      return runUninject(
        {
          input: line.positionals[0],
          output: flag.string("output") ?? "yaml",
          diff: flag.bool("diff"),
          verbose: flag.bool("verbose"),
        },
        io,
      );
    }
    default: {
      const extra = tooManyPositionals(line, 1);
      if (extra !== undefined) return usageError(io, extra, command);
      const proxyFlags: Record<string, CliFlagValue | undefined> = {};
      for (const def of PROXY_FLAG_DEFS) proxyFlags[def.name] = flag.value(def);
      // Linkerd sets --registry from $LINKERD_DOCKER_REGISTRY as if it were given; the flag still wins.
      if (proxyFlags["registry"] === undefined && meta.dockerRegistry) proxyFlags["registry"] = meta.dockerRegistry;
      const { runInject } = await import("./inject.js");
      return runInject(
        {
          input: line.positionals[0],
          output: flag.string("output") ?? "yaml",
          diff: flag.bool("diff"),
          verbose: flag.bool("verbose"),
          manual: flag.bool("manual"),
          valuesFiles: flag.strings("values"),
          sets: flag.strings("set"),
          ignoreCluster: flag.bool("ignore-cluster"),
          ...cluster,
          disableIdentity: line.values.has("disable-identity") ? flag.bool("disable-identity") : undefined,
          proxyFlags,
        },
        io,
        { createdBy: `l5d-injector/cli ${meta.version}` },
      );
    }
  }
}

type Located = { ok: true; command: CommandDef; args: string[] } | { ok: false; message: string };

/**
 * The command is the first positional word; flags may come before it (Cobra finds a command the same way). Which
 * flags take a value is known from every command's flags, so that `-L linkerd inject` skips `linkerd`.
 */
function locateCommand(argv: readonly string[], root: CommandDef, all: readonly CommandDef[]): Located {
  const known = [...flagsOf(root), ...all.flatMap(flagsOf)];
  const takesValue = (flag: FlagDef | undefined) => flag !== undefined && flag.kind !== "bool";
  const long = new Map(known.map((flag) => [flag.name, flag]));
  const short = new Map(known.filter((flag) => flag.short !== undefined).map((flag) => [flag.short as string, flag]));
  for (let i = 0; i < argv.length; i += 1) {
    const word = argv[i] as string;
    if (word === "--") break;
    if (word.length < 2 || !word.startsWith("-")) {
      const command = all.find((c) => c.name === word);
      if (command === undefined) return { ok: false, message: unknownCommand(word, all) };
      return { ok: true, command, args: [...argv.slice(0, i), ...argv.slice(i + 1)] };
    }
    if (word.includes("=")) continue;
    const name = word.replace(/^--?/, "");
    if (word.startsWith("--") || (name.length > 1 && long.has(name))) {
      if (takesValue(long.get(name))) i += 1;
    } else if (
      takesValue(short.get(name.slice(-1))) &&
      [...name].slice(0, -1).every((letter) => short.get(letter)?.kind === "bool")
    ) {
      // `-L linkerd`, `-vL linkerd`: the value follows when the last shorthand of the cluster takes one.
      i += 1;
    }
  }
  return { ok: true, command: root, args: [...argv] };
}

function unknownCommand(word: string, all: readonly CommandDef[]): string {
  const near = closest(
    word,
    all.map((c) => c.name),
  );
  return `unknown command "${word}" for "${PROGRAM}"${near === undefined ? "" : `\n\nDid you mean this?\n\t${near}\n`}`;
}

function tooManyPositionals(line: ParsedLine, allowed: number): string | undefined {
  if (line.positionals.length <= allowed) return undefined;
  // `--manual false` is `--manual` and a positional `false` to pflag: say how booleans take a value.
  const boolean = line.positionals.some((word) => parseGoBool(word) !== undefined)
    ? "; a boolean flag takes its value after =, as in --manual=false"
    : "";
  const what = allowed === 0 ? "no arguments" : "one CONFIG-FILE (give a folder, or - and pipe the files in)";
  return `expected ${what}, got ${line.positionals.map((word) => `"${word}"`).join(" ")}${boolean}`;
}

function usageError(io: CliIo, message: string, command: CommandDef | undefined): number {
  const help = command === undefined || command.name === "" ? `${PROGRAM} --help` : `${PROGRAM} ${command.name} --help`;
  io.stderr.write(`Error: ${message}\nRun '${help}' for usage.\n`);
  return 1;
}

/** Typed access to the parsed flags: the last occurrence wins, repeatable flags gather every occurrence. */
function reader(line: ParsedLine) {
  const last = (name: string): FlagValue | undefined => {
    const values = line.values.get(name);
    return values === undefined ? undefined : values[values.length - 1];
  };
  return {
    bool: (name: string) => last(name) === true,
    string: (name: string) => {
      const value = last(name);
      return typeof value === "string" ? value : undefined;
    },
    strings: (name: string) =>
      (line.values.get(name) ?? []).flatMap((value) => (Array.isArray(value) ? value : [String(value)])),
    value: (def: FlagDef): CliFlagValue | undefined => {
      const values = line.values.get(def.name);
      if (values === undefined) return undefined;
      if (def.kind === "stringSlice")
        return values.flatMap((value) => (Array.isArray(value) ? value : [String(value)]));
      const value = values[values.length - 1];
      return Array.isArray(value) ? value.join(",") : value;
    },
  };
}
