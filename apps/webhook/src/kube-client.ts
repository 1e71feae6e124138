import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type RequestOptions,
} from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { abortReason, sleep, UNBOUNDED, type Budget } from "./deadline.js";
import { LookupError, type KubeLookups, type ObjectMeta } from "./kube.js";
import { readOwnerReferences } from "./owner.js";
import type { EventSink } from "./events.js";

export interface KubeResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface KubeStream {
  status: number;
  headers: IncomingHttpHeaders;
  /** The response body as it arrives; the caller reads it to the end or destroys it. */
  body: IncomingMessage;
}

export interface CallOptions {
  body?: unknown;
  contentType?: string;
  accept?: string;
  /** Aborts the call (and frees its socket) when it fires: the review's deadline. */
  signal?: AbortSignal | undefined;
}

/** The few API calls the webhook makes. */
export interface KubeApi extends EventSink {
  request(method: string, path: string, options?: CallOptions): Promise<KubeResponse>;
  /** A GET whose body is streamed (a watch). */
  stream(path: string, options: { accept?: string; signal?: AbortSignal }): Promise<KubeStream>;
  readonly server: string;
}

export interface ConnectOptions {
  /** `--kubeconfig`; else in-cluster when `inCluster`; else no cluster. */
  kubeconfig?: string | undefined;
  inCluster: boolean;
}

// Metadata only: a ReplicaSet's pod template can be large and the webhook needs its owner references.
export const METADATA_ACCEPT = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";
export const METADATA_LIST_ACCEPT = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";

/**
 * Connects to the API server with @kubernetes/client-node's config loading (kubeconfig or in-cluster service
 * account, token refresh included). The library is imported here, lazily: it is large and slow to load, and
 * `--dev` never needs it. Returns undefined when there is no cluster to talk to.
 */
export async function connectKube(options: ConnectOptions): Promise<KubeApi | undefined> {
  if (options.kubeconfig === undefined && !options.inCluster) return undefined;
  const { KubeConfig } = await import("@kubernetes/client-node");
  const kc = new KubeConfig();
  if (options.kubeconfig !== undefined) kc.loadFromFile(options.kubeconfig);
  else kc.loadFromCluster();
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new Error("ERR_KUBECONFIG: the kubeconfig has no current cluster");
  // Adds the CA, client certificate and Authorization header (refreshing a projected token when needed).
  return createKubeApi({ server: cluster.server, authenticate: (opts) => kc.applyToHTTPSOptions(opts) });
}

export interface KubeApiOptions {
  server: string;
  /** Sets TLS options and headers on each request (client-node's applyToHTTPSOptions); none in tests. */
  authenticate?: (opts: RequestOptions & Record<string, unknown>) => Promise<void>;
  /** Idle timeout of calls made without a signal (events, the version): nothing may wait forever. */
  idleTimeoutMs?: number;
}

/**
 * The client over plain node:http(s). Three agents, so that one kind of call never queues behind another: look-ups
 * (bounded by each review's deadline), event writes (fire-and-forget, possibly slow when the API is), and the
 * namespace list and watch (one long-lived stream).
 */
export function createKubeApi(options: KubeApiOptions): KubeApi {
  const base = new URL(options.server);
  const secure = base.protocol === "https:";
  const makeAgent = (maxSockets: number) =>
    secure ? new HttpsAgent({ keepAlive: true, maxSockets }) : new HttpAgent({ keepAlive: true, maxSockets });
  // Look-ups: a socket stuck on a dead API server is freed at the review's deadline (the call is aborted), so the
  // queue behind these sockets never holds a review past its deadline either.
  const lookupAgent = makeAgent(64);
  const eventAgent = makeAgent(8);
  const watchAgent = makeAgent(2);
  const idleTimeoutMs = options.idleTimeoutMs ?? 10_000;
  const prefix = base.pathname.replace(/\/$/, "");

  const prepare = async (
    method: string,
    path: string,
    agent: HttpAgent,
    headers: Record<string, string>,
    payload: Buffer | undefined,
  ): Promise<RequestOptions> => {
    const opts: RequestOptions & Record<string, unknown> = {
      method,
      protocol: base.protocol,
      hostname: base.hostname.replace(/^\[|\]$/g, ""),
      port: base.port === "" ? (secure ? 443 : 80) : Number(base.port),
      path: prefix + path,
      headers: {
        ...headers,
        ...(payload !== undefined ? { "Content-Length": String(payload.length) } : {}),
      },
    };
    await options.authenticate?.(opts);
    // applyToHTTPSOptions also builds a fresh agent per call; ours keeps connections (and TLS sessions) alive.
    // The TLS options it set on `opts` still apply: https agents take them from the request options.
    opts.agent = agent;
    return opts;
  };

  const call = async (method: string, path: string, agent: HttpAgent, request: CallOptions = {}) => {
    const payload = request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body));
    const headers: Record<string, string> = { Accept: request.accept ?? "application/json" };
    if (payload !== undefined) headers["Content-Type"] = request.contentType ?? "application/json";
    const opts = await prepare(method, path, agent, headers, payload);
    return send(secure, opts, payload, request.signal, idleTimeoutMs);
  };

  return {
    server: options.server,
    request: (method, path, request) => call(method, path, lookupAgent, request),
    async stream(path, request) {
      const opts = await prepare("GET", path, watchAgent, { Accept: request.accept ?? "application/json" }, undefined);
      return openStream(secure, opts, request.signal);
    },
    async create(namespace, event) {
      const res = await call("POST", `/api/v1/namespaces/${enc(namespace)}/events`, eventAgent, { body: event });
      return res.status;
    },
    async patch(namespace, name, patch) {
      const res = await call("PATCH", `/api/v1/namespaces/${enc(namespace)}/events/${enc(name)}`, eventAgent, {
        body: patch,
        contentType: "application/strategic-merge-patch+json",
      });
      return res.status;
    },
  };
}

