import express, { type Express, type NextFunction, type Request, type Response } from "express";
import type { Logger } from "pino";
import { answerReview, decodeReview, type AdmissionReview } from "./admission.js";
import type { ReviewOutcome } from "./metrics.js";
import { reviewRequest, type ReviewDeps, type ReviewResult } from "./review.js";

/** Linkerd reads at most 10 MB of a review (controller/webhook/server.go). */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface AppDeps extends ReviewDeps {
  logger: Logger;
  /** Milliseconds, monotonic (`performance.now`): only differences are used. */
  clock: () => number;
}

/**
 * The admission webhook as an Express app: any method, any path (the MutatingWebhookConfiguration posts to `/`).
 * Holds all request handling; `main.ts` only adds TLS, ports and signals.
 */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use((req: Request, res: Response, next: NextFunction) => {
    readBody(req, MAX_BODY_BYTES)
      .then((body) => handleReview(body, res, deps))
      .catch(next);
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    sendBodyError(error, res, deps.logger);
  });
  return app;
}

/**
 * The raw bytes of the body, whatever the content type: the API server sends JSON, and decoding is ours (to refuse
 * hostile input with Linkerd's messages). Read here rather than with body-parser, which costs more than the rest of
 * the request handling around the core.
 */
function readBody(req: Request, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => Object.assign(new Error(`request entity too large`), { type: "entity.too.large", status: 413 });
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!failed) resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    });
    req.on("error", (error) => {
      failed = true;
      reject(Object.assign(error, { status: 400 }));
    });
  });
}

async function handleReview(bytes: Buffer, res: Response, deps: AppDeps): Promise<void> {
  if (bytes.length === 0) {
    // Linkerd answers an empty body with an empty 200 (controller/webhook/server.go).
    deps.logger.warn("received empty payload");
    res.status(200).end();
    return;
  }
  const decoded = decodeReview(bytes);
  if (!decoded.ok) {
    deps.logger.warn({ status: decoded.status, error: decoded.message }, "rejected admission review");
    sendText(res, decoded.status, decoded.message);
    return;
  }
  const review = decoded.review;
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
  sendJson(res, answerReview(review, result.response));
}

function logReview(logger: Logger, review: AdmissionReview, result: ReviewResult, seconds: number): void {
  const fields = {
    uid: review.request.uid,
    kind: result.kind,
    namespace: result.namespace,
    name: result.name,
    outcome: result.outcome,
    reason: result.reason,
    durationMs: Math.round(seconds * 1e6) / 1e3,
    ...(result.owner !== undefined ? { owner: result.owner } : {}),
    ...(review.request.dryRun === true ? { dryRun: true } : {}),
    ...(result.response.warnings !== undefined ? { warnings: result.response.warnings } : {}),
  };
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

function sendJson(res: Response, value: unknown): void {
  const text = JSON.stringify(value);
  // Straight to node:http: Express's send() (charset and freshness handling) is measurable on every review.
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Like Go's http.Error: plain text with a trailing newline. */
function sendText(res: Response, status: number, message: string): void {
  res.status(status).type("text/plain; charset=utf-8").set("X-Content-Type-Options", "nosniff").send(`${message}\n`);
}

function sendBodyError(error: unknown, res: Response, logger: Logger): void {
  const err = error as { type?: string; status?: number; message?: string };
  if (err.type === "entity.too.large") {
    // Linkerd answers an oversized body with 500 and its reader's error text (spec §6.2).
    logger.warn({ limit: MAX_BODY_BYTES }, "rejected admission review: body over the limit");
    sendText(res, 500, `limit reached while reading: ${MAX_BODY_BYTES}`);
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
