import { pino, type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "./flags.js";

export interface LoggerOptions {
  level: LogLevel;
  format: "plain" | "json";
  /** Where lines go (stderr in main, a memory sink in tests). */
  out: { write(line: string): unknown };
}

/**
 * The longest string a log line carries as a field value. Names, uids, kinds and error messages can echo a request,
 * and a request can hold megabytes: a 2 MB pod name once made a 4 MB log line. A Kubernetes name is at most 253
 * characters, so real ones pass whole.
 */
export const MAX_LOG_VALUE = 256;
/** Messages are ours, but some embed a value from the request (a uid, an error). */
export const MAX_LOG_MESSAGE = 1024;
/** Entries kept of an array or object field, and levels kept of nested ones. */
const MAX_LOG_ENTRIES = 32;
const MAX_LOG_DEPTH = 4;

/**
 * pino, writing JSON lines, or with `plain` logrus-style text (`time=… level=info msg="…" key=value`) as
 * Linkerd's controllers print by default, without a pretty-printer dependency. Every string is clipped here, once,
 * for all call sites (see MAX_LOG_VALUE).
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
      // Errors are serialised (and clipped) by the hook below already; pino's serializer would re-type them "Object".
      serializers: { err: (value: unknown) => value },
      hooks: {
        logMethod(args, method) {
          method.apply(this, clipLogArguments(args) as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}

/** pino's arguments (`[fields?, message?, ...]`) with every string clipped and every Error serialised and clipped. */
export function clipLogArguments(args: readonly unknown[]): unknown[] {
  const out = args.slice();
  let first = 0;
  const head = out[0];
  if (head instanceof Error) {
    // pino would log it under `err` with its message as the message: do the same, clipped.
    out[0] = { err: clipValue(pino.stdSerializers.err(head), MAX_LOG_VALUE, 1) };
    if (typeof out[1] !== "string") out.splice(1, 0, clip(head.message, MAX_LOG_MESSAGE));
    first = 1;
  } else if (typeof head === "object" && head !== null) {
    out[0] = clipValue(head, MAX_LOG_VALUE, 0);
    first = 1;
  }
  for (let i = first; i < out.length; i++) {
    const arg = out[i];
    out[i] = typeof arg === "string" ? clip(arg, MAX_LOG_MESSAGE) : clipValue(arg, MAX_LOG_VALUE, 1);
  }
  return out;
}

/** A copy of `value` with long strings, long lists and deep nesting cut; `value` itself when nothing needed cutting. */
function clipValue(value: unknown, limit: number, depth: number): unknown {
  if (typeof value === "string") return clip(value, limit);
  if (typeof value !== "object" || value === null) return value;
  // Every review logs a line of short fields: looking costs less than copying them.
  if (!needsClipping(value, limit, depth)) return value;
  if (value instanceof Error) return clipValue(pino.stdSerializers.err(value), limit, depth);
  if (depth > MAX_LOG_DEPTH) return "[…]";
  if (Array.isArray(value)) {
    let changed = value.length > MAX_LOG_ENTRIES;
    const kept = value.slice(0, MAX_LOG_ENTRIES).map((item: unknown) => {
      const next = clipValue(item, limit, depth + 1);
      if (next !== item) changed = true;
      return next;
    });
    if (!changed) return value;
    if (value.length > MAX_LOG_ENTRIES) kept.push(`…(${value.length - MAX_LOG_ENTRIES} more)`);
    return kept;
  }
  const entries = Object.entries(value);
  let changed = entries.length > MAX_LOG_ENTRIES;
  const kept = entries.slice(0, MAX_LOG_ENTRIES).map(([key, item]): [string, unknown] => {
    const clippedKey = clip(key, limit);
    const next = clipValue(item, limit, depth + 1);
    if (next !== item || clippedKey !== key) changed = true;
    return [clippedKey, next];
  });
  if (!changed) return value;
  if (entries.length > MAX_LOG_ENTRIES) kept.push(["…", `${entries.length - MAX_LOG_ENTRIES} more`]);
  // fromEntries defines properties: a "__proto__" key stays a key.
  return Object.fromEntries(kept);
}

/** Whether `clipValue` would change anything in `value` (an object), without copying it. */
function needsClipping(value: object, limit: number, depth: number): boolean {
  if (value instanceof Error || depth > MAX_LOG_DEPTH) return true;
  if (Array.isArray(value)) {
    if (value.length > MAX_LOG_ENTRIES) return true;
    for (const item of value) if (itemNeedsClipping(item, limit, depth + 1)) return true;
    return false;
  }
  let entries = 0;
  for (const key of Object.keys(value)) {
    if (++entries > MAX_LOG_ENTRIES || key.length > limit) return true;
    if (itemNeedsClipping((value as Record<string, unknown>)[key], limit, depth + 1)) return true;
  }
  return false;
}

function itemNeedsClipping(item: unknown, limit: number, depth: number): boolean {
  if (typeof item === "string") return item.length > limit;
  return typeof item === "object" && item !== null && needsClipping(item, limit, depth);
}

function clip(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}…(${text.length - limit} more characters)`;
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
