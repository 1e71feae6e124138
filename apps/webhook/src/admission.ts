/**
 * AdmissionReview decoding and answering (spec §6.2). `admission.k8s.io/v1` and `v1beta1` are wire-identical for
 * what the webhook reads, so one shape serves both; the review is echoed back with its own apiVersion.
 */

/** Deeper JSON than this is refused before any recursive code (the core, JSON.stringify) can overflow the stack.
 * A Pod, managedFields included, nests about 20 levels; the review wrapper adds 3. */
export const MAX_DEPTH = 100;

/**
 * More JSON values than this (counted as `scanJson` counts them) are refused before `JSON.parse`, which spends up to
 * 64 bytes of heap per value (an empty object): 10 MB of `[{},{},…]` is 3.5 million values and 600 MB. A pod the API
 * server can store (etcd keeps at most 1.5 MiB) holds about 100,000 values even when it is nothing but env vars
 * (a 2.9 MB pod of them: 190,000), and an UPDATE carries the object twice.
 */
export const MAX_JSON_VALUES = 500_000;

export interface AdmissionRequest {
  uid: string;
  kind?: { group?: string; version?: string; kind?: string };
  namespace?: string;
  name?: string;
  operation?: string;
  subResource?: string;
  dryRun?: boolean;
  object?: unknown;
  [key: string]: unknown;
}

export interface AdmissionReview {
  apiVersion?: string;
  kind?: string;
  request: AdmissionRequest;
  [key: string]: unknown;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  patchType?: "JSONPatch";
  /** Base64 of the JSON patch. */
  patch?: string;
  status?: { message: string };
  warnings?: string[];
}

export type DecodeResult =
  | {
      ok: true;
      review: AdmissionReview;
      /** The body's size in JSON values (see `scanJson`): what the parsed review costs in memory. */
      values: number;
    }
  | { ok: false; status: 400; message: string };

/**
 * Decodes a request body. Failures carry Linkerd's HTTP status and message prefix: a body that is not a review
 * → 400 `failed to decode admission review request: …`; no request or no uid → 400 `invalid admission review
 * request`. Excessive nesting, an absurd number of values and prototype keys are refused as decode failures: no
 * Kubernetes object has them. Nesting and size are checked on the raw bytes, so that JSON.parse never builds what
 * would then be refused.
 */
export function decodeReview(body: Buffer | string): DecodeResult {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  const scan = scanJson(bytes);
  if (!scan.ok) return decodeFailure(scan.message);
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === "string" ? body : body.toString("utf8"));
  } catch (error) {
    return decodeFailure(error instanceof Error ? error.message : String(error));
  }
  // Nesting was checked on the bytes; a `__proto__` key can only be there if its name is, plainly or with \u escapes.
  const problem = mayHoldProtoKey(bytes) ? inspectJson(parsed) : undefined;
  if (problem !== undefined) return decodeFailure(problem);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return decodeFailure(`expected a JSON object, got ${describe(parsed)}`);
  }
  const review = parsed as Record<string, unknown>;
  for (const field of ["apiVersion", "kind"] as const) {
    if (review[field] !== undefined && review[field] !== null && typeof review[field] !== "string") {
      return decodeFailure(`${field} must be a string, got ${describe(review[field])}`);
    }
  }
  const request = review["request"];
  if (request === undefined || request === null) return invalid();
  if (typeof request !== "object" || Array.isArray(request)) {
    return decodeFailure(`request must be an object, got ${describe(request)}`);
  }
  const req = request as Record<string, unknown>;
  const typeProblem = checkRequestTypes(req);
  if (typeProblem !== undefined) return decodeFailure(typeProblem);
  if (req["uid"] === undefined || req["uid"] === null || req["uid"] === "") return invalid();
  return { ok: true, review: review as AdmissionReview, values: scan.values };
}

export type ReviewGate =
  | { review: true }
  | { review: false; reason: "operation_not_create" | "subresource"; detail: string };

/**
 * Whether a request is one the injector mutates: the CREATE of an object itself, never a subresource. The webhook
 * is registered for exactly that (deploy/, spec §6.7), but a wider registration, or a change to it, must not make
 * it rewrite pods on UPDATE, refuse DELETEs (they carry no object), or inject a pod through
 * `pods/ephemeralcontainers`. Anything else is allowed unchanged.
 */
export function shouldReview(request: AdmissionRequest): ReviewGate {
  if (request.operation !== "CREATE") {
    return { review: false, reason: "operation_not_create", detail: `operation ${request.operation ?? "(none)"}` };
  }
  // `?? ""`: decoding lets null through for any string field, as Go's decoding does.
  if ((request.subResource ?? "") !== "") {
    return { review: false, reason: "subresource", detail: `subresource ${request.subResource}` };
  }
  return { review: true };
}

// The fields Linkerd's typed decoding would reject with a type error; the others are passed through untouched.
function checkRequestTypes(req: Record<string, unknown>): string | undefined {
  const strings = ["uid", "namespace", "name", "operation", "subResource"];
  for (const field of strings) {
    const value = req[field];
    if (value !== undefined && value !== null && typeof value !== "string") {
      return `request.${field} must be a string, got ${describe(value)}`;
    }
  }
  const dryRun = req["dryRun"];
  if (dryRun !== undefined && dryRun !== null && typeof dryRun !== "boolean") {
    return `request.dryRun must be a boolean, got ${describe(dryRun)}`;
  }
  const kind = req["kind"];
  if (kind !== undefined && kind !== null) {
    if (typeof kind !== "object" || Array.isArray(kind)) return `request.kind must be an object, got ${describe(kind)}`;
    for (const [key, value] of Object.entries(kind)) {
      if (typeof value !== "string") return `request.kind.${key} must be a string, got ${describe(value)}`;
    }
  }
  return undefined;
}

