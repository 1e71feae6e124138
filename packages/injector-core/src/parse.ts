/** Parsers for annotation values, with Go's and Kubernetes' syntax (spec §2.2 "Parsing notes"). */

const GO_TRUE = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const GO_FALSE = new Set(["0", "f", "F", "FALSE", "false", "False"]);

/** Go's `strconv.ParseBool`; `undefined` when the text is not a boolean. */
export function parseGoBool(text: string): boolean | undefined {
  if (GO_TRUE.has(text)) return true;
  if (GO_FALSE.has(text)) return false;
  return undefined;
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's `time.ParseDuration`, in nanoseconds; `undefined` when invalid. */
export function parseGoDuration(text: string): number | undefined {
  let s = text;
  let sign = 1;
  if (s.startsWith("-") || s.startsWith("+")) {
    if (s[0] === "-") sign = -1;
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") return undefined;
  let total = 0;
  const re = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/u;
  while (s.length > 0) {
    const m = re.exec(s);
    if (!m || (m[1] === "" && (m[2] ?? "") === "")) return undefined;
    const unit = DURATION_UNITS[m[3] as string] as number;
    const whole = m[1] === "" ? 0 : Number(m[1]);
    const frac = m[2] ? Number(`0.${m[2]}`) : 0;
    total += (whole + frac) * unit;
    s = s.slice(m[0].length);
  }
  return sign * Math.round(total);
}

/**
 * Formats nanoseconds as Go's `Duration.String()` does.
 *
 * @example
 * formatGoDuration(90e9) // "1m30s"
 */
export function formatGoDuration(ns: number): string {
  if (ns === 0) return "0s";
  const neg = ns < 0;
  let n = Math.abs(ns);
  let out: string;
  if (n < 1e9) {
    const [unit, size] = n < 1e3 ? ["ns", 1] : n < 1e6 ? ["µs", 1e3] : ["ms", 1e6];
    out = `${trimFloat(n / (size as number))}${unit}`;
  } else {
    const h = Math.floor(n / 3600e9);
    n -= h * 3600e9;
    const m = Math.floor(n / 60e9);
    n -= m * 60e9;
    const s = trimFloat(n / 1e9);
    out = h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
  }
  return neg ? `-${out}` : out;
}

function trimFloat(x: number): string {
  return String(Number(x.toFixed(9)));
}

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei)|([numkMGTPE]))?$/;
const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/**
 * A Kubernetes resource quantity (`500m`, `1.5`, `64Mi`) as a number; `undefined` when invalid. Surrounding
 * whitespace is ignored, as the API server's JSON decoding of quantities does: whoever writes the value must write it
 * trimmed. Numbers too large for a double (`1e400`) are refused: nothing could render them back as a quantity.
 */
export function parseQuantity(text: string): number | undefined {
  const m = QUANTITY.exec(text.trim());
  if (!m) return undefined;
  const base = Number(`${m[1]}${m[2]}`);
  let value = base;
  if (m[3]) value = base * 10 ** Number(m[3].slice(1));
  else if (m[4]) value = base * (BINARY[m[4]] as number);
  else if (m[5]) value = base * (DECIMAL[m[5]] as number);
  return Number.isFinite(value) ? value : undefined;
}

const DECIMAL_EXPONENT: Record<string, number> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_EXPONENT: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
/** Fraction digits kept exactly; the rest only says whether it is zero (see `cpuCores`). */
const FRACTION_DIGITS = 100;

/**
 * Whole cores for a CPU quantity, rounded as Linkerd's `ToWholeCPUCores` does: Kubernetes' `Quantity.RoundUp(0)`,
 * i.e. up (away from zero), so that any non-zero amount is at least one core (`1m` → 1, `1000m` → 1, `1001m` → 2,
 * `0.0000001` → 1). Computed on the decimal digits, not on a double, so that no rounding noise moves a value across
 * a whole core. `undefined` when the text is not a quantity or the count is not a safe integer (Linkerd's `AsInt64`
 * fails there too).
 *
 * @example
 * cpuCores("1500m") // 2
 */
