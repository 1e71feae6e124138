/** Help text in Cobra's layout (what `linkerd <command> --help` prints), from the command table. */
import { flagsOf, PROGRAM, type CommandDef } from "./commands.js";
import type { FlagDef } from "./flags.js";

const TYPE_NAMES: Readonly<Record<FlagDef["kind"], string>> = {
  bool: "",
  string: "string",
  int: "int",
  uint: "uint",
  stringSlice: "strings",
  stringArray: "stringArray",
};

export function renderHelp(command: CommandDef, all: readonly CommandDef[]): string {
  const lines: string[] = [command.description, "", "Usage:", `  ${PROGRAM} ${command.usage}`];
  if (command.name === "") {
    lines.push("", "Available Commands:");
    const width = Math.max(...all.map((c) => c.name.length));
    for (const c of [...all].sort((a, b) => a.name.localeCompare(b.name)))
      lines.push(`  ${c.name.padEnd(width)}  ${c.summary}`);
  }
  if (command.examples.length > 0) {
    lines.push("", "Examples:", ...command.examples.map((example) => (example === "" ? "" : `  ${example}`)));
  }
  const visible = flagsOf(command).filter((flag) => flag.hidden !== true);
  const width = Math.max(...visible.map((flag) => left(flag).length));
  for (const group of command.groups) {
    const flags = group.flags.filter((flag) => flag.hidden !== true);
    if (flags.length === 0) continue;
    lines.push("", `${group.title}:`);
    for (const flag of [...flags].sort((a, b) => a.name.localeCompare(b.name))) {
      lines.push(`${left(flag).padEnd(width)}   ${flag.usage}${defaultOf(flag)}`);
    }
  }
  lines.push(
    "",
    `Use "${PROGRAM} ${command.name === "" ? "[command]" : command.name} --help" for more information${command.name === "" ? " about a command" : ""}.`,
  );
  return `${lines.join("\n")}\n`;
}

function left(flag: FlagDef): string {
  const type = flag.valueName ?? TYPE_NAMES[flag.kind];
  const names = flag.short === undefined ? `      --${flag.name}` : `  -${flag.short}, --${flag.name}`;
  return type === "" ? names : `${names} ${type}`;
}

function defaultOf(flag: FlagDef): string {
  if (flag.defaultText === undefined) return "";
  return flag.kind === "string" ? ` (default "${flag.defaultText}")` : ` (default ${flag.defaultText})`;
}
