/**
 * AdmissionReview decoding and answering (spec §6.2). `admission.k8s.io/v1` and `v1beta1` are wire-identical for
 * what the webhook reads, so one shape serves both; the review is echoed back with its own apiVersion.
 */

/** Deeper JSON than this is refused before any recursive code (the core, JSON.stringify) can overflow the stack.
 * A Pod, managedFields included, nests about 20 levels; the review wrapper adds 3. */
export const MAX_DEPTH = 100;

export interface AdmissionRequest {
  uid: string;
  kind?: { group?: string; version?: string; kind?: string };
  namespace?: string;
  name?: string;
  operation?: string;
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
  | { ok: true; review: AdmissionReview }
  | { ok: false; status: 400; message: string };

/**
 * Decodes a request body. Failures carry Linkerd's HTTP status and message prefix: a body that is not a review
 * → 400 `failed to decode admission review request: …`; no request or no uid → 400 `invalid admission review
 * request`. Prototype keys and excessive nesting are refused as decode failures: no Kubernetes object has them.
 */
export function decodeReview(body: Buffer | string): DecodeResult {
  const text = typeof body === "string" ? body : body.toString("utf8");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return decodeFailure(error instanceof Error ? error.message : String(error));
  }
  const problem = inspectJson(parsed);
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
  return { ok: true, review: review as AdmissionReview };
}

// The fields Linkerd's typed decoding would reject with a type error; the others are passed through untouched.
function checkRequestTypes(req: Record<string, unknown>): string | undefined {
  const strings = ["uid", "namespace", "name", "operation"];
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

/** Walks the parsed JSON without recursion: refuses `__proto__` keys and nesting deeper than MAX_DEPTH. */
export function inspectJson(root: unknown): string | undefined {
  const stack: { value: unknown; depth: number }[] = [{ value: root, depth: 1 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop() as { value: unknown; depth: number };
    if (typeof value !== "object" || value === null) continue;
    if (depth > MAX_DEPTH) return `nesting deeper than ${MAX_DEPTH} levels`;
    if (Array.isArray(value)) {
      for (const item of value) stack.push({ value: item, depth: depth + 1 });
      continue;
    }
    for (const key of Object.keys(value)) {
      // JSON.parse makes "__proto__" an own property, harmless until some merge assigns it: refuse it at the door.
      if (key === "__proto__") return 'key "__proto__" is not allowed';
      stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1 });
    }
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
