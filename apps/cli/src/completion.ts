/**
 * `l5d-injector completion bash|zsh|fish`: shell completion scripts generated from the command table, so that they
 * offer exactly the commands and flags the parser accepts. They are static (no call back into the CLI while
 * completing): commands, each command's flags, the values of flags with a fixed set, and files where a file goes.
 */
import { commands, flagsOf, PROGRAM, type CommandDef } from "./commands.js";
import type { FlagDef } from "./flags.js";

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

export function completionScript(shell: Shell, linkerdNamespace: string): string {
  const { root, all } = commands(linkerdNamespace);
  const visible = (command: CommandDef) => flagsOf(command).filter((flag) => flag.hidden !== true);
  switch (shell) {
    case "bash":
      return bash(root, all, visible);
    case "zsh":
      return zsh(root, all, visible);
    case "fish":
      return fish(root, all, visible);
  }
}

type Visible = (command: CommandDef) => FlagDef[];

const FUNCTION = `_${PROGRAM.replace(/-/g, "_")}`;

function names(flag: FlagDef): string[] {
  return flag.short === undefined ? [`--${flag.name}`] : [`-${flag.short}`, `--${flag.name}`];
}

function bash(root: CommandDef, all: readonly CommandDef[], visible: Visible): string {
  const every = [root, ...all].flatMap(visible);
  const valued = [...new Set(every.filter((flag) => flag.kind !== "bool").flatMap(names))];
  const cases = every
    .filter((flag) => flag.kind !== "bool")
    .filter((flag, index, list) => list.findIndex((other) => other.name === flag.name) === index)
    .map((flag) => {
      const action =
        flag.choices !== undefined
          ? `COMPREPLY=($(compgen -W "${flag.choices.join(" ")}" -- "$cur"))`
          : flag.complete === "file"
            ? `COMPREPLY=($(compgen -f -- "$cur"))`
            : "COMPREPLY=()";
      return `    ${names(flag).join("|")}) ${action}; return ;;`;
    });
  const commandCases = all.map((command) => {
    const flags = visible(command).flatMap(names).join(" ");
    const positional =
      command.positionals === "shells"
        ? `compgen -W "bash zsh fish" -- "$cur"`
        : command.positionals === "commands"
          ? `compgen -W "${all.map((c) => c.name).join(" ")}" -- "$cur"`
          : "";
    const words = positional === "" ? "" : `\n        COMPREPLY=($(${positional}))`;
    return `    ${command.name})\n      if [[ "$cur" == -* ]]; then\n        COMPREPLY=($(compgen -W "${flags}" -- "$cur"))\n      else${words || "\n        COMPREPLY=()"}\n      fi ;;`;
  });
  return `# bash completion for ${PROGRAM}: source <(${PROGRAM} completion bash)
${FUNCTION}() {
  local cur prev command="" i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  # --flag=value: bash splits at the "=".
  if [[ "$cur" == "=" ]]; then cur=""; prev="\${COMP_WORDS[COMP_CWORD-1]}"; fi
  if [[ "$prev" == "=" ]]; then prev="\${COMP_WORDS[COMP_CWORD-2]}"; fi
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      ${valued.join("|")}) ((i++)) ;;
      -*) ;;
      *) command="\${COMP_WORDS[i]}"; break ;;
    esac
  done
  case "$prev" in
${cases.join("\n")}
  esac
  case "$command" in
    "") COMPREPLY=($(compgen -W "${all.map((c) => c.name).join(" ")} ${visible(root).flatMap(names).join(" ")}" -- "$cur")) ;;
${commandCases.join("\n")}
  esac
}
complete -o default -F ${FUNCTION} ${PROGRAM}
`;
}

