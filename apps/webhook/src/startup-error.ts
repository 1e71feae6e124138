/**
 * A failure to start that an operator can fix (a missing file, a taken port, invalid values): reported as one line,
 * its message, never with a stack trace.
 */
export class StartupError extends Error {
  readonly code: string;

  constructor(code: `ERR_${string}`, message: string) {
    super(message);
    this.name = "StartupError";
    this.code = code;
  }
}

export interface StartupErrorReport {
  message: string;
  code?: string;
  /** Only for an error nobody expected (a bug), whose stack is what a report of it needs. */
  stack?: string;
}

/**
 * What the one start-up line says about `error`. Node's system errors (`ENOENT`, `EADDRINUSE`, `EACCES`, ...) name
 * their file or address in the message already, so that they need no stack either.
 */
export function describeStartupError(error: unknown): StartupErrorReport {
  if (error instanceof StartupError) return { message: oneLine(error.message), code: error.code };
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === "string" && (error as NodeJS.ErrnoException).syscall !== undefined) {
      return { message: oneLine(error.message), code };
    }
    return { message: oneLine(error.message), ...(error.stack !== undefined ? { stack: error.stack } : {}) };
  }
  return { message: oneLine(String(error)) };
}

/** Messages can hold line breaks (a YAML parser's excerpt): the line stays one line. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}
