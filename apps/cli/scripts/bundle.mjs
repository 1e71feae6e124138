// Bundles the built CLI into one self-contained file, dist/injector.mjs (the package's bin): the CLI, the core, yaml
// and diff, with no chunk files beside it, so that an installed CLI needs no workspace package. Start-up is mostly
// module loading; the command handlers are still only evaluated when their command runs (the bundler keeps a
// dynamically imported module behind a lazy initialiser). @kubernetes/client-node stays outside (15 MB bundled): it
// is an ordinary dependency of the package, imported only when the cluster is read.
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "rolldown";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
rmSync(join(root, "dist", "chunks"), { recursive: true, force: true });
await build({
  input: join(root, "dist", "main.js"),
  platform: "node",
  external: [/^@kubernetes\/client-node/],
  logLevel: "warn",
  output: {
    file: join(root, "dist", "injector.mjs"),
    format: "esm",
    codeSplitting: false,
  },
});
