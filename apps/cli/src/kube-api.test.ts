import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectKube, type KubeApi, type KubePage } from "./kube-api.js";

/** A fake API server on loopback: 7 pods, served in pages by `limit`/`continue`, and one PATCH target. */
const PODS = Array.from({ length: 7 }, (_, i) => ({ metadata: { name: `pod-${i}` } }));
const seen: Array<{ method: string; url: string; headers: IncomingMessage["headersDistinct"]; body: string }> = [];
let server: Server;
let dir: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const url = new URL(request.url ?? "/", "http://x");
      seen.push({
        method: request.method ?? "",
        url: request.url ?? "",
        headers: request.headersDistinct,
        body: Buffer.concat(chunks).toString(),
      });
      response.setHeader("Content-Type", "application/json");
      if (url.pathname === "/api/v1/pods") {
        const limit = Number(url.searchParams.get("limit"));
        const start = Number(url.searchParams.get("continue") ?? "0");
        const next = start + limit < PODS.length ? String(start + limit) : undefined;
        response.end(JSON.stringify({ items: PODS.slice(start, start + limit), metadata: { continue: next } }));
      } else if (url.pathname === "/api/v1/namespaces/gone/pods") {
        const start = url.searchParams.get("continue");
        if (start === null) response.end(JSON.stringify({ items: [PODS[0]], metadata: { continue: "expired" } }));
        else {
          response.statusCode = 410;
          response.end(JSON.stringify({ kind: "Status", message: "The provided continue parameter is too old" }));
        }
      } else if (url.pathname === "/apis/apps/v1/namespaces/shop/deployments/web") {
        response.end(JSON.stringify({ kind: "Deployment", metadata: { name: "web" } }));
      } else if (url.pathname === "/text") {
        response.end("not json");
      } else {
        response.statusCode = 404;
        response.end(JSON.stringify({ kind: "Status", message: `the server could not find ${url.pathname}` }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  dir = mkdtempSync(join(tmpdir(), "kube-api-"));
  const { port } = server.address() as AddressInfo;
  writeFileSync(
    join(dir, "config"),
    [
      "apiVersion: v1",
      "kind: Config",
      `clusters: [{name: fake, cluster: {server: 'http://127.0.0.1:${port}', insecure-skip-tls-verify: true}}]`,
      "users: [{name: me, user: {token: secret}}]",
      "contexts: [{name: fake, context: {cluster: fake, user: me}}]",
      "current-context: fake",
    ].join("\n"),
  );
}, 120_000);

afterAll(() => {
  server?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function api(): Promise<KubeApi> {
  const connection = await connectKube({
    namespace: "linkerd",
    kubeconfig: join(dir, "config"),
    impersonate: "alice",
    impersonateGroups: ["dev", "ops"],
  });
  if (!connection.ok) throw new Error(connection.message);
  return connection.api;
}

async function collect(pages: AsyncGenerator<KubePage>): Promise<KubePage[]> {
  const all: KubePage[] = [];
  for await (const page of pages) all.push(page);
  return all;
}

describe("the Kubernetes API client", () => {
  it("lists a collection one page at a time, following the continue token, with the caller's query", async () => {
    seen.length = 0;
    const pages = await collect((await api()).list("/api/v1/pods", { labelSelector: "app=web" }, 3));
    expect(pages.map((page) => (page.ok ? page.items.length : -1))).toEqual([3, 3, 1]);
    expect(pages.flatMap((page) => (page.ok ? page.items : []))).toEqual(PODS);
    expect(seen.map((request) => request.url)).toEqual([
      "/api/v1/pods?labelSelector=app%3Dweb&limit=3",
      "/api/v1/pods?labelSelector=app%3Dweb&limit=3&continue=3",
      "/api/v1/pods?labelSelector=app%3Dweb&limit=3&continue=6",
    ]);
  });

  it("ends a listing with the failed page, carrying the API server's message", async () => {
    const pages = await collect((await api()).list("/api/v1/namespaces/gone/pods"));
    expect(pages).toEqual([
      { ok: true, items: [PODS[0]] },
      { ok: false, status: 410, message: "The provided continue parameter is too old" },
    ]);
  });

  it("sends the token and impersonation headers, each group as its own header", async () => {
    seen.length = 0;
    const response = await (await api()).get("/apis/apps/v1/namespaces/shop/deployments/web");
    expect(response).toEqual({ ok: true, status: 200, body: { kind: "Deployment", metadata: { name: "web" } } });
    expect(seen[0]?.headers["authorization"]).toEqual(["Bearer secret"]);
    expect(seen[0]?.headers["impersonate-user"]).toEqual(["alice"]);
    expect(seen[0]?.headers["impersonate-group"]).toEqual(["dev", "ops"]);
  });

  it("returns HTTP errors and non-JSON answers as data", async () => {
    const client = await api();
    expect(await client.get("/api/v1/namespaces/shop/pods/nope")).toEqual({
      ok: false,
      status: 404,
      message: "the server could not find /api/v1/namespaces/shop/pods/nope",
    });
    const text = await client.get("/text");
    expect(text.ok).toBe(false);
    expect(text.status).toBe(200);
  });

  it("sends a PATCH with its content type and JSON body", async () => {
    seen.length = 0;
    const body = { spec: { template: { metadata: { annotations: { a: "b" } } } } };
    await (await api()).patch(
      "/apis/apps/v1/namespaces/shop/deployments/web",
      body,
      "application/strategic-merge-patch+json",
    );
    expect(seen[0]?.method).toBe("PATCH");
    expect(seen[0]?.headers["content-type"]).toEqual(["application/strategic-merge-patch+json"]);
    expect(JSON.parse(seen[0]?.body ?? "")).toEqual(body);
  });

  it("says which server it could not reach", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const config = join(dir, "closed");
    writeFileSync(
      config,
      `clusters: [{name: c, cluster: {server: 'http://127.0.0.1:${port}', insecure-skip-tls-verify: true}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\nusers: [{name: u, user: {}}]\ncurrent-context: c\n`,
    );
    const connection = await connectKube({ namespace: "linkerd", kubeconfig: config });
    if (!connection.ok) throw new Error(connection.message);
    expect(await connection.api.get("/version")).toEqual({
      ok: false,
      status: 0,
      message: `cannot reach the Kubernetes API server at http://127.0.0.1:${port} (ECONNREFUSED)`,
    });
  });
});
