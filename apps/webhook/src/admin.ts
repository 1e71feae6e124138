import express, { type Express } from "express";
import type { Registry } from "prom-client";

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
  app.get("/metrics", (_req, res, next) => {
    deps.registry
      .metrics()
      .then((text) => {
        res.status(200).type(deps.registry.contentType).send(text);
      })
      .catch(next);
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