/** Text inside a zsh `_arguments` spec, single-quoted: brackets and colons escaped. */
function zshText(text: string): string {
  return text
    .replace(/\\/g, "\\\\")
    .replace(/'/g, "'\\''")
    .replace(/\[/g, "\\[")
    .replace(/\]/g, "\\]")
    .replace(/:/g, "\\:");
}

function zshSpec(flag: FlagDef): string {
  const description = `[${zshText(flag.usage)}]`;
  const value =
    flag.kind === "bool"
      ? ""
      : flag.choices !== undefined
        ? `:${flag.name}:(${flag.choices.join(" ")})`
        : flag.complete === "file"
          ? `:${flag.name}:_files`
          : `:${flag.name}: `;
  const repeat = flag.kind === "stringArray" || flag.kind === "stringSlice" ? "*" : "";
  if (flag.short === undefined) return `'${repeat}--${flag.name}${description}${value}'`;
  const exclusive = repeat === "" ? `(-${flag.short} --${flag.name})` : "";
  return `'${exclusive}${repeat}'{-${flag.short},--${flag.name}}'${description}${value}'`;
}

function zsh(root: CommandDef, all: readonly CommandDef[], visible: Visible): string {
  const described = all.map((command) => `    '${command.name}:${zshText(command.summary)}'`).join("\n");
  const branches = all.map((command) => {
    const positional =
      command.positionals === "file"
        ? " '1:CONFIG-FILE:_files'"
        : command.positionals === "shells"
          ? " '1:shell:(bash zsh fish)'"
          : command.positionals === "commands"
            ? ` '1:command:(${all.map((c) => c.name).join(" ")})'`
            : "";
    return `        ${command.name})\n          _arguments -s \\\n            ${visible(command).map(zshSpec).join(" \\\n            ")}${positional} ;;`;
  });
  return `#compdef ${PROGRAM}
# zsh completion for ${PROGRAM}: ${PROGRAM} completion zsh > "\${fpath[1]}/_${PROGRAM}", or source <(${PROGRAM} completion zsh)
${FUNCTION}() {
  local -a commands
  commands=(
${described}
  )
  local curcontext="$curcontext" state line
  _arguments -C -s \\
    ${visible(root).map(zshSpec).join(" \\\n    ")} \\
    '1: :->command' \\
    '*:: :->arguments'
  case $state in
    command) _describe -t commands '${PROGRAM} command' commands ;;
    arguments)
      case $line[1] in
${branches.join("\n")}
      esac ;;
  esac
}
if [ "$funcstack[1]" = "_${PROGRAM}" ]; then
  ${FUNCTION} "$@"
else
  compdef ${FUNCTION} ${PROGRAM}
fi
`;
}

/** Text inside a fish single-quoted string. */
function fishText(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/'/g, "\\'");
}

function fish(root: CommandDef, all: readonly CommandDef[], visible: Visible): string {
  const commandNames = all.map((command) => command.name).join(" ");
  const valued = [
    ...new Set(
      [root, ...all]
        .flatMap(visible)
        .filter((flag) => flag.kind !== "bool")
        .flatMap(names),
    ),
  ];
  const positional = `${FUNCTION}_positional`;
  const lines = [
    `# fish completion for ${PROGRAM}: ${PROGRAM} completion fish > ~/.config/fish/completions/${PROGRAM}.fish`,
    `complete -c ${PROGRAM} -f`,
    "# Whether the word being completed is a positional argument rather than a flag's value.",
    `function ${positional}`,
    "    set -l previous (commandline -opc)[-1]",
    `    not contains -- $previous ${valued.join(" ")}`,
    "end",
    ...all.map(
      (command) =>
        `complete -c ${PROGRAM} -n 'not __fish_seen_subcommand_from ${commandNames}' -a ${command.name} -d '${fishText(command.summary)}'`,
    ),
  ];
  const flagLine = (condition: string, flag: FlagDef) => {
    const parts = [`complete -c ${PROGRAM} -n '${condition}' -l ${flag.name}`];
    if (flag.short !== undefined) parts.push(`-s ${flag.short}`);
    // -x: a value, and no file names offered for it; -r -F: a file name.
    if (flag.kind !== "bool") parts.push(flag.complete === "file" ? "-r -F" : "-x");
    if (flag.choices !== undefined) parts.push(`-a '${flag.choices.join(" ")}'`);
    parts.push(`-d '${fishText(flag.usage)}'`);
    return parts.join(" ");
  };
  for (const flag of visible(root)) lines.push(flagLine(`not __fish_seen_subcommand_from ${commandNames}`, flag));
  for (const command of all) {
    const condition = `__fish_seen_subcommand_from ${command.name}`;
    for (const flag of visible(command)) lines.push(flagLine(condition, flag));
    const where = `${condition}; and ${positional}`;
    if (command.positionals === "file") lines.push(`complete -c ${PROGRAM} -n '${where}' -F`);
    if (command.positionals === "shells") lines.push(`complete -c ${PROGRAM} -n '${where}' -a 'bash zsh fish'`);
    if (command.positionals === "commands") lines.push(`complete -c ${PROGRAM} -n '${where}' -a '${commandNames}'`);
  }
  return `${lines.join("\n")}\n`;
}
