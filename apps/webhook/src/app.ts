import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { answerBody, decodeReview, shouldReview, type AdmissionReview } from "./admission.js";
import type { ReviewOutcome } from "./metrics.js";
import { reviewRequest, type ReviewDeps, type ReviewResult } from "./review.js";

/** Linkerd reads at most 10 MB of a review (controller/webhook/server.go). */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Heap V8 spends per parsed JSON value at most: an empty object, measured on Node 20 (a pod of env vars: 39). */
export const BYTES_PER_VALUE = 64;

/** What one process takes on at once. Excess is answered at once with 503, never queued. */
export interface ServingLimits {
  /** The largest body read. */
  maxBodyBytes: number;
  /**
   * Memory the reviews in flight may hold: each body counts its bytes while it is read, plus BYTES_PER_VALUE per
   * JSON value once decoded (what the parsed review holds while its look-ups run).
   */
  maxInflightBytes: number;
  /** Requests being read or reviewed at once. */
  maxConcurrentReviews: number;
}

/**
 * 64 MiB holds the largest review the limits let through (10 MB plus 500,000 values) with room to spare, and
 * hundreds of ordinary pods (about 40 kB each); 512 covers a ReplicaSet's slow-start burst (up to 256 pod creations
 * at once per controller) several times.
 */
export const DEFAULT_LIMITS: ServingLimits = {
  maxBodyBytes: MAX_BODY_BYTES,
  maxInflightBytes: 64 * 1024 * 1024,
  maxConcurrentReviews: 512,
};

export interface AppDeps extends ReviewDeps {
  logger: Logger;
  /** Milliseconds, monotonic (`performance.now`): only differences are used. */
  clock: () => number;
  /** Defaults: DEFAULT_LIMITS. */
  limits?: Partial<ServingLimits> | undefined;
}

/** Takes `bytes` from the in-flight budget of one request; false (and nothing taken) when the budget cannot. */
type Hold = (bytes: number) => boolean;

/** A node:http request listener (for node:https too). */
export type AdmissionHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The admission webhook as a plain node:http request listener: any method, any path (the
 * MutatingWebhookConfiguration posts to `/`). Holds all request handling; `main.ts` only adds TLS, ports and
 * signals. No framework: routing, body parsing and `send()` were a measurable share of each review (README,
 * Benchmarks), and one path needs none of them.
 */
export function createApp(deps: AppDeps): AdmissionHandler {
  const limits: ServingLimits = { ...DEFAULT_LIMITS, ...deps.limits };
  const inflight = { reviews: 0, bytes: 0 };
  return (req, res) => {
    if (inflight.reviews >= limits.maxConcurrentReviews) {
      // Never queued: a queue would only move the memory and the wait elsewhere, and the API server gives up after
      // its timeout anyway. Its failurePolicy decides; the body, if any, is read and discarded.
      deps.logger.warn({ limit: limits.maxConcurrentReviews }, "refused admission review: too many in flight");
      afterUnreadBody(req, res, () =>
        sendOverloaded(res, `too many admission reviews in flight (limit ${limits.maxConcurrentReviews})`),
      );
      return;
    }
    inflight.reviews++;
    let held = 0;
    const hold: Hold = (bytes) => {
      if (inflight.bytes + bytes > limits.maxInflightBytes) return false;
      inflight.bytes += bytes;
      held += bytes;
      return true;
    };
    // "close" follows the end of every response, and an aborted request: the budget always comes back.
    res.once("close", () => {
      inflight.reviews--;
      inflight.bytes -= held;
      held = 0;
    });
    readBody(req, limits, hold)
      .then((body) => handleReview(body, res, deps, hold, limits))
      .catch((error: unknown) => {
        // An answer half sent cannot be replaced by an error: the client sees the connection end instead.
        if (res.headersSent) res.destroy();
        else afterUnreadBody(req, res, () => sendBodyError(error, res, deps.logger, limits));
      });
  };
}

