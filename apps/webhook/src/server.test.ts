import { copyFile, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type PeerCertificate } from "node:tls";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { makeServingCertificate, type ServingCertificate } from "./certs.js";
import { createLogger } from "./logger.js";
import { startHttpsServer, type RunningHttpsServer } from "./server.js";

const logLines: string[] = [];
const logger = createLogger({ level: "info", format: "json", out: { write: (l) => logLines.push(l) } });

let dir: string;
let first: ServingCertificate;
let second: ServingCertificate;
const running: RunningHttpsServer[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "webhook-tls-test-"));
  first = await makeServingCertificate(dir, { prefix: "a-" });
  second = await makeServingCertificate(dir, { prefix: "b-" });
  return () => rm(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.drain(100)));
});

function peerCertificate(port: number): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, servername: "localhost", rejectUnauthorized: false }, () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      resolve(cert);
    });
    socket.on("error", reject);
  });
}

async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    value = await probe();
  }
  return value;
}

async function serve(handlerDelayMs = 0): Promise<{ server: RunningHttpsServer; certFile: string; keyFile: string }> {
  const live = await mkdtemp(join(dir, "live-"));
  const certFile = join(live, "tls.crt");
  const keyFile = join(live, "tls.key");
  await copyFile(first.certFile, certFile);
  await copyFile(first.keyFile, keyFile);
  const server = await startHttpsServer({
    host: "127.0.0.1",
    port: 0,
    certFile,
    keyFile,
    logger,
    pollMs: 0,
    debounceMs: 20,
    handler: (_req, res) => {
      setTimeout(() => res.end("done\n"), handlerDelayMs);
    },
  });
  running.push(server);
  return { server, certFile, keyFile };
}

describe("serving certificate", () => {
  it("serves a certificate swapped on disk on the next connection, without a restart", async () => {
    const { server, certFile, keyFile } = await serve();
    const port = server.address.port;
    const before = await peerCertificate(port);
    expect(before.subject.CN).toBe("localhost");
    expect(before.issuer.CN).toBe("l5d-injector webhook CA a-");

    // As a Secret volume update does: new files appear, then replace the old ones atomically.
    await copyFile(second.keyFile, `${keyFile}.new`);
    await copyFile(second.certFile, `${certFile}.new`);
    await rename(`${keyFile}.new`, keyFile);
    await rename(`${certFile}.new`, certFile);

    const after = await waitFor(() => peerCertificate(port), (c) => c.fingerprint256 !== before.fingerprint256);
    expect(after.issuer.CN).toBe("l5d-injector webhook CA b-");
    expect(after.fingerprint256).not.toBe(before.fingerprint256);
  });

  it("keeps the old certificate when the new files do not make a pair", async () => {
    const { server, certFile } = await serve();
    const port = server.address.port;
    const before = await peerCertificate(port);
    await copyFile(second.certFile, certFile); // the key still belongs to the first certificate
    expect(await server.reloadCertificate()).toBe(false);
    expect((await peerCertificate(port)).fingerprint256).toBe(before.fingerprint256);
    await writeFile(certFile, "not a certificate");
    expect(await server.reloadCertificate()).toBe(false);
    expect((await peerCertificate(port)).fingerprint256).toBe(before.fingerprint256);
    expect(logLines.some((l) => l.includes("keeping the previous one"))).toBe(true);
  });

  it("keeps established connections across a reload", async () => {
    const { server, certFile, keyFile } = await serve();
    const port = server.address.port;
    const socket = await new Promise<ReturnType<typeof connect>>((resolve, reject) => {
      const s = connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => resolve(s));
      s.on("error", reject);
    });
    await copyFile(second.keyFile, keyFile);
    await copyFile(second.certFile, certFile);
    expect(await server.reloadCertificate()).toBe(true);
    const answer = await new Promise<string>((resolve) => {
      let text = "";
      socket.on("data", (d: Buffer) => (text += d.toString()));
      socket.on("end", () => resolve(text));
      socket.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    });
    expect(answer).toMatch(/^HTTP\/1.1 200 OK/);
    expect(answer).toContain("done");
  });

  it("negotiates TLS 1.2 or newer only", async () => {
    const { server } = await serve();
    const old = new Promise<string>((resolve) => {
      const s = connect({ host: "127.0.0.1", port: server.address.port, rejectUnauthorized: false, maxVersion: "TLSv1.1", minVersion: "TLSv1" });
      s.on("secureConnect", () => resolve("connected"));
      s.on("error", (e) => resolve(e.message));
    });
    expect(await old).not.toBe("connected");
  });
});

describe("draining", () => {
  it("finishes in-flight requests, then stops accepting", async () => {
    const { server } = await serve(300);
    const port = server.address.port;
    const inflight = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpsRequest({ host: "127.0.0.1", port, path: "/", method: "POST", rejectUnauthorized: false }, (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.end("{}");
    });
    await new Promise((r) => setTimeout(r, 100));
    const drained = server.drain(5000);
    expect(await inflight).toEqual({ status: 200, body: "done\n" });
    await drained;
    await expect(peerCertificate(port)).rejects.toThrow(/ECONNREFUSED/);
  });

  it("does not wait for connections that never carried a request", async () => {
    const { server } = await serve();
    const port = server.address.port;
    // A spare TLS connection, as the API server keeps open: handshake done, no request.
    const spare = await new Promise<ReturnType<typeof connect>>((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => resolve(socket));
      socket.on("error", reject);
    });
    const closed = new Promise((resolve) => spare.once("close", resolve));
    // Had the drain waited for its deadline, the deadline would have closed the connection: it must not be reached.
    const closeAll = vi.spyOn(server.server, "closeAllConnections");
    await server.drain(600_000);
    await closed;
    expect(closeAll).not.toHaveBeenCalled();
  });
});
