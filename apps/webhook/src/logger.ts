import { pino, type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "./flags.js";

/** Where log lines go. `flush`, when there is one, writes out what it holds (pino's `logger.flush()` calls it). */
export interface LineSink {
  write(line: string): unknown;
  flush?(): void;
}

export interface LoggerOptions {
  level: LogLevel;
  format: "plain" | "json";
  /** Where lines go (stderr, batched per turn, in main; a memory sink in tests). */
  out: LineSink;
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
  const { out } = options;
  const destination: DestinationStream & { flush(done?: () => void): void } = {
    ...(options.format === "json" ? { write: (line: string) => void out.write(line) } : plainDestination(out)),
    flush(done) {
      out.flush?.();
      done?.();
    },
  };
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

/**
 * A sink that holds the lines written during one turn of the event loop and writes them out together once the turn's
 * callbacks have run (`setImmediate`), or as soon as they reach `maxChars` characters. Node writes stderr synchronously when it
 * is a pipe or a file, one system call per write; under load a turn serves about 16 reviews, each logging a line, and
 * on the reference machine each such write cost about 3 µs, as much as the line's formatting. A line waits at most
 * one turn; what is held when the process exits is written by the `exit` handler main.ts installs.
 */
export function batchPerTurn(
  out: { write(text: string): unknown },
  options: { maxChars?: number; schedule?: (run: () => void) => void } = {},
): LineSink & { flush(): void } {
  const maxChars = options.maxChars ?? 64 * 1024;
  const schedule = options.schedule ?? ((run: () => void) => void setImmediate(run));
  let held: string[] = [];
  let chars = 0;
  let scheduled = false;
  const flush = () => {
    if (held.length === 0) return;
    const text = held.length === 1 ? (held[0] as string) : held.join("");
    held = [];
    chars = 0;
    out.write(text);
  };
  return {
    write(line) {
      held.push(line);
      chars += line.length;
      if (chars >= maxChars) {
        flush();
        return;
      }
      if (!scheduled) {
        scheduled = true;
        schedule(() => {
          scheduled = false;
          flush();
        });
      }
    },
    flush,
  };
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
