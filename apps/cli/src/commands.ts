/**
 * The command table: every command and flag the CLI has, as data. Parsing (`cli.ts`), help (`help.ts`) and shell
 * completion (`completion.ts`) are derived from it. The flags are `linkerd`'s (cli/cmd/root.go, inject.go,
 * uninject.go, options.go, version.go at the Linkerd version the core implements), the proxy flags come from the
 * core's settings registry, and the few additions (`--values`, `--set`, `--diff`, `-o patch`) say so in their help.
 */
import { PROXY_FLAGS, type Flag } from "@l5d-injector/injector-core";
import type { FlagDef, FlagKind } from "./flags.js";

export const PROGRAM = "l5d-injector";

export interface CommandDef {
  readonly name: string;
  readonly summary: string;
  /** The usage line after the program name. */
  readonly usage: string;
  readonly description: string;
  readonly examples: readonly string[];
  /** Flag groups, in help order. */
  readonly groups: ReadonlyArray<{ title: string; flags: readonly FlagDef[] }>;
  /** What shell completion offers for positionals. */
  readonly positionals: "file" | "shells" | "commands" | "none";
}

const HELP: FlagDef = { name: "help", short: "h", kind: "bool", usage: "Help for this command" };

/** Linkerd's persistent flags: accepted before or after the command. */
export function globalFlags(linkerdNamespace: string): FlagDef[] {
  return [
    {
      name: "api-addr",
      kind: "string",
      usage:
        "Override kubeconfig and communicate directly with the control plane at host:port (accepted for compatibility; inject and uninject do not use it, as in Linkerd)",
    },
    { name: "as", kind: "string", usage: "Username to impersonate for Kubernetes operations" },
    { name: "as-group", kind: "stringArray", usage: "Group to impersonate for Kubernetes operations (repeatable)" },
    {
      name: "cni-namespace",
      kind: "string",
      defaultText: "linkerd-cni",
      usage:
        "Namespace in which the Linkerd CNI plugin is installed (accepted for compatibility; inject does not use it, as in Linkerd)",
    },
    { name: "context", kind: "string", usage: "Name of the kubeconfig context to use" },
    {
      name: "kubeconfig",
      kind: "string",
      usage: "Path to the kubeconfig file to use for CLI requests",
      complete: "file",
    },
    {
      name: "linkerd-namespace",
      short: "L",
      kind: "string",
      defaultText: linkerdNamespace,
      usage: "Namespace in which Linkerd is installed ($LINKERD_NAMESPACE)",
    },
    { name: "verbose", kind: "bool", usage: "Print every check of the report, and a stack trace on an internal error" },
  ];
}

function outputFlag(what: string): FlagDef {
  return {
    name: "output",
    short: "o",
    kind: "string",
    defaultText: "yaml",
    choices: ["yaml", "json", "patch"],
    usage: `Output format: yaml, json, or patch (one JSON line per document: its kind, namespace, name and the RFC 6902 patch that ${what})`,
  };
}

function diffFlag(what: string): FlagDef {
  return {
    name: "diff",
    kind: "bool",
    usage: `Print a unified diff of the ${what} documents against the input (applies with patch -p0 or git apply)`,
  };
}

const KIND: Readonly<Record<Flag["type"], FlagKind>> = {
  string: "string",
  integer: "int",
  boolean: "bool",
  list: "stringSlice",
};

/** Flags whose default comes from the environment, as in Linkerd (main.ts reads it). */
const ENVIRONMENT: Readonly<Record<string, string>> = { registry: "LINKERD_DOCKER_REGISTRY" };

/** The core's proxy flags as command-line flags. */
export const PROXY_FLAG_DEFS: readonly FlagDef[] = PROXY_FLAGS.map((flag) => ({
  name: flag.name,
  ...(flag.alias === undefined ? {} : { short: flag.alias }),
  kind: KIND[flag.type],
  usage:
    flag.describe +
    (flag.type === "list" ? " (comma-separated, repeatable)" : "") +
    (ENVIRONMENT[flag.name] === undefined ? "" : ` ($${ENVIRONMENT[flag.name]})`),
  ...(flag.choices === undefined ? {} : { choices: flag.choices }),
  // pflag hides deprecated flags from help.
  ...(flag.hidden === true || flag.deprecated !== undefined ? { hidden: true } : {}),
  ...(flag.deprecated === undefined ? {} : { deprecated: flag.deprecated }),
}));

