/**
 * A stand-in Kubernetes API server on loopback (plain node:http), for tests of the client, the namespace watch and
 * the review deadline under faults. Each request is recorded with whether the client gave up on it (closed the
 * connection before the answer was complete): that is how tests see a deadline's AbortSignal reach the socket.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface SeenRequest {
  method: string;
  url: URL;
  headers: IncomingMessage["headers"];
  /** True once the client closed the connection before the response was complete. */
  abandoned: boolean;
  /** True once the response was completely written. */
  answered: boolean;
}

export type StandInHandler = (req: IncomingMessage, res: ServerResponse, seen: SeenRequest) => void;

export interface StandInApi {
  /** `http://127.0.0.1:<port>` */
  url: string;
  requests: SeenRequest[];
  handle(handler: StandInHandler): void;
  close(): Promise<void>;
}

export async function startStandInApi(handler: StandInHandler = () => undefined): Promise<StandInApi> {
  let current = handler;
  const requests: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const seen: SeenRequest = {
      method: req.method ?? "",
      url: new URL(req.url ?? "/", "http://stand-in"),
      headers: req.headers,
      abandoned: false,
      answered: false,
    };
    requests.push(seen);
    res.on("finish", () => {
      seen.answered = true;
    });
    res.on("close", () => {
      if (!seen.answered) seen.abandoned = true;
    });
    current(req, res, seen);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle(next) {
      current = next;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Polls `check` until it returns something other than undefined/false; only a hang guard, generous on purpose. */
export async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
