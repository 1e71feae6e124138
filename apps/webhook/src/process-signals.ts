/**
 * Imported first by main.ts, so that it runs before the modules that take a few hundred milliseconds to load:
 *
 * * SIGUSR1 would open Node's inspector (a debugger on 127.0.0.1:9229 that can run any code in the process) unless a
 *   listener is installed. Node 20 has no flag to turn that off (`--disable-sigusr1` arrived in Node 22.14).
 * * SIGHUP would end the process at once, without the drain SIGTERM gets.
 *
 * Both are ignored for the life of the process; main.ts says so in its log once it has a logger.
 */

type SignalReporter = (signal: "SIGUSR1" | "SIGHUP") => void;

let report: SignalReporter = (signal) => {
  process.stderr.write(`l5d-injector-webhook: ignoring ${signal}\n`);
};

/** Where an ignored signal is reported from now on (main.ts: its logger). */
export function reportIgnoredSignals(reporter: SignalReporter): void {
  report = reporter;
}

process.on("SIGUSR1", () => report("SIGUSR1"));
process.on("SIGHUP", () => report("SIGHUP"));
