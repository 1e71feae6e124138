/**
 * The completion scripts, run by the shells themselves where they are installed: bash completes through the
 * function the script registers, fish through `complete -C`, zsh at least parses the script. A shell that is not
 * installed skips its test, saying so.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { completionScript, type Shell } from "./completion.js";

const installed = (shell: string) => spawnSync(shell, ["-c", "exit 0"]).status === 0;

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "l5d-completion-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function scriptFile(shell: Shell): string {
  const file = join(dir, `completion.${shell}`);
  writeFileSync(file, completionScript(shell, "linkerd"));
  return file;
}

describe.skipIf(!installed("bash"))("bash completion", () => {
  const complete = (words: string[]): string[] => {
    const script = `source ${JSON.stringify(scriptFile("bash"))}
COMP_WORDS=(${words.map((word) => JSON.stringify(word)).join(" ")}); COMP_CWORD=${words.length - 1}; COMPREPLY=()
_l5d_injector; printf '%s\\n' "\${COMPREPLY[@]}"`;
    return execFileSync("bash", ["-c", script], { encoding: "utf8" })
      .split("\n")
      .filter((line) => line !== "");
  };

  it("completes commands, each command's flags, and the values of flags with a fixed set", () => {
    expect(complete(["l5d-injector", "in"])).toEqual(["inject"]);
    expect(complete(["l5d-injector", "inject", "--ma"])).toEqual(["--manual"]);
    expect(complete(["l5d-injector", "-L", "linkerd", "uninject", "--"])).toContain("--diff");
    expect(complete(["l5d-injector", "inject", "-o", ""])).toEqual(["yaml", "json", "patch"]);
    expect(complete(["l5d-injector", "inject", "--output", "=", "j"])).toEqual(["json"]);
    expect(complete(["l5d-injector", "inject", "--image-pull-policy", "I"])).toEqual(["IfNotPresent"]);
    expect(complete(["l5d-injector", "completion", ""])).toEqual(["bash", "zsh", "fish"]);
  });

  it("leaves hidden and deprecated flags out", () => {
    const flags = complete(["l5d-injector", "inject", "--"]);
    expect(flags).toContain("--proxy-cpu-request");
    expect(flags).not.toContain("--proxy-cpu");
    expect(flags).not.toContain("--disable-identity");
  });
});

describe.skipIf(!installed("fish"))("fish completion", () => {
  const complete = (line: string): string[] =>
    execFileSync("fish", ["-c", `source ${JSON.stringify(scriptFile("fish"))}; complete -C ${JSON.stringify(line)}`], {
      encoding: "utf8",
    })
      .split("\n")
      .filter((entry) => entry !== "")
      .map((entry) => entry.split("\t")[0] as string);

  it("completes commands, flags and the values of flags with a fixed set, without file names there", () => {
    expect(complete("l5d-injector inj")).toEqual(["inject"]);
    expect(complete("l5d-injector inject --igno")).toEqual(["--ignore-cluster"]);
    expect(complete("l5d-injector inject -o ").sort()).toEqual(["json", "patch", "yaml"]);
    expect(complete("l5d-injector completion ").sort()).toEqual(["bash", "fish", "zsh"]);
  });
});

describe.skipIf(!installed("zsh"))("zsh completion", () => {
  it("parses, and registers its function with compdef", () => {
    const file = scriptFile("zsh");
    expect(execFileSync("zsh", ["-n", file], { encoding: "utf8" })).toBe("");
    const registered = execFileSync(
      "zsh",
      [
        "-f",
        "-c",
        `autoload -U compinit && compinit -u -d ${JSON.stringify(join(dir, "zcompdump"))}; source ${JSON.stringify(file)}; print -r -- $_comps[l5d-injector]`,
      ],
      { encoding: "utf8" },
    );
    expect(registered).toBe("_l5d_injector\n");
  });
});
