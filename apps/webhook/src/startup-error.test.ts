import { describe, expect, it } from "vitest";
import { describeStartupError, StartupError } from "./startup-error.js";

describe("describeStartupError", () => {
  it("gives an operator's error its message and code, on one line, without a stack", () => {
    expect(describeStartupError(new StartupError("ERR_VALUES", "invalid values: bad\n\n  at line 2\n"))).toEqual({
      message: "invalid values: bad at line 2",
      code: "ERR_VALUES",
    });
  });

  it("gives a system error (a missing file, a taken port) its message and errno code, without a stack", () => {
    const error = Object.assign(new Error("ENOENT: no such file or directory, open '/tls.crt'"), {
      code: "ENOENT",
      syscall: "open",
    });
    expect(describeStartupError(error)).toEqual({
      message: "ENOENT: no such file or directory, open '/tls.crt'",
      code: "ENOENT",
    });
  });

  it("keeps the stack of an unexpected error, which a bug report needs", () => {
    const report = describeStartupError(new TypeError("x is undefined"));
    expect(report.message).toBe("x is undefined");
    expect(report.stack).toContain("TypeError: x is undefined");
  });
});
