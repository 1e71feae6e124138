import { createRequire } from "node:module";
import { join } from "node:path";
import { REPO_ROOT } from "./paths.js";

interface YamlModule {
  parseAllDocuments(
    text: string,
  ): { toJS(): unknown; errors: { message: string }[] }[] | { errors: { message: string }[] };
}

// The suite is not a workspace package and has no dependencies of its own; it borrows the YAML parser the CLI
// already depends on, resolved from the CLI's folder, because YAML is what the CLI and `kubectl -o yaml` print.
const load = createRequire(join(REPO_ROOT, "apps/cli/package.json"));
const yaml = load("yaml") as YamlModule;

/** Every document of a multi-document YAML stream, `null` documents (empty ones) dropped. */
export function parseYamlDocuments(text: string): unknown[] {
  const docs = yaml.parseAllDocuments(text);
  if (!Array.isArray(docs)) throw new Error(`not a YAML stream: ${docs.errors.map((e) => e.message).join("; ")}`);
  const out: unknown[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`invalid YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
    const value = doc.toJS();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}
