// Start-up of the built CLI against `node -e 0`: the median of 20 runs of `inject --manual` on one Deployment (what
// bench/run.mjs measures among its other figures), and of `version --client`. Usage: node apps/cli/scripts/startup.mjs
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist", "injector.mjs");
const testdata = join(root, "testdata");
const RUNS = 20;

function median(args) {
  const times = [];
  for (let run = 0; run < RUNS; run += 1) {
    const start = performance.now();
    const result = spawnSync(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
    times.push(performance.now() - start);
    if (result.status !== 0) throw new Error(`node ${args.join(" ")} failed: ${result.stderr}`);
  }
  times.sort((a, b) => a - b);
  return (times[RUNS / 2 - 1] + times[RUNS / 2]) / 2;
}

const floor = median(["-e", "0"]);
const inject = median([
  cli,
  "inject",
  "--manual",
  "--values",
  join(testdata, "values.yaml"),
  join(testdata, "deployment.yaml"),
]);
const version = median([cli, "version", "--client"]);
const line = (name, ms) =>
  `${name.padEnd(28)} ${ms.toFixed(0).padStart(4)} ms  (${(ms / floor).toFixed(2)}× node -e 0)`;
console.log(`median of ${RUNS} runs, node ${process.version}`);
console.log(line("node -e 0", floor));
console.log(line("inject --manual, 1 workload", inject));
console.log(line("version --client", version));
