import { readFile } from "node:fs/promises";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer, Server as HttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { createSecureContext, type SecureContextOptions } from "node:tls";
import { X509Certificate } from "node:crypto";
import type { Logger } from "pino";
import { watchFiles } from "./watch.js";

// TLS 1.3 only, as Linkerd's injector (spec §6.1): Kubernetes' API servers are Go 1.13+ clients and offer it, and
// it leaves no CBC or SHA-1 suites to choose from.
const TLS_OPTIONS: SecureContextOptions = { minVersion: "TLSv1.3" };

export interface ServerTimeouts {
  /** From TCP accept to a finished TLS handshake (Node's default is 120 s). */
  handshakeMs: number;
  /** From a request's first byte to the end of its headers. */
  headersMs: number;
  /** From a request's first byte to the end of its body: the API server gives up on a review after 10 s. */
  requestMs: number;
  /** A connection with no request in flight, before its first request or between two, is closed after this. */
  idleMs: number;
  /** How often Node checks the request timeouts (its default, 30 s, would stretch them by as much). */
  checkIntervalMs: number;
}

/**
 * The idle timeout outlasts the API server's: its webhook client closes idle connections after 90 s (Go's
 * http.DefaultTransport IdleConnTimeout, kept by apimachinery's SetTransportDefaults), so it always closes first and
 * never sends a review on a connection this server is closing at the same moment, which would fail the review.
 */
export const DEFAULT_TIMEOUTS: ServerTimeouts = {
  handshakeMs: 10_000,
  headersMs: 10_000,
  requestMs: 10_000,
  idleMs: 95_000,
  checkIntervalMs: 1_000,
};

/** Open connections at most, TLS handshakes included. */
export const DEFAULT_MAX_CONNECTIONS = 1024;

export interface ListenOptions {
  host: string | undefined;
  port: number;
  /** Defaults: DEFAULT_TIMEOUTS. */
  timeouts?: Partial<ServerTimeouts> | undefined;
  /** Default: DEFAULT_MAX_CONNECTIONS. */
  maxConnections?: number | undefined;
  logger?: Logger | undefined;
}

export interface RunningServer {
  server: Server | HttpsServer;
  address: AddressInfo;
  /**
   * From now on every response closes its connection (`Connection: close`), the ones in flight included, so that
   * clients reconnect, and reach another replica once this one is out of the Service's endpoints.
   */
  closeConnectionsAfterResponses(): void;
  /** Stops accepting, lets in-flight requests finish, then closes what is left after `timeoutMs`. */
  drain(timeoutMs: number): Promise<void>;
}

export interface RunningHttpsServer extends RunningServer {
  /** Re-reads the certificate files now; false when they were unchanged or invalid (the old pair stays). */
  reloadCertificate(): Promise<boolean>;
}

export interface HttpsServerOptions extends ListenOptions {
  handler: RequestListener;
  certFile: string;
  keyFile: string;
  logger: Logger;
  /** Also re-check the files on this interval (ms); 0 disables polling. */
  pollMs?: number;
  debounceMs?: number;
}

/**
 * The webhook's HTTPS server. The certificate is re-read when its files change and swapped in with
 * `setSecureContext`: new connections get the new certificate, established ones are not dropped, and a bad or
 * half-written pair keeps the old one (Linkerd's FsCredsWatcher, spec §6.1).
 */