export function cpuCores(quantity: string): number | undefined {
  const approx = parseQuantity(quantity);
  if (approx === undefined || Math.abs(approx) > Number.MAX_SAFE_INTEGER) return undefined;
  const m = QUANTITY.exec(quantity.trim()) as RegExpExecArray;
  const [whole = "", fraction = ""] = (m[2] as string).split(".");
  const digits = `${whole}${fraction}`.replace(/^0+/, "");
  if (digits === "") return 0;
  // The quantity is digits × 10^exp10 × 2^exp2.
  let exp10 = -fraction.length;
  let exp2 = 0;
  if (m[3]) exp10 += Number(m[3].slice(1));
  else if (m[4]) exp2 = BINARY_EXPONENT[m[4]] as number;
  else if (m[5]) exp10 += DECIMAL_EXPONENT[m[5]] as number;
  // |value| ≤ 2^53 (checked above), so a non-negative exp10 is small here.
  let units: string;
  let fractionDigits: string;
  if (exp10 >= 0) {
    units = digits + "0".repeat(exp10);
    fractionDigits = "";
  } else {
    const shift = -exp10;
    units = digits.length > shift ? digits.slice(0, digits.length - shift) : "0";
    // Leading zeros of the fraction, counted rather than written: `exp10` may be in the billions.
    const zeros = Math.max(0, shift - digits.length);
    fractionDigits =
      zeros >= FRACTION_DIGITS ? "" : "0".repeat(zeros) + digits.slice(Math.max(0, digits.length - shift));
  }
  const kept = fractionDigits.slice(0, FRACTION_DIGITS).padEnd(FRACTION_DIGITS, "0");
  // Digits past the kept ones (or a fraction too far down to keep) add less than 2^exp2 to `scaled`, a multiple of
  // 2^exp2, and whole cores are multiples of 10^FRACTION_DIGITS, hence of 2^exp2 too (exp2 ≤ 60): such digits can
  // only decide the rounding when the kept digits give a whole number.
  const rest = fractionDigits.length > FRACTION_DIGITS ? /[1-9]/.test(fractionDigits.slice(FRACTION_DIGITS)) : false;
  const tooSmallToKeep = exp10 < 0 && -exp10 - digits.length >= FRACTION_DIGITS;
  const scale = 10n ** BigInt(FRACTION_DIGITS);
  const scaled = (BigInt(units) * scale + BigInt(kept)) << BigInt(exp2);
  const up = scaled % scale !== 0n || rest || tooSmallToKeep ? 1n : 0n;
  const cores = Number(scaled / scale + up);
  if (!Number.isSafeInteger(cores)) return undefined;
  return m[1] === "-" ? -cores : cores;
}

/** A base-10 32-bit integer, as Go's `strconv.ParseInt(s, 10, 32)`. */
export function parseInt32(text: string): number | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= -(2 ** 31) && n < 2 ** 31 ? n : undefined;
}

/** A base-10 64-bit integer within JavaScript's safe range. */
export function parseInt64(text: string): number | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** A port or port range token (`8080`, `5000-6000`), as Linkerd's `ParsePortRange`. */
export function parsePortRange(token: string): { lower: number; upper: number } | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(token);
  if (!m) return undefined;
  const lower = Number(m[1]);
  const upper = m[2] === undefined ? lower : Number(m[2]);
  if (lower > 65535 || upper > 65535 || lower > upper) return undefined;
  return { lower, upper };
}

/** `clusterNetworks` as Linkerd's destination service parses it: the CIDRs of a comma-separated list. */
export type Networks = { ok: true; cidrs: readonly string[] } | { ok: false; invalid: string };

/**
 * Parses a comma-separated CIDR list (`10.0.0.0/8,fd00::/8`); the first entry that is not a CIDR makes it invalid.
 *
 * @example
 * parseNetworks("10.0.0.0/8, 192.168.0.0/16") // { ok: true, cidrs: ["10.0.0.0/8", "192.168.0.0/16"] }
 */
export function parseNetworks(list: string): Networks {
  const cidrs = list.split(",").map((c) => c.trim());
  const invalid = cidrs.find((c) => !isCidr(c));
  return invalid === undefined ? { ok: true, cidrs } : { ok: false, invalid };
}

function isCidr(text: string): boolean {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m) return false;
  const addr = m[1] as string;
  const bits = Number(m[2]);
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(addr)) return bits <= 32 && addr.split(".").every((o) => Number(o) <= 255);
  return /^[0-9a-fA-F:]+$/.test(addr) && addr.includes(":") && bits <= 128;
}
