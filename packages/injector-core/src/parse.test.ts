import { describe, expect, it } from "vitest";
import { cpuCores, formatGoDuration, parseGoBool, parseGoDuration, parsePortRange, parseQuantity } from "./parse.js";

describe("parsers", () => {
  it("reads Go booleans", () => {
    expect(["1", "t", "TRUE", "True"].map(parseGoBool)).toEqual([true, true, true, true]);
    expect(["0", "f", "false"].map(parseGoBool)).toEqual([false, false, false]);
    expect(parseGoBool("yes")).toBeUndefined();
  });

  it("reads Go durations", () => {
    expect(parseGoDuration("6s5ms")).toBe(6_005_000_000);
    expect(parseGoDuration("1.5h")).toBe(5_400_000_000_000);
    expect(parseGoDuration("0")).toBe(0);
    expect(parseGoDuration("10")).toBeUndefined();
    expect(parseGoDuration("")).toBeUndefined();
  });

  it("formats Go durations", () => {
    expect(formatGoDuration(60e9)).toBe("1m0s");
    expect(formatGoDuration(90e9)).toBe("1m30s");
    expect(formatGoDuration(1.5e9)).toBe("1.5s");
    expect(formatGoDuration(300e6)).toBe("300ms");
    expect(formatGoDuration(3600e9)).toBe("1h0m0s");
  });

  it("reads quantities and rounds CPU up to whole cores", () => {
    expect(parseQuantity("500m")).toBe(0.5);
    expect(parseQuantity("64Mi")).toBe(64 * 2 ** 20);
    expect(parseQuantity("1e3")).toBe(1000);
    expect(parseQuantity("lots")).toBeUndefined();
    expect(["1m", "1000m", "1001m", "0.5", "1.5"].map(cpuCores)).toEqual([1, 1, 2, 1, 2]);
  });

  it("reads port ranges", () => {
    expect(parsePortRange("80")).toEqual({ lower: 80, upper: 80 });
    expect(parsePortRange("5000-6000")).toEqual({ lower: 5000, upper: 6000 });
    expect(parsePortRange("6000-5000")).toBeUndefined();
    expect(parsePortRange("70000")).toBeUndefined();
    expect(parsePortRange("http")).toBeUndefined();
  });
});