/**
 * One call, read to the end. The signal covers everything: the wait for a socket in the agent's queue, the
 * connection, the headers and every byte of the body (a server trickling a body one byte a second never resets
 * it). Without a signal, an idle timeout stands in.
 */
function send(
  secure: boolean,
  opts: RequestOptions,
  payload: Buffer | undefined,
  signal: AbortSignal | undefined,
  idleTimeoutMs: number,
): Promise<KubeResponse> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(abortReason(signal));
      return;
    }
    let done = false;
    const finish = (error: Error | undefined, response?: KubeResponse) => {
      if (done) return;
      done = true;
      signal?.removeEventListener("abort", onAbort);
      if (error !== undefined) {
        req.destroy();
        reject(error);
      } else resolve(response as KubeResponse);
    };
    const onAbort = () => finish(abortReason(signal as AbortSignal));
    const req = (secure ? httpsRequest : httpRequest)(opts, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", (error) => finish(error));
      res.on("close", () => {
        if (!res.complete) finish(new Error("the API server closed the connection mid-response"));
      });
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown = text;
        try {
          body = text === "" ? undefined : JSON.parse(text);
        } catch {
          // Not JSON (a proxy's error page): keep the text for the error message.
        }
        finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    if (signal === undefined) {
      req.setTimeout(idleTimeoutMs, () =>
        finish(new Error(`ERR_KUBE_TIMEOUT: no answer from the API server in ${idleTimeoutMs} ms`)),
      );
    } else {
      signal.addEventListener("abort", onAbort, { once: true });
    }
    req.on("error", (error) => finish(error));
    req.end(payload);
  });
}

function openStream(secure: boolean, opts: RequestOptions, signal: AbortSignal | undefined): Promise<KubeStream> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(abortReason(signal));
      return;
    }
    const req = (secure ? httpsRequest : httpRequest)(opts, (res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res });
    });
    const onAbort = () => req.destroy(abortReason(signal as AbortSignal));
    signal?.addEventListener("abort", onAbort, { once: true });
    req.on("close", () => signal?.removeEventListener("abort", onAbort));
    req.on("error", reject);
    // A watch can be silent for minutes: TCP keep-alive notices a peer that is gone without a word.
    req.on("socket", (socket) => socket.setKeepAlive(true, 30_000));
    req.end();
  });
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