const INJECT_FLAGS: readonly FlagDef[] = [
  {
    name: "manual",
    kind: "bool",
    usage:
      "Include the proxy sidecar container spec in the output (the proxy injector won't pick it up, so config annotations aren't supported)",
  },
  {
    name: "ignore-cluster",
    kind: "bool",
    usage:
      "Ignore the current Kubernetes cluster: use Linkerd's built-in defaults instead of the cluster's linkerd-config",
  },
  outputFlag("turns the input document into the output"),
  diffFlag("injected"),
  {
    name: "values",
    kind: "stringArray",
    valueName: "FILE",
    complete: "file",
    usage:
      "Linkerd values (YAML or JSON), or the linkerd-config ConfigMap itself, instead of the cluster's; repeatable, merged in order (not a Linkerd flag)",
  },
  {
    name: "set",
    kind: "stringArray",
    valueName: "PATH=VALUE",
    usage: "Override one Linkerd value, e.g. proxy.ports.admin=1234; repeatable (not a Linkerd flag)",
  },
  { name: "disable-identity", kind: "bool", hidden: true, usage: "No longer supported: identity is always required" },
];

const EXPLAIN_FLAGS: readonly FlagDef[] = [
  {
    name: "namespace",
    short: "n",
    kind: "string",
    usage:
      "Namespace of KIND/NAME; for a CONFIG-FILE, the namespace its workloads are explained in (default: their own, else default)",
  },
  {
    name: "namespace-annotations",
    kind: "stringArray",
    valueName: "KEY=VALUE",
    usage: "An annotation of the namespace, for a CONFIG-FILE (e.g. linkerd.io/inject=enabled); repeatable",
  },
  {
    name: "namespace-labels",
    kind: "stringArray",
    valueName: "KEY=VALUE",
    usage: "A label of the namespace, for a CONFIG-FILE (the webhook's namespaceSelector reads them); repeatable",
  },
  {
    name: "output",
    short: "o",
    kind: "string",
    defaultText: "text",
    choices: ["text", "json"],
    usage: 'Output format: text, or json ({"items": [{kind, namespace, name, inject, reason, steps, hints}]})',
  },
  ...INJECT_FLAGS.filter((flag) => flag.name === "ignore-cluster" || flag.name === "values" || flag.name === "set"),
];

