import { readFile } from "node:fs/promises";
import { createServer as createHttpServer, type RequestListener, type Server } from "node:http";
import { createServer as createHttpsServer, Server as HttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { createSecureContext, type SecureContextOptions } from "node:tls";
import { X509Certificate } from "node:crypto";
import type { Logger } from "pino";
import { watchFiles } from "./watch.js";

// TLS 1.2 is the floor: older API servers negotiate 1.2, and 1.0/1.1 are broken.
const TLS_OPTIONS: SecureContextOptions = { minVersion: "TLSv1.2" };

export interface ListenOptions {
  host: string | undefined;
  port: number;
}

export interface RunningServer {
  server: Server | HttpsServer;
  address: AddressInfo;
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
  const server = createHttpsServer({ ...TLS_OPTIONS, cert: current.cert, key: current.key }, options.handler);
  tuneTimeouts(server);
  logger.info(describeCert(current.cert), "serving certificate loaded");

  let reloading: Promise<boolean> | undefined;
  const reloadCertificate = (): Promise<boolean> => {
    // Serialise reloads: a watch event and the poll timer may fire together.
    reloading ??= (async () => {
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
      } finally {
        reloading = undefined;
      }
    })();
    return reloading;
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
  const running = drainable(server, address, () => watcher.close());
  return { ...running, reloadCertificate };
}

/** The plain-HTTP admin server (`/metrics`, `/ping`, `/ready`). */
export async function startHttpServer(options: ListenOptions & { handler: RequestListener }): Promise<RunningServer> {
  const server = createHttpServer(options.handler);
  tuneTimeouts(server);
  const address = await listen(server, options);
  return drainable(server, address, () => undefined);
}

function tuneTimeouts(server: Server | HttpsServer): void {
  // Linkerd's ReadHeaderTimeout is 15 s; a whole review must arrive well within the API server's 10 s budget.
  server.headersTimeout = 15_000;
  server.requestTimeout = 30_000;
}

async function readPair(certFile: string, keyFile: string): Promise<{ cert: Buffer; key: Buffer }> {
  const [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
  return { cert, key };
}

function describeCert(pem: Buffer): Record<string, string> {
  try {
    const cert = new X509Certificate(pem);
    return { subject: cert.subject.replaceAll("\n", ", "), notAfter: cert.validTo, fingerprint256: cert.fingerprint256 };
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

function drainable(server: Server | HttpsServer, address: AddressInfo, onClose: () => void): RunningServer {
  // Connections that never carried a request (the API server keeps spare TLS connections open) are not "idle" to
  // Node, so closeIdleConnections leaves them and close() would wait for the deadline: track and end them ourselves.
  const unused = new Set<Socket>();
  server.on(server instanceof HttpsServer ? "secureConnection" : "connection", (socket: Socket) => {
    unused.add(socket);
    socket.once("close", () => unused.delete(socket));
  });
  server.on("request", (req: { socket: Socket }) => unused.delete(req.socket));
  return {
    server,
    address,
    drain(timeoutMs) {
      onClose();
      return new Promise<void>((resolve) => {
        if (!server.listening) {
          resolve();
          return;
        }
        const sweep = () => {
          // Keep-alive connections become idle once their in-flight request is answered: close them as they do.
          server.closeIdleConnections();
          for (const socket of unused) socket.destroy();
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
