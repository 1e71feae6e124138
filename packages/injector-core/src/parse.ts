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
  "µs": 1e3,
  "μs": 1e3,
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
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A Kubernetes resource quantity (`500m`, `1.5`, `64Mi`) as a number; `undefined` when invalid. */
export function parseQuantity(text: string): number | undefined {
  const m = QUANTITY.exec(text.trim());
  if (!m) return undefined;
  const base = Number(`${m[1]}${m[2]}`);
  if (m[3]) return base * 10 ** Number(m[3].slice(1));
  if (m[4]) return base * (BINARY[m[4]] as number);
  if (m[5]) return base * (DECIMAL[m[5]] as number);
  return base;
}

/** Whole cores for a CPU quantity, rounding up as Linkerd does (`1001m` → 2, `0.5` → 1). */
export function cpuCores(quantity: string): number | undefined {
  const v = parseQuantity(quantity);
  if (v === undefined) return undefined;
  // Milli-precision first, so that float noise (0.1 * 3) does not round 300m up to 1 too eagerly.
  return Math.ceil(Math.round(v * 1000) / 1000);
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
