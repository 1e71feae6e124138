import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  answerReview,
  answerBody,
  decodeReview,
  MAX_DEPTH,
  MAX_JSON_VALUES,
  scanJson,
  type AdmissionResponse,
  type AdmissionReview,
} from "./admission.js";

const scan = (text: string, limits?: { maxDepth: number; maxValues: number }) => scanJson(Buffer.from(text), limits);

/** Nesting depth of a JSON value as scanJson counts it: containers only. */
function depthOf(value: unknown): number {
  if (typeof value !== "object" || value === null) return 0;
  const items = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...items.map(depthOf));
}

function valuesOf(value: unknown): number {
  if (typeof value !== "object" || value === null) return 1;
  const items = Array.isArray(value) ? value : Object.values(value);
  return 1 + items.reduce<number>((n, item) => n + valuesOf(item), 0);
}

describe("scanJson", () => {
  it("counts containers and the commas between elements", () => {
    expect(scan('{"a":[1,2,{}],"b":null}')).toEqual({ ok: true, values: 6 });
  });

  it("skips brackets, commas and escaped quotes inside strings", () => {
    expect(scan('{"a":"[,{\\"]}","b\\\\":"x"}')).toEqual({ ok: true, values: 2 });
  });

  it("refuses nesting deeper than the limit from the bytes alone", () => {
    expect(scan("[".repeat(MAX_DEPTH + 1))).toEqual({ ok: false, message: `nesting deeper than ${MAX_DEPTH} levels` });
    expect(scan(`${"[".repeat(MAX_DEPTH)}${"]".repeat(MAX_DEPTH)}`)).toMatchObject({ ok: true });
  });

  it("refuses more values than the limit", () => {
    expect(scan("[1,2,3,4]", { maxDepth: 10, maxValues: 3 })).toEqual({
      ok: false,
      message: "more than 3 JSON values",
    });
    expect(scan("[1,2,3]", { maxDepth: 10, maxValues: 3 })).toEqual({ ok: true, values: 3 });
  });

  it("leaves malformed JSON to JSON.parse", () => {
    expect(scan('{"a": "never closed')).toMatchObject({ ok: true });
    expect(scan("]]]")).toMatchObject({ ok: true });
  });

  it("agrees with the parsed value on depth, and counts within a factor of two of its values", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 8 }), (value, maxDepth) => {
        const text = JSON.stringify(value);
        const result = scan(text, { maxDepth, maxValues: Number.MAX_SAFE_INTEGER });
        expect(result.ok).toBe(depthOf(value) <= maxDepth);
        const counted = scan(text, { maxDepth: 100, maxValues: Number.MAX_SAFE_INTEGER });
        if (!counted.ok) throw new Error(counted.message);
        expect(counted.values).toBeLessThanOrEqual(2 * valuesOf(value));
        expect(counted.values).toBeGreaterThanOrEqual(valuesOf(value) - 1);
      }),
      { numRuns: 300 },
    );
  });
});

describe("decodeReview", () => {
  it("reports the values it counted, for the in-flight budget", () => {
    const decoded = decodeReview('{"request":{"uid":"u","object":{"kind":"Pod"}}}');
    // Three containers and one comma.
    expect(decoded).toMatchObject({ ok: true, values: 4 });
  });

  it("refuses a body over the value limit as a decode failure", () => {
    const body = `{"request":{"uid":"u","object":[${"0,".repeat(MAX_JSON_VALUES)}0]}}`;
    expect(decodeReview(body)).toEqual({
      ok: false,
      status: 400,
      message: `failed to decode admission review request: more than ${MAX_JSON_VALUES} JSON values`,
    });
  });
});

describe("answerBody", () => {
  const review = (apiVersion?: string): AdmissionReview => ({
    ...(apiVersion !== undefined ? { apiVersion } : {}),
    kind: "AdmissionReview",
    request: { uid: "u" },
  });
  const patch = Buffer.from('[{"op":"add","path":"/a","value":"\\"quoted\\" ✓"}]').toString("base64");
  const responses: [string, AdmissionResponse][] = [
    ["allowed", { uid: 'a "uid" \\ ✓', allowed: true }],
    ["refused", { uid: "u", allowed: false, status: { message: 'no "namespace"\n' } }],
    ["warned", { uid: "u", allowed: true, warnings: ['pod "x" not injected'] }],
    ["patched", { uid: "u", allowed: true, patchType: "JSONPatch", patch }],
    ["patched, a uid beyond ASCII", { uid: "ü ✓ \u2028", allowed: true, patchType: "JSONPatch", patch }],
    ["patched and warned", { uid: "u", allowed: true, patchType: "JSONPatch", patch, warnings: ['a "b"', "c"] }],
    // Not a shape review.ts builds: the patch is not last, and the splice must not be taken.
    ["patch before other fields", { patch, uid: "u", allowed: true, patchType: "JSONPatch" }],
  ];
  for (const [name, response] of responses) {
    it(`writes what JSON.stringify writes: ${name}`, () => {
      for (const r of [review("admission.k8s.io/v1beta1"), review()]) {
        expect(answerBody(r, response).toString("utf8")).toBe(JSON.stringify(answerReview(r, response)));
      }
    });
  }
});