export type ScanResult = { ok: true; values: number } | { ok: false; message: string };

/**
 * One pass over the raw bytes of a JSON text, before anything parses it: refuses nesting deeper than `maxDepth` and
 * more than `maxValues` values. Values are counted as containers opened plus commas outside strings: every value
 * but the first of each container follows a comma, so this is within a factor of two of the true count and never
 * below the values that cost memory. Malformed JSON is left for JSON.parse to describe.
 */
export function scanJson(
  bytes: Uint8Array,
  limits: { maxDepth: number; maxValues: number } = { maxDepth: MAX_DEPTH, maxValues: MAX_JSON_VALUES },
): ScanResult {
  let depth = 0;
  let values = 0;
  const end = bytes.length;
  for (let i = 0; i < end; i++) {
    const byte = bytes[i];
    if (byte === QUOTE) {
      i = closingQuote(bytes, i + 1);
      if (i < 0) break;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > limits.maxDepth) return { ok: false, message: `nesting deeper than ${limits.maxDepth} levels` };
      if (++values > limits.maxValues) return { ok: false, message: `more than ${limits.maxValues} JSON values` };
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
    } else if (byte === COMMA) {
      if (++values > limits.maxValues) return { ok: false, message: `more than ${limits.maxValues} JSON values` };
    }
  }
  return { ok: true, values };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** The index of the quote that closes a string whose content starts at `from`, or -1 when it never closes. */
function closingQuote(bytes: Uint8Array, from: number): number {
  // indexOf is native: strings (annotations, certificates) are most of a large pod's bytes.
  for (let at = bytes.indexOf(QUOTE, from); at >= 0; at = bytes.indexOf(QUOTE, at + 1)) {
    let backslashes = 0;
    while (at - backslashes - 1 >= from && bytes[at - backslashes - 1] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
  return -1;
}

/**
 * Whether a JSON text could hold a `__proto__` key: it names it, or it has a `\u` escape, the only way to spell any of
 * its characters otherwise. Most reviews have neither, and are not walked once more after parsing.
 */
function mayHoldProtoKey(bytes: Buffer): boolean {
  return bytes.includes("__proto__") || bytes.includes("\\u");
}

/**
 * Refuses `__proto__` keys and nesting deeper than MAX_DEPTH in parsed JSON. Recursive, but never deeper than
 * MAX_DEPTH + 1 frames: it stops at the limit.
 */
export function inspectJson(root: unknown): string | undefined {
  return inspectValue(root, 1);
}

function inspectValue(value: unknown, depth: number): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  if (depth > MAX_DEPTH) return `nesting deeper than ${MAX_DEPTH} levels`;
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = inspectValue(item, depth + 1);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  for (const key in value) {
    // JSON.parse makes "__proto__" an own property, harmless until some merge assigns it: refuse it at the door.
    if (key === "__proto__") return 'key "__proto__" is not allowed';
    const problem = inspectValue((value as Record<string, unknown>)[key], depth + 1);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function decodeFailure(reason: string): DecodeResult {
  return { ok: false, status: 400, message: `failed to decode admission review request: ${reason}` };
}

function invalid(): DecodeResult {
  return { ok: false, status: 400, message: "invalid admission review request" };
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

/**
 * The answer, in the apiVersion the review was asked in (spec §6.2). Linkerd echoes the whole request back as well;
 * the API server reads only `response`, so we leave the request out: it would double the bytes (and the TLS work)
 * of every answer.
 */
export function answerReview(
  review: AdmissionReview,
  response: AdmissionResponse,
): { apiVersion: string; kind: string; response: AdmissionResponse } {
  return {
    apiVersion: review.apiVersion ?? "admission.k8s.io/v1",
    kind: review.kind ?? "AdmissionReview",
    response,
  };
}

/**
 * The answer's body: the bytes of `JSON.stringify(answerReview(review, response))`, in one buffer, with the patch
 * copied in rather than escaped: base64 needs no escaping, and at about 12 kB for a pod it is most of the answer,
 * which JSON.stringify would scan once more and the socket would encode once more.
 */
export function answerBody(review: AdmissionReview, response: AdmissionResponse): Buffer {
  const { patch, warnings } = response;
  const keys = Object.keys(response);
  const at = keys.indexOf("patch");
  // The splice keeps JSON.stringify's key order only when the patch comes last but for the warnings, as
  // review.ts builds it; any other shape is stringified whole.
  const last = at === keys.length - 1 || (at === keys.length - 2 && keys[keys.length - 1] === "warnings");
  if (patch === undefined || at < 0 || !last) return Buffer.from(JSON.stringify(answerReview(review, response)));
  // `…,"patchType":"JSONPatch"}}`: the response object and the review close the text.
  // The response but its patch and warnings, field by field (object rest copies outlived young-generation
  // collections on Node 20, as spread ones did: see review.ts).
  const head: Record<string, unknown> = {};
  for (const key of keys)
    if (key !== "patch" && key !== "warnings") head[key] = response[key as keyof AdmissionResponse];
  const before = `${JSON.stringify(answerReview(review, head as unknown as AdmissionResponse)).slice(0, -2)},"patch":"`;
  const after = `"${warnings !== undefined ? `,"warnings":${JSON.stringify(warnings)}` : ""}}}`;
  const body = Buffer.allocUnsafe(Buffer.byteLength(before) + patch.length + Buffer.byteLength(after));
  let offset = body.write(before, 0);
  offset += body.write(patch, offset, "latin1");
  body.write(after, offset);
  return body;
}
