/**
 * The package as npm users get it: `pnpm pack` the core, install the tarball into a fresh project (offline: the core
 * has no runtime dependencies), and use it from there the ways users do: `import`, `require`, TypeScript with typed
 * Kubernetes objects, a browser bundle. publint and arethetypeswrong check the tarball's packaging.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runInNewContext } from "node:vm";
import { build } from "esbuild";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const coreDir = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const projectFixtures = join(coreDir, "test", "consumer", "project");
const require = createRequire(join(coreDir, "package.json"));

// Packing and installing take seconds; on a busy 2-core machine many times that. These only catch a hang.
const SLOW = 300_000;

let work: string;
let tarball: string;
let consumer: string;
let installed: string;

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  try {
    return execFileSync(command, args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed:\n${stdout ?? ""}${stderr ?? ""}`);
  }
}

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "injector-core-consumer-"));
  const packs = join(work, "packs");
  mkdirSync(packs);
  // The tests run after the build (turbo's test task depends on it), so dist is current.
  run("pnpm", ["pack", "--pack-destination", packs], coreDir);
  const [name] = readdirSync(packs).filter((file) => file.endsWith(".tgz"));
  if (name === undefined) throw new Error("pnpm pack wrote no tarball");
  tarball = join(packs, name);

  consumer = join(work, "consumer");
  cpSync(projectFixtures, consumer, { recursive: true });
  writeFileSync(join(consumer, "package.json"), `${JSON.stringify({ name: "consumer", private: true }, null, 2)}\n`);
  // npm, not the pnpm running this suite: pnpm's npm_config_* settings are not npm's.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  run(
    "npm",
    [
      "install",
      tarball,
      "--offline",
      "--no-audit",
      "--no-fund",
      "--ignore-scripts",
      "--no-package-lock",
      "--cache",
      join(work, "npm-cache"),
    ],
    consumer,
    env,
  );
  installed = join(consumer, "node_modules", "@l5d-injector", "injector-core");
  // The typed check needs kubernetes-models' types: the workspace's copy, not a download.
  symlinkSync(
    realpathSync(join(coreDir, "node_modules", "kubernetes-models")),
    join(consumer, "node_modules", "kubernetes-models"),
    "dir",
  );
}, SLOW);

afterAll(() => {
  if (work && !process.env["KEEP_CONSUMER"]) rmSync(work, { recursive: true, force: true });
});

describe("the packed core, installed in a fresh project", () => {
  const expectInjectedPod = (output: string) => {
    const { outcome, object } = JSON.parse(output) as {
      outcome: string;
      object: { spec: { initContainers: { name: string }[] } };
    };
    expect(outcome).toBe("injected");
    expect(object.spec.initContainers.map((c) => c.name)).toEqual(["linkerd-init", "linkerd-proxy"]);
  };

  it("injects a pod when loaded with import", () => {
    expectInjectedPod(run(process.execPath, ["inject-pod.mjs"], consumer));
  });

  it("injects a pod when loaded with require, as Node 20.19+ loads ES modules from require", () => {
    const esm = run(process.execPath, ["inject-pod.mjs"], consumer);
    const cjs = run(process.execPath, ["inject-pod.cjs"], consumer);
    expectInjectedPod(cjs);
    expect(cjs).toBe(esm);
  });

  it("takes a kubernetes-models Deployment and returns it typed, without a cast, from ESM and CommonJS TypeScript", () => {
    const tsc = join(dirname(require.resolve("typescript")), "tsc.js");
    expect(run(process.execPath, [tsc, "-p", "tsconfig.json"], consumer)).toBe("");
  });

  it("ships its license, no tests, and source maps whose sources are all shipped", () => {
    const files = filesUnder(installed);
    expect(files).toContain("LICENSE");
    expect(readFileSync(join(installed, "LICENSE"), "utf8")).toContain(
      "Apache License\n                           Version 2.0",
    );
    expect(files.filter((file) => /\.test\.|test-support/.test(file))).toEqual([]);
    const maps = files.filter((file) => file.endsWith(".map"));
    expect(maps.length).toBeGreaterThan(0);
    const missing = maps.flatMap((map) => {
      const { sources, sourceRoot } = JSON.parse(readFileSync(join(installed, map), "utf8")) as {
        sources: string[];
        sourceRoot?: string;
      };
      return sources
        .map((source) => resolve(installed, dirname(map), sourceRoot ?? "", source))
        .filter((source) => !existsSync(source))
        .map((source) => `${map} → ${relative(installed, source)}`);
    });
    expect(missing).toEqual([]);
  });

  it(
    "passes publint with no message at all",
    async () => {
      const bytes = readFileSync(tarball);
      const packed = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      const { messages, pkg } = await publint({ pack: { tarball: packed }, strict: true });
      expect(messages.map((message) => formatMessage(message, pkg) ?? message.code)).toEqual([]);
    },
    SLOW,
  );

  it(
    "passes arethetypeswrong in every module resolution",
    () => {
      // attw's TypeScript (5.6) models `require` of an ES module as an error, as Node did before 20.19; the test above
      // shows that require() loads the package, so that one rule is set aside and every other one applies.
      const attw = join(coreDir, "node_modules", ".bin", "attw");
      const output = run(
        attw,
        [tarball, "--ignore-rules", "cjs-resolves-to-esm", "--format", "json", "--no-color"],
        consumer,
      );
      const { problems } = (JSON.parse(output) as { analysis: { problems: { kind: string }[] } }).analysis;
      expect(problems.filter((problem) => problem.kind !== "CJSResolvesToESM")).toEqual([]);
    },
    SLOW,
  );

  it("bundles for a browser with no Node built-in, and the bundle runs with web APIs only", async () => {
    const result = await build({
      absWorkingDir: consumer,
      entryPoints: ["browser-entry.mjs"],
      bundle: true,
      platform: "browser",
      format: "iife",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const [output] = Object.values(result.metafile.outputs);
    expect(output?.imports).toEqual([]);
    expect(Object.keys(result.metafile.inputs).filter((input) => input.startsWith("node:"))).toEqual([]);
    // A context with only the JavaScript built-ins and TextEncoder: no process, Buffer, require or node:crypto.
    const context: {
      TextEncoder: typeof TextEncoder;
      injected?: { metadata: { annotations: Record<string, string> } };
    } = { TextEncoder };
    runInNewContext(result.outputFiles[0]?.text ?? "", context);
    const pem = "-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n";
    expect(context.injected?.metadata.annotations["linkerd.io/trust-root-sha256"]).toBe(
      createHash("sha256").update(pem).digest("hex"),
    );
  });
});
