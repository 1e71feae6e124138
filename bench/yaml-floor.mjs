// The CLI's floor: parse every document of a manifest and write it back with the same YAML library the CLI uses.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// Resolve `yaml` as the CLI does, so that both sides run the same copy of the library.
const cli = join(dirname(fileURLToPath(import.meta.url)), "..", "apps", "cli", "package.json");
const { parseAllDocuments } = await import(createRequire(cli).resolve("yaml"));

const out = [];
for (const doc of parseAllDocuments(readFileSync(process.argv[2], "utf8"))) {
  doc.toJS();
  out.push(doc.toString());
}
process.stdout.write(out.join("---\n"));
