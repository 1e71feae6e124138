/**
 * The CLI as npm users get it: `pnpm pack` the package, `npm i -g --prefix` the tarball into a fresh prefix
 * (offline, leaving out the optional @kubernetes/client-node, which only reading the cluster needs), and run the
 * installed `l5d-injector`. Runs after the build (turbo's test task depends on it), so dist is current.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const cliDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const testdata = join(cliDir, "testdata");

// Packing and installing take seconds; on a busy 2-core machine many times that. These only catch a hang.
const SLOW = 300_000;

let work: string;
let tarball: string;
let bin: string;

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  try {
    return execFileSync(command, args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed:\n${stdout ?? ""}${stderr ?? ""}`);
  }
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "l5d-injector-installed-"));
  const packs = join(work, "packs");
  mkdirSync(packs);
  run("pnpm", ["pack", "--pack-destination", packs], cliDir);
  const [name] = readdirSync(packs).filter((file) => file.endsWith(".tgz"));
  if (name === undefined) throw new Error("pnpm pack wrote no tarball");
  tarball = join(packs, name);
  // npm, not the pnpm running this suite: pnpm's npm_config_* settings are not npm's.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  const prefix = join(work, "prefix");
  run(
    "npm",
    [
      "i",
      "-g",
      "--prefix",
      prefix,
      tarball,
      "--offline",
      "--omit=optional",
      "--no-audit",
      "--no-fund",
      "--ignore-scripts",
      "--cache",
      join(work, "npm-cache"),
    ],
    work,
    env,
  );
  bin = join(prefix, "bin", "l5d-injector");
}, SLOW);

afterAll(() => {
  if (work && !process.env["KEEP_INSTALLED"]) rmSync(work, { recursive: true, force: true });
});

describe("the packed CLI, installed with npm i -g", () => {
  it("holds one self-contained file besides its manifest, readme and licence", () => {
    const files = run("tar", ["-tzf", tarball], work).trim().split("\n").sort();
    expect(files).toEqual([
      "package/LICENSE",
      "package/README.md",
      "package/dist/injector.mjs",
      "package/package.json",
    ]);
    const manifest = JSON.parse(run("tar", ["-xzOf", tarball, "package/package.json"], work)) as Record<
      string,
      Record<string, string> | undefined
    >;
    expect(manifest["bin"]).toEqual({ "l5d-injector": "dist/injector.mjs" });
    expect(manifest["private"]).toBeUndefined();
    // The core, yaml and diff are bundled in: nothing to resolve from the workspace, or at all, but the cluster client.
    expect(manifest["dependencies"]).toBeUndefined();
    expect(manifest["optionalDependencies"]).toEqual({ "@kubernetes/client-node": expect.any(String) });
    const bundle = readFileSync(join(cliDir, "dist", "injector.mjs"), "utf8");
    const specifiers = [...bundle.matchAll(/(?:^import\s[^"'\n]*?from\s*|\bimport\s*\(\s*)["']([^"']+)["']/gm)].map(
      (match) => match[1],
    );
    expect(specifiers.filter((specifier) => !specifier?.startsWith("node:"))).toEqual(["@kubernetes/client-node"]);
  });

  it("injects with --manual as the workspace build does", () => {
    const args = ["inject", "--manual", "--values", join(testdata, "values.yaml"), join(testdata, "deployment.yaml")];
    const installed = spawnSync(bin, args, { encoding: "utf8" });
    const workspace = spawnSync(process.execPath, [join(cliDir, "dist", "injector.mjs"), ...args], {
      encoding: "utf8",
    });
    expect(installed.status).toBe(0);
    expect(installed.stderr).toBe('\ndeployment "web" injected\n\n');
    expect(installed.stdout).toMatch(/^ +name: linkerd-proxy$/m);
    expect(installed.stdout).toBe(workspace.stdout);
  });

  it("prints its version and the Linkerd version it implements", () => {
    const { version } = JSON.parse(readFileSync(join(cliDir, "package.json"), "utf8")) as { version: string };
    expect(run(bin, ["version", "--client"], work)).toMatch(
      new RegExp(`^Client version: ${version.replace(/\./g, "\\.")} \\(implements Linkerd \\S+\\)\\n$`),
    );
  });

  it("says what is missing when reading the cluster without the optional client", () => {
    const result = spawnSync(bin, ["inject", join(testdata, "deployment.yaml")], { encoding: "utf8" });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("reading the cluster needs @kubernetes/client-node");
  });
});