export async function startHttpsServer(options: HttpsServerOptions): Promise<RunningHttpsServer> {
  const { logger } = options;
  let current = await readPair(options.certFile, options.keyFile);
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const server = createHttpsServer(
    {
      ...TLS_OPTIONS,
      ...serverTimeouts(timeouts),
      handshakeTimeout: timeouts.handshakeMs,
      cert: current.cert,
      key: current.key,
    },
    options.handler,
  );
  logger.info(describeCert(current.cert), "serving certificate loaded");
  // Handshakes that fail or time out (a client offering TLS 1.2, a scanner, a peer too slow to finish) end the
  // connection without a request: worth a line when debugging a client, noise otherwise.
  server.on("tlsClientError", (error: Error & { code?: string }) => {
    logger.debug({ code: error.code, error: error.message }, "TLS handshake failed");
  });

  const reloadOnce = async (): Promise<boolean> => {
    try {
      const next = await readPair(options.certFile, options.keyFile);
      if (next.cert.equals(current.cert) && next.key.equals(current.key)) return false;
      // createSecureContext throws on a key that does not match the certificate.
      createSecureContext({ ...TLS_OPTIONS, cert: next.cert, key: next.key });
      server.setSecureContext({ ...TLS_OPTIONS, cert: next.cert, key: next.key });
      current = next;
      logger.info(describeCert(next.cert), "serving certificate reloaded");
      return true;
    } catch (error) {
      logger.error({ err: error }, "failed to reload the serving certificate; keeping the previous one");
      return false;
    }
  };
  // Serialised: a watch event and the poll timer may fire together. A reload asked for while one runs is not merged
  // into it: that one may have read the files half-way through a rotation (new key, old certificate) and given up,
  // so the files are read once more after it; requests made meanwhile share that one re-read.
  let inFlight: Promise<boolean> | undefined;
  let queued: Promise<boolean> | undefined;
  const reloadCertificate = (): Promise<boolean> => {
    if (inFlight === undefined) {
      inFlight = reloadOnce().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    }
    queued ??= inFlight.then(() => {
      queued = undefined;
      return reloadCertificate();
    });
    return queued;
  };
  const watcher = watchFiles(
    [options.certFile, options.keyFile],
    () => {
      void reloadCertificate();
    },
    {
      ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
      pollMs: options.pollMs ?? 30_000,
      onError: (error) => logger.warn(`cannot watch the certificate files (${error.message}); relying on polling`),
    },
  );
  const address = await listen(server, options);
  const running = manageConnections(server, address, timeouts, options, () => watcher.close());
  return { ...running, reloadCertificate };
}

/** The plain-HTTP admin server (`/metrics`, `/ping`, `/ready`). */
export async function startHttpServer(options: ListenOptions & { handler: RequestListener }): Promise<RunningServer> {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const server = createHttpServer(serverTimeouts(timeouts), options.handler);
  const address = await listen(server, options);
  return manageConnections(server, address, timeouts, options, () => undefined);
}

function serverTimeouts(timeouts: ServerTimeouts) {
  return {
    headersTimeout: timeouts.headersMs,
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.idleMs,
    connectionsCheckingInterval: timeouts.checkIntervalMs,
  };
}

async function readPair(certFile: string, keyFile: string): Promise<{ cert: Buffer; key: Buffer }> {
  // Both read at once, but a failure reported in a fixed order (the certificate's first): with Promise.all, whichever
  // read failed first named the file, and a start-up without either file said one or the other.
  const [cert, key] = await Promise.allSettled([readFile(certFile), readFile(keyFile)]);
  if (cert.status === "rejected") throw cert.reason;
  if (key.status === "rejected") throw key.reason;
  return { cert: cert.value, key: key.value };
}

function describeCert(pem: Buffer): Record<string, string> {
  try {
    const cert = new X509Certificate(pem);
    return {
      subject: cert.subject.replaceAll("\n", ", "),
      notAfter: cert.validTo,
      fingerprint256: cert.fingerprint256,
    };
  } catch {
    return {};
  }
}

function listen(server: Server | HttpsServer, options: ListenOptions): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once("error", onError);
    const done = () => {
      server.off("error", onError);
      resolve(server.address() as AddressInfo);
    };
    if (options.host === undefined) server.listen(options.port, done);
    else server.listen(options.port, options.host, done);
  });
}

interface ConnectionState {
  /** Requests in flight on it. */
  busy: number;
  /** Has carried a request (Node then applies its keep-alive timeout itself). */
  used: boolean;
}

