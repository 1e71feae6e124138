import { copyFile, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { execFileSync, spawn } from "node:child_process";
import { Agent, request as httpsRequest } from "node:https";
import { connect as netConnect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type PeerCertificate, type TLSSocket } from "node:tls";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { makeServingCertificate, type ServingCertificate } from "./certs.js";
import { createLogger } from "./logger.js";
import { startHttpsServer, type HttpsServerOptions, type RunningHttpsServer } from "./server.js";

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

function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Runs a command with stdin closed; its exit code and stdout + stderr. */
function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("close", (code) => resolve({ code, output }));
  });
}

function tlsConnection(port: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => resolve(socket));
    socket.on("error", reject);
  });
}

/** True once the socket closes, false if it is still open after `boundMs` (a bound that only catches a hang). */
function closedWithin(socket: Socket, boundMs: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, boundMs);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(true);
    });
    socket.on("error", () => undefined);
  });
}

/** Writes a raw request and returns everything read until the server closes the connection. */
function rawRequest(socket: TLSSocket, text: string): Promise<string> {
  return new Promise((resolve) => {
    let received = "";
    socket.on("data", (d: Buffer) => (received += d.toString()));
    socket.on("close", () => resolve(received));
    socket.on("error", () => undefined);
    socket.write(text);
  });
}

function get(port: number, agent: Agent): Promise<{ status: number; body: string; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: "127.0.0.1", port, path: "/", agent, rejectUnauthorized: false }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
    });
    req.on("error", reject);
    req.end();
  });
}

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

async function serve(
  handlerDelayMs = 0,
  extra: Partial<HttpsServerOptions> = {},
): Promise<{ server: RunningHttpsServer; certFile: string; keyFile: string }> {
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
    ...extra,
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

    const after = await waitFor(
      () => peerCertificate(port),
      (c) => c.fingerprint256 !== before.fingerprint256,
    );
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

  it.each([
    ["TLSv1.2", "TLSv1.2"],
    ["TLSv1 to TLSv1.1", "TLSv1.1"],
  ] as const)("refuses %s: TLS 1.3 only, as Linkerd", async (_name, maxVersion) => {
    const { server } = await serve();
    const old = new Promise<string>((resolve) => {
      const s = connect({
        host: "127.0.0.1",
        port: server.address.port,
        rejectUnauthorized: false,
        maxVersion,
        minVersion: "TLSv1",
      });
      s.on("secureConnect", () => resolve("connected"));
      s.on("error", (e) => resolve(e.message));
    });
    expect(await old).not.toBe("connected");
    const current = await new Promise<string | null>((resolve, reject) => {
      const s = connect({ host: "127.0.0.1", port: server.address.port, rejectUnauthorized: false }, () => {
        resolve(s.getProtocol());
        s.end();
      });
      s.on("error", reject);
    });
    expect(current).toBe("TLSv1.3");
  });

  it.runIf(hasOpenssl())("refuses openssl s_client -tls1_2 and accepts -tls1_3", async () => {
    const { server } = await serve();
    const sClient = (flag: string) =>
      run("openssl", ["s_client", flag, "-connect", `127.0.0.1:${server.address.port}`, "-servername", "localhost"]);
    const tls12 = await sClient("-tls1_2");
    expect(tls12.code).not.toBe(0);
    expect(tls12.output).toMatch(/alert protocol version|no protocols available|wrong version number/i);
    const tls13 = await sClient("-tls1_3");
    expect(tls13.output).toMatch(/Protocol\s*:\s*TLSv1\.3|New, TLSv1\.3/);
  });
});