/**
 * The raw bytes of the body, whatever the content type: the API server sends JSON, and decoding is ours (to refuse
 * hostile input with Linkerd's messages). Read here rather than with body-parser, which costs more than the rest of
 * the request handling around the core. A declared length is checked and held before a byte is read, and the body
 * read into one buffer of that size; a chunked body is held chunk by chunk.
 */
function readBody(req: IncomingMessage, limits: ServingLimits, hold: Hold): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const fail = (type: "entity.too.large" | "overloaded") => {
      // The rest of the body is read and discarded (see afterUnreadBody).
      req.resume();
      reject(Object.assign(new Error(type), { type }));
    };
    const header = req.headers["content-length"];
    const declared = header === undefined ? undefined : Number(header);
    if (declared !== undefined && declared > limits.maxBodyBytes) return fail("entity.too.large");
    if (declared !== undefined && !hold(declared)) return fail("overloaded");
    // `let`s, dropped once resolved: the listeners stay on `req` until the answer is sent, and must not keep the body.
    let whole = declared !== undefined && declared > 0 ? Buffer.allocUnsafe(declared) : undefined;
    let chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      if (size + chunk.length > limits.maxBodyBytes) {
        failed = true;
        chunks = [];
        fail("entity.too.large");
        return;
      }
      if (whole !== undefined) {
        // node:http delivers exactly the declared length, no more: every chunk fits.
        chunk.copy(whole, size);
      } else {
        if (!hold(chunk.length)) {
          failed = true;
          chunks = [];
          fail("overloaded");
          return;
        }
        chunks.push(chunk);
      }
      size += chunk.length;
    });
    req.on("end", () => {
      if (failed) return;
      if (whole !== undefined) resolve(size === whole.length ? whole : whole.subarray(0, size));
      else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
      whole = undefined;
      chunks = [];
    });
    req.on("error", (error) => {
      failed = true;
      reject(Object.assign(error, { status: 400 }));
    });
  });
}

/** Synchronous up to the review: nothing keeps the body's buffer alive through the look-ups. */
function handleReview(
  bytes: Buffer,
  res: ServerResponse,
  deps: AppDeps,
  hold: Hold,
  limits: ServingLimits,
): Promise<void> | undefined {
  if (bytes.length === 0) {
    // Linkerd answers an empty body with an empty 200 (controller/webhook/server.go).
    deps.logger.warn("received empty payload");
    res.statusCode = 200;
    res.end();
    return undefined;
  }
  const decoded = decodeReview(bytes);
  if (!decoded.ok) {
    deps.logger.warn({ status: decoded.status, error: decoded.message }, "rejected admission review");
    sendText(res, decoded.status, decoded.message);
    return undefined;
  }
  const review = decoded.review;
  const uid = review.request.uid;
  const gate = shouldReview(review.request);
  if (!gate.review) {
    deps.logger.debug(
      {
        uid,
        kind: review.request.kind?.kind,
        namespace: review.request.namespace,
        name: review.request.name,
        reason: gate.reason,
      },
      `allowed unchanged: only the CREATE of a pod or service is injected, this is ${gate.detail}`,
    );
    sendJson(res, answerBody(review, { uid, allowed: true }));
    return undefined;
  }
  if (!hold(decoded.values * BYTES_PER_VALUE)) {
    deps.logger.warn(
      { uid, limit: limits.maxInflightBytes },
      "refused admission review: in-flight memory budget spent",
    );
    sendOverloaded(res, `admission reviews in flight over the memory budget (${limits.maxInflightBytes} bytes)`);
    return undefined;
  }
  return runReview(review, res, deps);
}

async function runReview(review: AdmissionReview, res: ServerResponse, deps: AppDeps): Promise<void> {
  const uid = review.request.uid;
  const started = deps.clock();
  deps.logger.debug({ uid }, `received admission review request "${uid}"`);
  let result: ReviewResult;
  try {
    result = await reviewRequest(review.request, deps);
  } catch (error) {
    // A handler error rejects the object (allowed: false), as Linkerd does: failurePolicy only covers transport
    // failures (spec §6.2).
    const message = error instanceof Error ? error.message : String(error);
    deps.logger.error({ uid, err: error }, `failed to run webhook handler. Reason: ${message}`);
    result = {
      response: { uid, allowed: false, status: { message } },
      outcome: "error",
      kind: String(review.request.kind?.kind ?? "").toLowerCase(),
      namespace: review.request.namespace ?? "",
      name: review.request.name ?? "",
      reason: message,
      notes: [],
    };
  }
  const seconds = (deps.clock() - started) / 1000;
  deps.metrics.observeDuration(metricKind(result.kind), result.outcome, seconds);
  logReview(deps.logger, review, result, seconds);
  sendJson(res, answerBody(review, result.response));
}

