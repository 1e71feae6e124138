#!/usr/bin/env node
/**
 * The process entry point, and the only place that reads the environment, the arguments and sets the exit
 * code.
 */
import { readFileSync } from "node:fs";
import { runCli } from "./cli.js";
import { createNodeIo } from "./node-io.js";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  version: string;
};

// `l5d-injector inject x.yml | head` closes stdout early: that is not an error worth a stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

const argv = process.argv.slice(2);
const io = createNodeIo({ color: process.stderr.isTTY === true && process.env.NO_COLOR === undefined });
try {
  process.exitCode = await runCli(argv, io, {
    version,
    linkerdNamespace: process.env.LINKERD_NAMESPACE || "linkerd",
    dockerRegistry: process.env.LINKERD_DOCKER_REGISTRY || undefined,
  });
} catch (error) {
  // Only a bug gets here; its stack is for --verbose.
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`Error: internal error: ${message}\n`);
  if (argv.includes("--verbose") && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  process.exitCode = 1;
}