describe("slow and idle connections", () => {
  // Short timeouts, injected: the defaults (10 s, 95 s) are the same code path. Each wait below is only a bound
  // that catches a connection that is never closed, many times the configured timeout.
  const BOUND_MS = 20_000;

  it("closes a TCP connection that never starts TLS after the handshake timeout", async () => {
    const { server } = await serve(0, { timeouts: { handshakeMs: 200 } });
    const socket = netConnect(server.address.port, "127.0.0.1");
    socket.on("error", () => undefined);
    expect(await closedWithin(socket, BOUND_MS)).toBe(true);
  });

  it("closes a TLS connection that never sends a request after the idle timeout", async () => {
    const { server } = await serve(0, { timeouts: { idleMs: 200 } });
    const socket = await tlsConnection(server.address.port);
    expect(await closedWithin(socket, BOUND_MS)).toBe(true);
  });

  it("keeps a connection whose request outlasts the idle timeout", async () => {
    const { server } = await serve(600, { timeouts: { idleMs: 200 } });
    const socket = await tlsConnection(server.address.port);
    const answer = rawRequest(socket, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect(await answer).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*done\n$/);
  });

  it("answers 408 and closes a body trickled byte by byte past the request timeout", async () => {
    const { server } = await serve(0, {
      timeouts: { requestMs: 300, headersMs: 300, checkIntervalMs: 50 },
      // As the app does: the answer waits for the whole body.
      handler: (req, res) => {
        req.resume();
        req.on("end", () => res.end("done\n"));
      },
    });
    const socket = await tlsConnection(server.address.port);
    let received = "";
    socket.on("data", (d: Buffer) => (received += d.toString()));
    socket.write("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n");
    const trickle = setInterval(() => socket.writable && socket.write("a"), 50);
    try {
      expect(await closedWithin(socket, BOUND_MS)).toBe(true);
    } finally {
      clearInterval(trickle);
    }
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
  });
});

describe("connection cap", () => {
  it("closes the longest-idle connection to admit one over the cap", async () => {
    const { server } = await serve(0, { maxConnections: 2 });
    const port = server.address.port;
    const oldest = await tlsConnection(port);
    const other = await tlsConnection(port);
    const newest = await tlsConnection(port);
    expect(await closedWithin(oldest, 20_000)).toBe(true);
    expect(await rawRequest(newest, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).toMatch(
      /^HTTP\/1\.1 200 OK/,
    );
    expect(await rawRequest(other, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).toMatch(
      /^HTTP\/1\.1 200 OK/,
    );
  });

  it("refuses a new connection when every connection is busy, and serves the busy ones", async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { server } = await serve(0, {
      maxConnections: 1,
      handler: (_req, res) => void gate.then(() => res.end("done\n")),
    });
    const port = server.address.port;
    const busy = await tlsConnection(port);
    const answer = rawRequest(busy, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    await new Promise((r) => setTimeout(r, 100));
    const refused = await new Promise<string>((resolve) => {
      const s = connect({ host: "127.0.0.1", port, rejectUnauthorized: false });
      s.on("secureConnect", () => resolve("connected"));
      s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      s.on("close", () => resolve("closed"));
    });
    expect(refused).not.toBe("connected");
    release();
    expect(await answer).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*done\n$/);
  });
});

describe("closing connections after responses", () => {
  it("answers with Connection: close from then on, the requests in flight included", async () => {
    const { server } = await serve(300);
    const port = server.address.port;
    const agent = new Agent({ keepAlive: true });
    try {
      const inflight = get(port, agent);
      await new Promise((r) => setTimeout(r, 100));
      server.closeConnectionsAfterResponses();
      const later = get(port, agent);
      for (const res of await Promise.all([inflight, later])) {
        expect(res).toEqual({ status: 200, body: "done\n", connection: "close" });
      }
    } finally {
      agent.destroy();
    }
  });

  it("keeps connections alive before", async () => {
    const { server } = await serve();
    const agent = new Agent({ keepAlive: true });
    try {
      expect(await get(server.address.port, agent)).toEqual({ status: 200, body: "done\n", connection: "keep-alive" });
    } finally {
      agent.destroy();
    }
  });
});

describe("draining", () => {
  it("finishes in-flight requests, then stops accepting", async () => {
    const { server } = await serve(300);
    const port = server.address.port;
    const inflight = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpsRequest(
        { host: "127.0.0.1", port, path: "/", method: "POST", rejectUnauthorized: false },
        (res) => {
          let body = "";
          res.on("data", (d: Buffer) => (body += d.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
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
