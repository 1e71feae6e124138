import { describe, expect, it } from "vitest";
import { batchPerTurn, createLogger, MAX_LOG_MESSAGE, MAX_LOG_VALUE } from "./logger.js";

function capture(format: "json" | "plain") {
  const lines: string[] = [];
  const logger = createLogger({ level: "debug", format, out: { write: (line) => lines.push(line) } });
  return { logger, lines };
}

describe("log values from requests are clipped", () => {
  const huge = "n".repeat(2 * 1024 * 1024);

  it.each(["json", "plain"] as const)("clips long field values and messages (%s)", (format) => {
    const { logger, lines } = capture(format);
    logger.info({ uid: huge, name: "web", warnings: [huge], nested: { deeper: { name: huge } } }, `review "${huge}"`);
    expect(lines).toHaveLength(1);
    const line = lines[0] ?? "";
    expect(line.length).toBeLessThan(4 * MAX_LOG_VALUE + MAX_LOG_MESSAGE + 1000);
    expect(line).toContain(`${"n".repeat(MAX_LOG_VALUE)}…(${huge.length - MAX_LOG_VALUE} more characters)`);
    expect(line).toContain("web");
  });

  it("keeps short values exactly as they are", () => {
    const { logger, lines } = capture("json");
    const fields = { uid: "0a6f4e53", kind: "pod", warnings: ["a", "b"], n: 3 };
    logger.info(fields, "admission review");
    expect(JSON.parse(lines[0] ?? "")).toMatchObject({ ...fields, msg: "admission review" });
  });

  it("keeps a Kubernetes name of the longest legal length whole", () => {
    const { logger, lines } = capture("json");
    const name = "a".repeat(253);
    logger.info({ name }, "admission review");
    expect(JSON.parse(lines[0] ?? "")).toMatchObject({ name });
  });

  it("clips an error's message and stack, logged as a field or alone", () => {
    const { logger, lines } = capture("json");
    const error = new Error(`namespace "${huge}" not found`);
    logger.error({ err: error }, "failed");
    logger.error(error);
    for (const line of lines) {
      expect(line.length).toBeLessThan(4 * MAX_LOG_VALUE + MAX_LOG_MESSAGE + 1000);
      const record = JSON.parse(line) as { err: { type: string; message: string } };
      expect(record.err.type).toBe("Error");
      expect(record.err.message).toMatch(/^namespace "n+…\(\d+ more characters\)$/);
    }
    expect(JSON.parse(lines[1] ?? "").msg).toMatch(/^namespace "n+…\(\d+ more characters\)$/);
  });

  it("keeps the first entries of a long list and says how many were left out", () => {
    const { logger, lines } = capture("json");
    logger.info({ warnings: Array.from({ length: 100_000 }, (_, i) => `w${i}`) }, "m");
    const warnings = (JSON.parse(lines[0] ?? "") as { warnings: string[] }).warnings;
    expect(warnings).toHaveLength(33);
    expect(warnings.at(-1)).toBe("…(99968 more)");
  });

  it("keeps a __proto__ key a key", () => {
    const { logger, lines } = capture("json");
    const fields = JSON.parse(`{"labels":{"__proto__":"${"x".repeat(MAX_LOG_VALUE + 1)}"}}`) as Record<string, unknown>;
    logger.info(fields, "m");
    expect(({} as Record<string, unknown>)["x"]).toBeUndefined();
    expect(Object.keys((JSON.parse(lines[0] ?? "") as { labels: object }).labels)).toEqual(["__proto__"]);
  });
});

describe("batchPerTurn", () => {
  it("writes the lines of one turn of the event loop in one write, in order, once the turn is over", async () => {
    const writes: string[] = [];
    const out = batchPerTurn({ write: (text) => writes.push(text) });
    const logger = createLogger({ level: "info", format: "json", out });
    for (let i = 0; i < 16; i++) logger.info({ i }, "admission review");
    expect(writes).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toHaveLength(1);
    const lines = (writes[0] as string).split("\n").filter((line) => line !== "");
    expect(lines.map((line) => (JSON.parse(line) as { i: number }).i)).toEqual([...Array(16).keys()]);
    logger.info({ i: 16 }, "next turn");
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toHaveLength(2);
    expect(writes[1]).toContain('"i":16');
  });

  it("writes at once when what it holds reaches its limit, and holds nothing after a flush", () => {
    const writes: string[] = [];
    const pending: (() => void)[] = [];
    const out = batchPerTurn(
      { write: (text) => writes.push(text) },
      { maxChars: 10, schedule: (run) => pending.push(run) },
    );
    out.write("12345\n");
    expect(writes).toEqual([]);
    out.write("67890\n");
    expect(writes).toEqual(["12345\n67890\n"]);
    out.write("a\n");
    // One scheduled write per turn, however many lines the turn logs.
    expect(pending).toHaveLength(1);
    out.flush();
    expect(writes).toEqual(["12345\n67890\n", "a\n"]);
    for (const run of pending.splice(0)) run();
    expect(writes).toHaveLength(2);
  });

  it("is flushed by the logger's flush, as main's start-up failure and shutdown call it", () => {
    const writes: string[] = [];
    const logger = createLogger({
      level: "info",
      format: "plain",
      out: batchPerTurn({ write: (text) => writes.push(text) }, { schedule: () => undefined }),
    });
    logger.fatal("cannot start: port taken");
    expect(writes).toEqual([]);
    logger.flush();
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/level=fatal msg="cannot start: port taken"/);
  });
});