function logReview(logger: Logger, review: AdmissionReview, result: ReviewResult, seconds: number): void {
  // Set field by field, not spread: see review.ts (objects made by spread outlived young-generation collections).
  const fields: Record<string, unknown> = {
    uid: review.request.uid,
    kind: result.kind,
    namespace: result.namespace,
    name: result.name,
    outcome: result.outcome,
    reason: result.reason,
    durationMs: Math.round(seconds * 1e6) / 1e3,
  };
  if (result.owner !== undefined) fields["owner"] = result.owner;
  if (review.request.dryRun === true) fields["dryRun"] = true;
  if (result.response.warnings !== undefined) fields["warnings"] = result.response.warnings;
  for (const note of result.notes) logger.warn({ uid: review.request.uid }, note);
  const level = levelFor(result.outcome);
  logger[level](fields, "admission review");
}

function levelFor(outcome: ReviewOutcome): "info" | "warn" {
  return outcome === "error" || outcome === "invalid" ? "warn" : "info";
}

// Bounded label values: the kind comes from the request and could be anything.
function metricKind(kind: string): string {
  return kind === "pod" || kind === "service" ? kind : "other";
}

/** The whole answer in one `end()`: one buffer with its length (no chunked encoding). */
function sendJson(res: ServerResponse, body: Buffer): void {
  res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
  res.end(body);
}

/** Like Go's http.Error: plain text with a trailing newline. */
function sendText(res: ServerResponse, status: number, message: string): void {
  const body = `${message}\n`;
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "x-content-type-options": "nosniff",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * Runs `answer` for a request whose body is not read: at once when the connection stays open (node:http then reads
 * and discards the rest of the body, and the connection serves the next request); once the body has been discarded
 * when the answer closes the connection (the client asked for that, or the server is shutting down). Closed early,
 * the socket would reset under a client still sending, and the client could lose the answer with it.
 */
function afterUnreadBody(req: IncomingMessage, res: ServerResponse, answer: () => void): void {
  const closes = !res.shouldKeepAlive || /close/i.test(String(res.getHeader("connection") ?? ""));
  if (!closes || req.complete) {
    answer();
    return;
  }
  req.resume();
  req.once("end", answer);
}

/** 503 with a hint to retry: what the API server does with it is its failurePolicy's call. */
function sendOverloaded(res: ServerResponse, message: string): void {
  res.setHeader("Retry-After", "1");
  sendText(res, 503, message);
}

function sendBodyError(error: unknown, res: ServerResponse, logger: Logger, limits: ServingLimits): void {
  const err = error as { type?: string; status?: number; message?: string };
  if (err.type === "entity.too.large") {
    // Linkerd answers an oversized body with 500 and its reader's error text (spec §6.2).
    logger.warn({ limit: limits.maxBodyBytes }, "rejected admission review: body over the limit");
    sendText(res, 500, `limit reached while reading: ${limits.maxBodyBytes}`);
    return;
  }
  if (err.type === "overloaded") {
    logger.warn({ limit: limits.maxInflightBytes }, "refused admission review: in-flight memory budget spent");
    sendOverloaded(res, `admission reviews in flight over the memory budget (${limits.maxInflightBytes} bytes)`);
    return;
  }
  if (typeof err.status === "number" && err.status >= 400 && err.status < 500) {
    logger.warn({ error: err.message }, "rejected admission review");
    sendText(res, err.status, `failed to read admission review request: ${err.message ?? "bad request"}`);
    return;
  }
  logger.error({ err: error }, "failed to serve admission review");
  sendText(res, 500, err.message ?? "internal error");
}
