import express, { type Express, type Response } from "express";
import type { Registry } from "prom-client";
import { writeMetrics } from "./metrics.js";

export interface AdminDeps {
  registry: Registry;
  /** False while starting and once SIGTERM has begun draining, so that the Service stops sending reviews. */
  isReady: () => boolean;
}

/** The admin endpoints of Linkerd's controllers (spec §6.1): `/metrics`, `/ping`, `/ready`; anything else 404. */
export function createAdminApp(deps: AdminDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  // Streamed: a scrape of full counters is megabytes of text, written a piece at a time so that reviews go on.
  app.get("/metrics", (_req, res, next) => {
    res.status(200).type(deps.registry.contentType);
    writeMetrics(deps.registry, (chunk) => writeChunk(res, chunk)).then(
      () => res.end(),
      (error: unknown) => {
        if (!res.headersSent) next(error);
        else res.destroy(error instanceof Error ? error : undefined);
      },
    );
  });
  app.get("/ping", (_req, res) => {
    res.status(200).type("text/plain").send("pong\n");
  });
  app.get("/ready", (_req, res) => {
    if (deps.isReady()) res.status(200).type("text/plain").send("ok\n");
    else res.status(500).type("text/plain").send("not ready\n");
  });
  app.use((_req, res) => {
    res.status(404).type("text/plain").send("404 page not found\n");
  });
  return app;
}

/** Writes one piece, waiting for the socket to drain when its buffer is full; fails once the client has gone. */
function writeChunk(res: Response, chunk: string): Promise<void> | undefined {
  if (res.destroyed) return Promise.reject(new Error("the client closed the connection"));
  if (res.write(chunk)) return undefined;
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}
