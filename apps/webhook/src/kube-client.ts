import { Agent as HttpAgent, request as httpRequest, type RequestOptions } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { KubeLookups, ObjectMeta } from "./kube.js";
import { readOwnerReferences } from "./owner.js";
import type { EventSink } from "./events.js";

export interface KubeResponse {
  status: number;
  body: unknown;
}

/** The few API calls the webhook makes, over one keep-alive agent with a deadline per call. */
export interface KubeApi extends EventSink {
  request(method: string, path: string, body?: unknown, contentType?: string): Promise<KubeResponse>;
  readonly server: string;
}

export interface ConnectOptions {
  /** `--kubeconfig`; else in-cluster when `inCluster`; else no cluster. */
  kubeconfig?: string | undefined;
  inCluster: boolean;
  /** Per-call deadline: look-ups must leave time to answer within the API server's webhook timeout (10 s). */
  timeoutMs?: number;
}

// Metadata only: a ReplicaSet's pod template can be large and the webhook needs its owner references.
const METADATA_ACCEPT = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";

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
  const base = new URL(cluster.server);
  const secure = base.protocol === "https:";
  const agent = secure ? new HttpsAgent({ keepAlive: true, maxSockets: 32 }) : new HttpAgent({ keepAlive: true });
  const timeoutMs = options.timeoutMs ?? 3000;
  const prefix = base.pathname.replace(/\/$/, "");

  const request = async (method: string, path: string, body?: unknown, contentType?: string) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const opts: RequestOptions & Record<string, unknown> = {
      method,
      protocol: base.protocol,
      hostname: base.hostname.replace(/^\[|\]$/g, ""),
      port: base.port === "" ? (secure ? 443 : 80) : Number(base.port),
      path: prefix + path,
      headers: {
        Accept: method === "GET" ? METADATA_ACCEPT : "application/json",
        ...(payload !== undefined
          ? { "Content-Type": contentType ?? "application/json", "Content-Length": String(payload.length) }
          : {}),
      },
      agent,
      timeout: timeoutMs,
    };
    // Adds the CA, client certificate and Authorization header (refreshing a projected token when needed).
    await kc.applyToHTTPSOptions(opts);
    // applyToHTTPSOptions also builds a fresh agent per call; ours keeps connections (and TLS sessions) alive.
    // The TLS options it set on `opts` still apply: https agents take them from the request options.
    opts.agent = agent;
    return send(secure, opts, payload, timeoutMs);
  };

  return {
    server: cluster.server,
    request,
    async create(namespace, event) {
      const res = await request("POST", `/api/v1/namespaces/${enc(namespace)}/events`, event);
      return res.status;
    },
    async patch(namespace, name, patch) {
      const res = await request(
        "PATCH",
        `/api/v1/namespaces/${enc(namespace)}/events/${enc(name)}`,
        patch,
        "application/strategic-merge-patch+json",
      );
      return res.status;
    },
  };
}

function send(
  secure: boolean,
  opts: RequestOptions,
  payload: Buffer | undefined,
  timeoutMs: number,
): Promise<KubeResponse> {
  return new Promise((resolve, reject) => {
    const req = (secure ? httpsRequest : httpRequest)(opts, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown = text;
        try {
          body = text === "" ? undefined : JSON.parse(text);
        } catch {
          // Not JSON (a proxy's error page): keep the text for the error message.
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on("timeout", () => req.destroy(new Error(`ERR_KUBE_TIMEOUT: no answer from the API server in ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(payload);
  });
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

/** Namespace and owner GETs. 404 is "not found" (null); any other failure rejects with the API's message. */
export function kubeLookups(api: KubeApi): KubeLookups {
  const get = async (path: string, what: string): Promise<ObjectMeta | null> => {
    const res = await api.request("GET", path);
    if (res.status === 404) return null;
    if (res.status !== 200) throw new Error(`failed to get ${what}: ${describeFailure(res)}`);
    return toObjectMeta(res.body);
  };
  return {
    namespace: (name) => get(`/api/v1/namespaces/${enc(name)}`, `namespace "${name}"`),
    replicaSet: (namespace, name) =>
      get(`/apis/apps/v1/namespaces/${enc(namespace)}/replicasets/${enc(name)}`, `replicaset ${namespace}/${name}`),
    job: (namespace, name) =>
      get(`/apis/batch/v1/namespaces/${enc(namespace)}/jobs/${enc(name)}`, `job ${namespace}/${name}`),
  };
}

function toObjectMeta(body: unknown): ObjectMeta {
  const meta = isRecord(body) && isRecord(body["metadata"]) ? body["metadata"] : {};
  const annotations: Record<string, string> = {};
  if (isRecord(meta["annotations"])) {
    for (const [key, value] of Object.entries(meta["annotations"])) {
      if (typeof value === "string") annotations[key] = value;
    }
  }
  const out: ObjectMeta = {
    name: typeof meta["name"] === "string" ? meta["name"] : "",
    annotations,
    ownerReferences: readOwnerReferences(meta["ownerReferences"]),
  };
  if (typeof meta["namespace"] === "string") out.namespace = meta["namespace"];
  if (typeof meta["uid"] === "string") out.uid = meta["uid"];
  return out;
}

export interface ServerVersion {
  gitVersion: string;
  major: number;
  minor: number;
}

/** `GET /version`. Managed clusters report minors like `"29+"`: the digits are what count. */
export async function readServerVersion(api: KubeApi): Promise<ServerVersion> {
  const res = await api.request("GET", "/version");
  if (res.status !== 200 || !isRecord(res.body)) throw new Error(`failed to read the server version: ${describeFailure(res)}`);
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

function describeFailure(res: KubeResponse): string {
  if (isRecord(res.body) && typeof res.body["message"] === "string") return `${res.status} ${res.body["message"]}`;
  return `HTTP ${res.status}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
