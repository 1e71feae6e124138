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

  it("ignores spaces around a quantity", () => {
    expect(parseQuantity(" 2 ")).toBe(2);
    expect(cpuCores("\t1500m\n")).toBe(2);
  });

  it("refuses quantities too large for a number", () => {
    expect(parseQuantity("1e400")).toBeUndefined();
    expect(parseQuantity("-1e400")).toBeUndefined();
    expect(parseQuantity(`${"9".repeat(400)}E`)).toBeUndefined();
    expect(cpuCores("1e400")).toBeUndefined();
  });

  it("refuses CPU quantities of more cores than a safe integer", () => {
    expect(cpuCores("1e300")).toBeUndefined();
    expect(cpuCores("9007199254740993")).toBeUndefined();
    expect(cpuCores("9007199254740991")).toBe(9007199254740991);
  });

  it("rounds any CPU above zero up to at least one core, as Kubernetes' RoundUp", () => {
    expect(["0.0000001", "1n", "1e-400", "1e-99999999999", `0.${"0".repeat(200)}1`].map(cpuCores)).toEqual([
      1, 1, 1, 1, 1,
    ]);
    expect(["0", "0m", "0.000", "-0"].map(cpuCores)).toEqual([0, 0, 0, 0]);
  });

  it("rounds CPU exactly at whole cores, without floating-point noise", () => {
    // As doubles, 1001m is 1.0010000000000001 and 3000m * 0.001 could land either side of 3.
    expect(
      ["3000m", "3000000u", "3000000000n", "0.003k", "3.000", "30e-1", "2.9999999999999999999"].map(cpuCores),
    ).toEqual([3, 3, 3, 3, 3, 3, 3]);
    expect(["3001m", "3.0000000000000000001", "3000000001n"].map(cpuCores)).toEqual([4, 4, 4]);
  });

  it("rounds binary CPU quantities exactly", () => {
    expect(["1Ki", "0.5Ki", "0.0009765625Ki", "1.0009765625Ki"].map(cpuCores)).toEqual([1024, 512, 1, 1025]);
    // 2^-10 Ki is exactly 1; one more digit far down the fraction tips it over.
    expect(cpuCores(`0.0009765625${"0".repeat(120)}1Ki`)).toBe(2);
  });

  it("rounds negative CPU away from zero, as Kubernetes' RoundUp", () => {
    expect(["-0.5", "-1001m"].map(cpuCores)).toEqual([-1, -2]);
  });

  it("reads port ranges", () => {
    expect(parsePortRange("80")).toEqual({ lower: 80, upper: 80 });
    expect(parsePortRange("5000-6000")).toEqual({ lower: 5000, upper: 6000 });
    expect(parsePortRange("6000-5000")).toBeUndefined();
    expect(parsePortRange("70000")).toBeUndefined();
    expect(parsePortRange("http")).toBeUndefined();
  });
});