/**
 * Connection bookkeeping: the cap, the idle timeout of connections that never carry a request, `Connection: close`
 * once shutting down, and the drain.
 *
 * The cap evicts before it refuses: a new connection over it closes the connection idle the longest, and is refused
 * only when every connection is busy. A flood of idle connections then cannot lock the API server out, and busy ones
 * are bounded by the request timeout.
 */
function manageConnections(
  server: Server | HttpsServer,
  address: AddressInfo,
  timeouts: ServerTimeouts,
  options: ListenOptions,
  onClose: () => void,
): RunningServer {
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const tls = server instanceof HttpsServer;
  // TCP sockets, counted from accept (a TLS handshake holds one too).
  const accepted = new Set<Socket>();
  // The sockets HTTP runs on (TLS ones for HTTPS), idle ones in least-recently-used order: Map keeps insertion order,
  // and a socket is re-inserted whenever it becomes idle.
  const sockets = new Map<Socket, ConnectionState>();
  const inflight = new Set<ServerResponse>();
  let closing = false;
  let refusedSince = 0;

  server.on("connection", (socket: Socket) => {
    accepted.add(socket);
    socket.once("close", () => accepted.delete(socket));
    if (accepted.size <= maxConnections) return;
    if (evictIdle()) return;
    socket.destroy();
    refusedSince++;
    // One line per burst, not one per connection.
    if (refusedSince === 1) {
      options.logger?.warn({ maxConnections }, "connection refused: every connection is busy");
      setTimeout(() => {
        if (refusedSince > 1) options.logger?.warn({ maxConnections, refused: refusedSince }, "connections refused");
        refusedSince = 0;
      }, 10_000).unref();
    }
  });

  server.on(tls ? "secureConnection" : "connection", (socket: Socket) => {
    sockets.set(socket, { busy: 0, used: false });
    socket.once("close", () => sockets.delete(socket));
    // Node's timeouts start with a request's first byte and its keep-alive timeout after a first answer: a
    // connection that never sends a request (the API server keeps spare ones) is ours to time out.
    socket.setTimeout(timeouts.idleMs);
  });

  // First among the request listeners, so that a response written at once still gets `Connection: close`.
  server.prependListener("request", (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    const state = sockets.get(socket);
    if (state !== undefined) {
      if (!state.used) socket.setTimeout(0);
      state.used = true;
      state.busy++;
    }
    inflight.add(res);
    if (closing) res.setHeader("Connection", "close");
    res.once("close", () => {
      inflight.delete(res);
      if (state === undefined || !sockets.has(socket)) return;
      state.busy--;
      if (state.busy === 0) {
        sockets.delete(socket);
        sockets.set(socket, state);
      }
    });
  });

  const evictIdle = (): boolean => {
    for (const [socket, state] of sockets) {
      if (state.busy > 0) continue;
      sockets.delete(socket);
      socket.destroy();
      return true;
    }
    return false;
  };

  return {
    server,
    address,
    closeConnectionsAfterResponses() {
      closing = true;
      for (const res of inflight) {
        if (!res.headersSent) res.setHeader("Connection", "close");
      }
    },
    drain(timeoutMs) {
      onClose();
      closing = true;
      return new Promise<void>((resolve) => {
        if (!server.listening) {
          resolve();
          return;
        }
        const sweep = () => {
          // Keep-alive connections become idle once their in-flight request is answered: close them as they do.
          // Connections that never carried a request are not "idle" to Node, so closeIdleConnections leaves them.
          server.closeIdleConnections();
          for (const [socket, state] of sockets) {
            if (!state.used) socket.destroy();
          }
        };
        const timer = setInterval(sweep, 50);
        const deadline = setTimeout(() => server.closeAllConnections(), timeoutMs);
        server.close(() => {
          clearInterval(timer);
          clearTimeout(deadline);
          resolve();
        });
        sweep();
      });
    },
  };
}