export interface RetryOptions {
  /** Retries when no budget limits them (calls made outside a review). */
  maxAttempts?: number;
  /** First back-off when the API gives no Retry-After; doubles per attempt up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * Namespace and owner GETs (metadata only). 404 is "not found" (null). Within the caller's budget: a 429 or a 5xx
 * is retried after the Retry-After the API server asked for when that still fits in the budget (else after a short
 * back-off that fits); a refused or reset connection likewise. Anything else, or no time left, rejects with a
 * LookupError whose message says what the API answered last.
 */
export function kubeLookups(api: KubeApi, retry: RetryOptions = {}): KubeLookups {
  const maxAttempts = retry.maxAttempts ?? 3;
  const backoffMs = retry.backoffMs ?? 50;
  const maxBackoffMs = retry.maxBackoffMs ?? 1000;

  const get = async (path: string, what: string, budget: Budget = UNBOUNDED): Promise<ObjectMeta | null> => {
    const bounded = Number.isFinite(budget.remainingMs());
    let last = "";
    for (let attempt = 1; ; attempt++) {
      let wait: number;
      let failure: LookupError;
      try {
        const res = await api.request("GET", path, {
          accept: METADATA_ACCEPT,
          signal: bounded ? budget.signal : undefined,
        });
        if (res.status === 200) return toObjectMeta(res.body);
        if (res.status === 404) return null;
        last = describeFailure(res);
        const retryAfter = parseRetryAfter(res.headers["retry-after"]);
        if (res.status === 429) {
          failure = new LookupError(
            "throttled",
            `failed to get ${what}: ${last}${retryAfter !== undefined ? ` (Retry-After ${retryAfter / 1000} s)` : ""}`,
          );
        } else if (res.status >= 500) {
          failure = new LookupError("server_error", `failed to get ${what}: ${last}`);
        } else {
          throw new LookupError(
            res.status === 401 || res.status === 403 ? "forbidden" : "bad_response",
            `failed to get ${what}: ${last}`,
          );
        }
        wait = retryAfter ?? Math.min(maxBackoffMs, backoffMs * 2 ** (attempt - 1));
      } catch (error) {
        if (error instanceof LookupError) throw error;
        if (budget.signal.aborted) {
          throw new LookupError(
            "deadline_exceeded",
            `failed to get ${what}: no answer from the Kubernetes API in time${last !== "" ? ` (last answer: ${last})` : ""}`,
          );
        }
        last = error instanceof Error ? error.message : String(error);
        failure = new LookupError("unreachable", `failed to get ${what}: ${last}`);
        wait = Math.min(maxBackoffMs, backoffMs * 2 ** (attempt - 1));
      }
      // Retry only when the wait, plus a little for the call itself, fits in what is left.
      const fits = bounded ? wait + 10 < budget.remainingMs() : attempt < maxAttempts;
      if (!fits || attempt >= 20) throw failure;
      try {
        await sleep(wait, bounded ? budget.signal : undefined);
      } catch {
        throw failure;
      }
    }
  };
  return {
    namespace: (name, options) => get(`/api/v1/namespaces/${enc(name)}`, `namespace "${name}"`, options?.budget),
    replicaSet: (namespace, name, options) =>
      get(
        `/apis/apps/v1/namespaces/${enc(namespace)}/replicasets/${enc(name)}`,
        `replicaset ${namespace}/${name}`,
        options?.budget,
      ),
    job: (namespace, name, options) =>
      get(`/apis/batch/v1/namespaces/${enc(namespace)}/jobs/${enc(name)}`, `job ${namespace}/${name}`, options?.budget),
  };
}

/** Retry-After in milliseconds: delay-seconds, or an HTTP date (relative to now: the only wall-clock use here). */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === "") return undefined;
  if (/^\s*\d+\s*$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function toObjectMeta(body: unknown): ObjectMeta {
  const meta = isRecord(body) && isRecord(body["metadata"]) ? body["metadata"] : {};
  const out: ObjectMeta = {
    name: typeof meta["name"] === "string" ? meta["name"] : "",
    annotations: stringMap(meta["annotations"]),
    ownerReferences: readOwnerReferences(meta["ownerReferences"]),
  };
  if (typeof meta["namespace"] === "string") out.namespace = meta["namespace"];
  if (typeof meta["uid"] === "string") out.uid = meta["uid"];
  if (typeof meta["resourceVersion"] === "string") out.resourceVersion = meta["resourceVersion"];
  if (isRecord(meta["labels"])) out.labels = stringMap(meta["labels"]);
  return out;
}

export interface ServerVersion {
  gitVersion: string;
  major: number;
  minor: number;
}

/** `GET /version`. Managed clusters report minors like `"29+"`: the digits are what count. */
export async function readServerVersion(api: KubeApi, signal?: AbortSignal): Promise<ServerVersion> {
  const res = await api.request("GET", "/version", { signal });
  if (res.status !== 200 || !isRecord(res.body))
    throw new Error(`failed to read the server version: ${describeFailure(res)}`);
  return parseServerVersion(res.body);
}

export function parseServerVersion(body: Record<string, unknown>): ServerVersion {
  const gitVersion = typeof body["gitVersion"] === "string" ? body["gitVersion"] : "";
  let major = Number.parseInt(String(body["major"] ?? ""), 10);
  let minor = Number.parseInt(String(body["minor"] ?? ""), 10);
  if (Number.isNaN(major) || Number.isNaN(minor)) {
    const match = /^v?(\d+)\.(\d+)/.exec(gitVersion);
    major = Number(match?.[1] ?? 0);
    minor = Number(match?.[2] ?? 0);
  }
  return { gitVersion, major, minor };
}

/** Native sidecars (init containers with `restartPolicy: Always`) are on by default from Kubernetes 1.29. */
export function supportsNativeSidecars(version: ServerVersion): boolean {
  return version.major > 1 || (version.major === 1 && version.minor >= 29);
}

export function describeFailure(res: { status: number; body: unknown }): string {
  if (isRecord(res.body) && typeof res.body["message"] === "string") return `${res.status} ${res.body["message"]}`;
  return `HTTP ${res.status}`;
}

/** String-valued entries only: metadata from the API is trusted, but not to be well-formed. */
export function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(value)) return out;
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry === "string") out[key] = entry;
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
