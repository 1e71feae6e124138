/**
 * The command line: registers the commands and their flags with yargs and loads each handler only when its
 * command runs. The handlers take an `CliIo` and return an exit code; nothing here exits the process.
 */
import yargs, { type Argv } from "yargs";
import type { FlagValue } from "./configuration.js";
import type { CliIo } from "./io.js";
import { PROXY_FLAGS, yargsOption } from "./proxy-flags.js";

export interface CliMeta {
  /** The tool's version, for `--version` and `linkerd.io/created-by`. */
  version: string;
  /** Default of `-L/--linkerd-namespace` (Linkerd reads LINKERD_NAMESPACE). */
  linkerdNamespace: string;
  /** Width to wrap help at. */
  columns: number;
}

class UsageError extends Error {}

const PROXY_GROUP = "Proxy options (applied only when given; without --manual they become config.linkerd.io annotations):";
const CLUSTER_GROUP = "Configuration:";

function commonOptions(argv: Argv) {
  return argv
    .positional("input", {
      describe: "A file, a directory (walked recursively), - for stdin, or an https URL",
      type: "string",
    })
    .option("output", { alias: "o", type: "string", default: "yaml", describe: "Output format: yaml or json" })
    .option("verbose", { type: "boolean", default: false, describe: "Print every check of the report" });
}

function injectOptions(argv: Argv) {
  let command = commonOptions(argv)
    .option("manual", {
      type: "boolean",
      default: false,
      describe: "Render the proxy into the manifests instead of annotating them for the proxy injector",
    })
    .option("values", {
      type: "string",
      describe: "Linkerd values file (YAML or JSON) used instead of the cluster's linkerd-config; repeatable, merged in order",
      requiresArg: true,
    })
    .option("set", {
      type: "string",
      describe: "Override one value, PATH=VALUE (e.g. proxy.ports.admin=1234); repeatable",
      requiresArg: true,
    })
    .option("ignore-cluster", {
      type: "boolean",
      default: false,
      describe: "Use the built-in Linkerd defaults instead of reading linkerd-config from the cluster",
    })
    .option("disable-identity", { type: "boolean", hidden: true })
    .group(["values", "set", "ignore-cluster", "linkerd-namespace", "kubeconfig", "context"], CLUSTER_GROUP);
  for (const flag of PROXY_FLAGS) command = command.option(flag.name, yargsOption(flag));
  return command
    .group(
      PROXY_FLAGS.filter((flag) => flag.hidden !== true).map((flag) => flag.name),
      PROXY_GROUP,
    )
    .example("$0 inject deployment.yml | kubectl apply -f -", "Annotate workloads for the proxy injector (reads linkerd-config)")
    .example("$0 inject --manual deployment.yml", "Render the proxy into the manifests, for clusters without the webhook")
    .example(
      "kubectl get deploy -n emojivoto -o yaml | $0 inject - | kubectl apply -f -",
      "Mesh the running deployments of a namespace",
    )
    .example(
      "$0 inject --manual --values linkerd-values.yml --proxy-cpu-request 100m manifests/",
      "Inject a directory offline, with a values file and a flag",
    )
    .example("$0 inject --ignore-cluster https://run.linkerd.io/emojivoto.yml", "Annotate a published manifest");
}