export function commands(linkerdNamespace: string): { root: CommandDef; all: readonly CommandDef[] } {
  const globals = globalFlags(linkerdNamespace);
  const inject: CommandDef = {
    name: "inject",
    summary: "Add the Linkerd proxy to a Kubernetes config",
    usage: "inject [flags] CONFIG-FILE",
    description:
      "Add the Linkerd proxy to a Kubernetes config.\n\nYou can inject resources contained in a single file, inside a folder and its\nsub-folders (.yaml, .yml and .json files), or coming from stdin (-) or an https URL.",
    examples: [
      "# Inject all the deployments in the default namespace.",
      `kubectl get deploy -o yaml | ${PROGRAM} inject - | kubectl apply -f -`,
      "",
      "# Render the proxy into the manifests, offline, with the cluster's configuration saved earlier.",
      `kubectl -n linkerd get cm linkerd-config -o yaml > linkerd-config.yaml`,
      `${PROGRAM} inject --manual --values linkerd-config.yaml deployment.yml`,
      "",
      "# Inject all the resources inside a folder and its sub-folders.",
      `${PROGRAM} inject <folder> | kubectl apply -f -`,
      "",
      "# Review what injection changes, in CI.",
      `${PROGRAM} inject --manual --values linkerd-config.yaml --diff manifests/`,
    ],
    groups: [
      { title: "Flags", flags: [...INJECT_FLAGS, HELP] },
      {
        title: "Proxy flags (applied only when given; without --manual they become config.linkerd.io annotations)",
        flags: PROXY_FLAG_DEFS,
      },
      { title: "Global Flags", flags: globals },
    ],
    positionals: "file",
  };
  const uninject: CommandDef = {
    name: "uninject",
    summary: "Remove the Linkerd proxy from a Kubernetes config",
    usage: "uninject [flags] CONFIG-FILE",
    description:
      "Remove the Linkerd proxy from a Kubernetes config.\n\nYou can uninject resources contained in a single file, inside a folder and its\nsub-folders (.yaml, .yml and .json files), or coming from stdin (-) or an https URL.",
    examples: [
      "# Uninject all the deployments in the default namespace.",
      `kubectl get deploy -o yaml | ${PROGRAM} uninject - | kubectl apply -f -`,
      "",
      "# Download a resource and uninject it through stdin.",
      `curl http://url.to/yml | ${PROGRAM} uninject - | kubectl apply -f -`,
      "",
      "# Uninject all the resources inside a folder and its sub-folders.",
      `${PROGRAM} uninject <folder> | kubectl apply -f -`,
    ],
    groups: [
      { title: "Flags", flags: [outputFlag("turns the input document into the output"), diffFlag("uninjected"), HELP] },
      { title: "Global Flags", flags: globals },
    ],
    positionals: "file",
  };
  const explain: CommandDef = {
    name: "explain",
    summary: "Explain whether workloads would be injected, and why",
    usage: "explain [flags] (CONFIG-FILE | KIND/NAME)",
    description:
      "Explain, for each workload, whether the proxy injector would inject its pods and the whole chain that\ndecides it: the webhooks the API server would call, where linkerd.io/inject was found, each content check,\nthe proxy's layout, the config annotations used or ignored, and hints for the classic mistakes.\n\nCONFIG-FILE is read as inject reads it (a file, a folder, - for stdin, an https URL), offline: state the\nnamespace with --namespace-annotations and --namespace-labels. KIND/NAME (deploy/web, sts/db, ds, job, cj,\npo, rs) reads the object from the cluster with its namespace, linkerd-config, the MutatingWebhookConfigurations\nand its current pods. Exits 0 whatever the verdict.",
    examples: [
      "# Why are the pods of this Deployment not injected?",
      `${PROGRAM} explain deploy/web -n shop`,
      "",
      "# Offline, for manifests to be applied in a namespace annotated linkerd.io/inject=enabled.",
      `${PROGRAM} explain --values linkerd-config.yaml --namespace-annotations linkerd.io/inject=enabled manifests/`,
      "",
      "# As JSON, for scripts.",
      `${PROGRAM} explain deploy/web -n shop -o json`,
    ],
    groups: [
      { title: "Flags", flags: [...EXPLAIN_FLAGS, HELP] },
      { title: "Global Flags", flags: globals },
    ],
    positionals: "file",
  };
  const version: CommandDef = {
    name: "version",
    summary: "Print the client and server version information",
    usage: "version [flags]",
    description:
      "Print this CLI's version and the Linkerd version it implements, then the Linkerd version of the cluster\n(the linkerdVersion of its linkerd-config), unless --client is given.",
    examples: [`${PROGRAM} version --client`],
    groups: [
      {
        title: "Flags",
        flags: [
          { name: "client", kind: "bool", usage: "Print the client version only" },
          { name: "short", kind: "bool", usage: "Print the version numbers only" },
          HELP,
        ],
      },
      { title: "Global Flags", flags: globals },
    ],
    positionals: "none",
  };
  const completion: CommandDef = {
    name: "completion",
    summary: "Output shell completion code for the specified shell (bash, zsh or fish)",
    usage: "completion [bash|zsh|fish]",
    description: "Output shell completion code for the specified shell (bash, zsh or fish).",
    examples: [
      "# bash: load completion into the current shell, or install it",
      `source <(${PROGRAM} completion bash)`,
      `${PROGRAM} completion bash > /etc/bash_completion.d/${PROGRAM}`,
      "",
      "# zsh: into a directory on $fpath",
      `${PROGRAM} completion zsh > "\${fpath[1]}/_${PROGRAM}"`,
      "",
      "# fish",
      `${PROGRAM} completion fish > ~/.config/fish/completions/${PROGRAM}.fish`,
    ],
    groups: [
      { title: "Flags", flags: [HELP] },
      { title: "Global Flags", flags: globals },
    ],
    positionals: "shells",
  };
  const audit: CommandDef = {
    name: "audit",
    summary: "Compare the cluster's pods with the proxy injection would give them now",
    usage: "audit [flags]",
    description:
      "List the pods of a namespace (or, with -A, of the cluster) and say, for each workload that owns them\n(Deployment, StatefulSet, DaemonSet, Job, CronJob, bare Pod, other owners as they are), whether its proxy\nis the one injection would give it now, with the cluster's linkerd-config and the namespace's annotations:\n\n  meshed        every pod has that proxy\n  unmeshed      injection is enabled but pods have no proxy\n  stale         pods have a proxy that differs (proxy_version_differs, proxy_spec_differs and where)\n  skipped       injection is not enabled, or disabled (Linkerd's reason code)\n  uninjectable  the pods cannot be injected (hostNetwork, ...)\n\nExits with 3 when a workload is unmeshed or stale, 0 otherwise, 1 on an error. --restart restarts them\nas `kubectl rollout restart` does (Deployments, StatefulSets, DaemonSets), one at a time; Jobs, CronJobs\nand bare Pods are listed for a manual step. After --restart the exit code is 3 only if a manual step remains.",
    examples: [
      "# Audit the whole cluster, as a CI or cron job gate.",
      `${PROGRAM} audit -A`,
      "",
      "# Machine-readable, one item per workload.",
      `${PROGRAM} audit -n shop -o json`,
      "",
      "# See what would be restarted, then restart it, 30 seconds apart.",
      `${PROGRAM} audit -A --restart --dry-run`,
      `${PROGRAM} audit -A --restart --pause 30s`,
    ],
    groups: [
      {
        title: "Flags",
        flags: [
          {
            name: "namespace",
            short: "n",
            kind: "string",
            defaultText: "default",
            usage: "Namespace whose pods to audit",
          },
          { name: "all-namespaces", short: "A", kind: "bool", usage: "Audit the pods of every namespace" },
          {
            name: "output",
            short: "o",
            kind: "string",
            defaultText: "table",
            choices: ["table", "json"],
            usage: 'Output format: table, or json ({"items": [{kind, namespace, name, status, pods, reason, detail}]})',
          },
          {
            name: "restart",
            kind: "bool",
            usage: "Restart the unmeshed and stale Deployments, StatefulSets and DaemonSets, one at a time",
          },
          { name: "dry-run", kind: "bool", usage: "With --restart: only print what would be restarted" },
          {
            name: "pause",
            kind: "string",
            valueName: "DURATION",
            defaultText: "5s",
            usage: "With --restart: how long to wait between two restarts",
          },
          HELP,
        ],
      },
      { title: "Global Flags", flags: globals },
    ],
    positionals: "none",
  };
  const help: CommandDef = {
    name: "help",
    summary: "Help about any command",
    usage: "help [command]",
    description: "Help provides help for any command in the application.",
    examples: [],
    groups: [
      { title: "Flags", flags: [HELP] },
      { title: "Global Flags", flags: globals },
    ],
    positionals: "commands",
  };
  const root: CommandDef = {
    name: "",
    summary: "",
    usage: "[command]",
    description: `${PROGRAM} adds the Linkerd proxy to Kubernetes manifests, or takes it out again: a drop-in for\n\`linkerd inject\` and \`linkerd uninject\`.`,
    examples: [],
    groups: [
      {
        title: "Flags",
        flags: [HELP, { name: "version", kind: "bool", usage: "Print the version (as version --client)" }],
      },
      { title: "Global Flags", flags: globals },
    ],
    positionals: "commands",
  };
  return { root, all: [inject, uninject, explain, audit, version, completion, help] };
}

/** Every flag a command accepts. */
export function flagsOf(command: CommandDef): FlagDef[] {
  return command.groups.flatMap((group) => group.flags);
}
