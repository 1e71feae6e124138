// The CLI's floor: parse every document of a manifest and write it back with the same YAML library the CLI uses.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const out = [];
for (const doc of parseAllDocuments(readFileSync(process.argv[2], "utf8"))) {
  doc.toJS();
  out.push(doc.toString());
}
process.stdout.write(out.join("---\n"));