/** Runs the command line `argv` (without the node and script paths) and resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo, meta: CliMeta): Promise<number> {
  // The commands are dispatched below, after parsing, rather than from yargs handlers, so that a command's
  // exit code and errors come back here.
  const parser = yargs()
    .scriptName("injector")
    .usage("$0 <command> [flags]\n\nInject the Linkerd proxy into Kubernetes manifests, or take it out again.")
    .option("linkerd-namespace", {
      alias: "L",
      type: "string",
      default: meta.linkerdNamespace,
      describe: "Namespace of the Linkerd control plane",
      global: true,
    })
    .option("kubeconfig", { type: "string", describe: "Path to the kubeconfig file", global: true, requiresArg: true })
    .option("context", { type: "string", describe: "Kubernetes context to use", global: true, requiresArg: true })
    .command("inject [input]", "Add the Linkerd proxy to the workloads of a manifest", injectOptions)
    .command("uninject [input]", "Remove the Linkerd proxy from the workloads of a manifest", (command) =>
      commonOptions(command)
        .example("$0 uninject injected.yml", "Remove the proxy and Linkerd's annotations")
        .example("kubectl get deploy -o yaml | $0 uninject - | kubectl apply -f -", "Unmesh running deployments"),
    )
    .completion("completion", "Print a bash/zsh completion script (injector completion >> ~/.bashrc)")
    .demandCommand(1, "name a command: inject or uninject")
    .recommendCommands()
    .strict()
    .exitProcess(false)
    .fail((message: string | null, error: Error | null) => {
      throw error ?? new UsageError(message ?? "invalid command line");
    })
    .version(meta.version)
    .help()
    .alias("help", "h")
    .wrap(Math.min(120, meta.columns));

  skipHelpCache(parser);

  // Shell completion prints through yargs' own logger; everything else is captured and written through `io`.
  if (argv.includes("--get-yargs-completions")) {
    await parser.parseAsync([...argv]);
    return 0;
  }
  let parsed: { args: Record<string, unknown>; output: string };
  try {
    parsed = await new Promise((resolve, reject) => {
      parser
        .parseAsync([...argv], {}, (_error, args, output) => resolve({ args: args as Record<string, unknown>, output }))
        .catch(reject);
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const command = argv.find((word) => word === "inject" || word === "uninject");
    io.stderr.write(`Error: ${message}\nRun "injector ${command === undefined ? "" : `${command} `}--help" for usage.\n`);
    return 1;
  }
  // Help, the version and the completion script.
  if (parsed.output !== "") {
    io.stdout.write(parsed.output.endsWith("\n") ? parsed.output : `${parsed.output}\n`);
    return 0;
  }

  const args = parsed.args;
  const [command] = args._ as unknown[];
  const input = inputArgument(optionalString(args.input), argv);
  const output = String(args.output);
  const verbose = args.verbose === true;
  if (command === "uninject") {
    const { runUninject } = await import("./uninject.js");
    return runUninject({ input, output, verbose }, io);
  }
  if (command !== "inject") return 0;
  const { runInject } = await import("./inject.js");
  return runInject(
    {
      input,
      output,
      verbose,
      manual: args.manual === true,
      valuesFiles: list(args.values),
      sets: list(args.set),
      ignoreCluster: args["ignore-cluster"] === true,
      linkerdNamespace: String(args["linkerd-namespace"]),
      kubeconfig: optionalString(args.kubeconfig),
      context: optionalString(args.context),
      disableIdentity: args["disable-identity"] as boolean | undefined,
      proxyFlags: Object.fromEntries(PROXY_FLAGS.map((flag) => [flag.name, args[flag.name] as FlagValue | undefined])),
    },
    io,
    { createdBy: `l5d-injector/cli ${meta.version}` },
  );
}

/** A repeatable option: absent, once (a string) or several times (an array). */
function list(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

function optionalString(value: unknown): string | undefined {
  return value === undefined ? undefined : String(value);
}

/** yargs reads a lone `-` (stdin, by convention) as an empty positional. */
function inputArgument(input: string | undefined, argv: readonly string[]): string | undefined {
  return input === "" && argv.includes("-") ? "-" : input;
}

/**
 * yargs renders a command's whole help text, and caches it, before the command runs, in case the command asks
 * for it; measuring string widths for that took longer than injecting a Deployment. These commands never show
 * help after parsing, so the cache is switched off. Should yargs' internals change shape, this does nothing
 * and only start-up is slower.
 */
function skipHelpCache(parser: Argv): void {
  const internals = (parser as unknown as { getInternalMethods?: () => { getUsageInstance?: () => unknown } }).getInternalMethods?.();
  const usage = internals?.getUsageInstance?.() as { cacheHelpMessage?: unknown } | undefined;
  if (usage !== undefined && typeof usage.cacheHelpMessage === "function") usage.cacheHelpMessage = () => undefined;
}
