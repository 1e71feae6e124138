/**
 * The Kubernetes API as the CLI uses it: a GET, a paginated LIST and a PATCH, with every failure returned as
 * data (an HTTP status and one line), never thrown.
 *
 * `@kubernetes/client-node` resolves the kubeconfig (contexts, client certificates, tokens, exec plugins) into
 * request options; the requests themselves are made here, so that `--as-group` can repeat the
 * `Impersonate-Group` header as the API server expects (client-node's API classes send each header once) and so
 * that a LIST can be read one page at a time.
 */
import { request as httpRequest, type RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";
import type { ClusterRequest } from "./io.js";
import { errorMessage } from "./io.js";

/** An unreachable address can hang a connection for minutes; one request should not. */
const TIMEOUT_MS = 20_000;
/** Items per LIST page: what `kubectl get` asks for, and what bounds the memory of a whole-cluster read. */
export const DEFAULT_PAGE_SIZE = 500;

export type KubeObject = { [key: string]: unknown };

/**
 * One answer. `status` is the HTTP status, or 0 when no answer came (connection refused, timeout...); then
 * `message` says why. For an HTTP error `message` holds the API server's own `Status.message` when it sent one.
 */
export type KubeResponse =
  | { ok: true; status: number; body: KubeObject }
  | { ok: false; status: number; message: string };

/** One page of a LIST: its items, or the failure that ended the listing. */
export type KubePage = { ok: true; items: KubeObject[] } | { ok: false; status: number; message: string };

export interface KubeApi {
  /** The API server's URL, for messages. */
  readonly server: string;
  get(path: string, query?: Readonly<Record<string, string>>): Promise<KubeResponse>;
  /**
   * The items of a collection, one page at a time (`limit` and `continue`), so that the caller holds one page in
   * memory. A failed page ends the iteration with that failure as its last element.
   */
  list(path: string, query?: Readonly<Record<string, string>>, pageSize?: number): AsyncGenerator<KubePage>;
  patch(path: string, body: unknown, contentType: PatchContentType): Promise<KubeResponse>;
}

export type PatchContentType =
  | "application/strategic-merge-patch+json"
  | "application/merge-patch+json"
  | "application/json-patch+json";

export type KubeConnection = { ok: true; api: KubeApi } | { ok: false; message: string };

/** Resolves the kubeconfig of the global flags into a connection; nothing is sent yet. */
export async function connectKube(request: ClusterRequest): Promise<KubeConnection> {
  // @kubernetes/client-node takes a noticeable part of a second to load; only the commands that read the cluster
  // pay for it. It is an optional dependency of the package: without it, everything but the cluster works.
  let k8s: typeof import("@kubernetes/client-node");
  try {
    k8s = await import("@kubernetes/client-node");
  } catch {
    return fail(
      "reading the cluster needs @kubernetes/client-node, which is not installed beside this CLI (npm i -g @kubernetes/client-node)",
    );
  }
  const config = new k8s.KubeConfig();
  try {
    if (request.kubeconfig !== undefined) config.loadFromFile(request.kubeconfig);
    else config.loadFromDefault();
  } catch (error) {
    const source = request.kubeconfig === undefined ? "" : ` from ${request.kubeconfig}`;
    return fail(`cannot load the Kubernetes configuration${source}: ${firstLine(errorMessage(error))}`);
  }
  if (request.context !== undefined) {
    if (config.getContextObject(request.context) === null) {
      return fail(`context "${request.context}" is not in the Kubernetes configuration`);
    }
    config.setCurrentContext(request.context);
  }
  const cluster = config.getCurrentCluster();
  // With nothing to read, client-node falls back to an unauthenticated http://localhost:8080 named "cluster".
  if (
    cluster === null ||
    (cluster.name === "cluster" && cluster.server === "http://localhost:8080" && request.kubeconfig === undefined)
  ) {
    return fail("no Kubernetes configuration found (KUBECONFIG, ~/.kube/config, in-cluster service account)");
  }
  const server = cluster.server.replace(/\/+$/, "");
  const base: RequestOptions & { headers: Record<string, string | string[]> } = {
    headers: { Accept: "application/json" },
  };
  try {
    await config.applyToHTTPSOptions(base);
  } catch (error) {
    return fail(`cannot authenticate to ${server}: ${firstLine(errorMessage(error))}`);
  }
  if (request.impersonate !== undefined) base.headers["Impersonate-User"] = request.impersonate;
  if (request.impersonateGroups !== undefined && request.impersonateGroups.length > 0) {
    base.headers["Impersonate-Group"] = [...request.impersonateGroups];
  }
  return { ok: true, api: httpKubeApi(server, base) };
}

function httpKubeApi(server: string, base: RequestOptions & { headers: Record<string, string | string[]> }): KubeApi {
  const send = async (
    method: string,
    path: string,
    query: Readonly<Record<string, string>> | undefined,
    body?: { text: string; contentType: string },
  ): Promise<KubeResponse> => {
    const url = new URL(server + path);
    for (const [key, value] of Object.entries(query ?? {})) url.searchParams.set(key, value);
    const headers = { ...base.headers };
    if (body !== undefined) headers["Content-Type"] = body.contentType;
    let answer: { status: number; text: string };
    try {
      answer = await exchange(url, { ...base, method, headers }, body?.text);
    } catch (error) {
      return {
        ok: false,
        status: 0,
        message: `cannot reach the Kubernetes API server at ${server} (${networkReason(error)})`,
      };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.text);
    } catch {
      parsed = undefined;
    }
    if (answer.status >= 200 && answer.status < 300) {
      if (!isObject(parsed)) {
        return {
          ok: false,
          status: answer.status,
          message: `the Kubernetes API server at ${server} answered ${method} ${path} with something other than a JSON object`,
        };
      }
      return { ok: true, status: answer.status, body: parsed };
    }
    const statusMessage = isObject(parsed) && typeof parsed["message"] === "string" ? parsed["message"] : "";
    return {
      ok: false,
      status: answer.status,
      message: statusMessage === "" ? `HTTP ${answer.status} for ${method} ${path}` : statusMessage,
    };
  };
  return {
    server,
    get: (path, query) => send("GET", path, query),
    patch: (path, body, contentType) => send("PATCH", path, undefined, { text: JSON.stringify(body), contentType }),
    async *list(path, query, pageSize = DEFAULT_PAGE_SIZE) {
      let token = "";
      do {
        const page = await send("GET", path, {
          ...query,
          limit: String(pageSize),
          ...(token === "" ? {} : { continue: token }),
        });
        if (!page.ok) {
          yield page;
          return;
        }
        const items = Array.isArray(page.body["items"]) ? page.body["items"].filter(isObject) : [];
        const metadata = page.body["metadata"];
        token = isObject(metadata) && typeof metadata["continue"] === "string" ? metadata["continue"] : "";
        yield { ok: true, items };
      } while (token !== "");
    },
  };
}

function exchange(
  url: URL,
  options: RequestOptions,
  body: string | undefined,
): Promise<{ status: number; text: string }> {
  const send = url.protocol === "http:" ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const call = send(url, { ...options, timeout: TIMEOUT_MS }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
      );
      response.on("error", reject);
    });
    call.on("timeout", () =>
      call.destroy(Object.assign(new Error(`no answer within ${TIMEOUT_MS / 1000}s`), { code: "ETIMEDOUT" })),
    );
    call.on("error", reject);
    call.end(body);
  });
}

function isObject(value: unknown): value is KubeObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function fail(message: string): { ok: false; message: string } {
  return { ok: false, message };
}

export function firstLine(text: string): string {
  return text.split("\n", 1)[0] ?? "";
}

/** The system error code (ECONNREFUSED, ENOTFOUND, CERT_HAS_EXPIRED...), else the message. */
function networkReason(error: unknown): string {
  if (typeof error === "object" && error !== null) {
    const { code } = error as { code?: unknown };
    if (typeof code === "string") return code;
  }
  return firstLine(errorMessage(error));
}
