import { pino, type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "./flags.js";

export interface LoggerOptions {
  level: LogLevel;
  format: "plain" | "json";
  /** Where lines go (stderr in main, a memory sink in tests). */
  out: { write(line: string): unknown };
}

/**
 * pino, writing JSON lines, or with `plain` logrus-style text (`time=… level=info msg="…" key=value`) as
 * Linkerd's controllers print by default, without a pretty-printer dependency.
 */
export function createLogger(options: LoggerOptions): Logger {
  const destination: DestinationStream =
    options.format === "json" ? { write: (line) => void options.out.write(line) } : plainDestination(options.out);
  return pino(
    {
      level: options.level,
      base: { component: "proxy-injector" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

const RESERVED = new Set(["level", "time", "msg", "component"]);

function plainDestination(out: { write(line: string): unknown }): DestinationStream {
  return {
    write(line: string) {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        out.write(line);
        return;
      }
      const parts = [
        `time=${quote(String(record["time"] ?? ""))}`,
        `level=${String(record["level"] ?? "info")}`,
        `msg=${quote(String(record["msg"] ?? ""))}`,
      ];
      for (const [key, value] of Object.entries(record)) {
        if (RESERVED.has(key) || value === undefined) continue;
        parts.push(`${key}=${quote(typeof value === "string" ? value : JSON.stringify(value))}`);
      }
      out.write(`${parts.join(" ")}\n`);
    },
  };
}

function quote(value: string): string {
  return /^[\w./:@+-]+$/.test(value) ? value : JSON.stringify(value);
}
