/**
 * Reads Linkerd's configuration from the cluster: the `values` key of ConfigMap `linkerd-config` in the
 * control-plane namespace (spec §5.1). Every failure becomes one line that says what failed.
 *
 * `@kubernetes/client-node` resolves the kubeconfig (contexts, client certificates, tokens, exec plugins) into
 * request options; the one GET is made here, so that `--as-group` can repeat the `Impersonate-Group` header as the
 * API server expects (client-node's API classes send each header once).
 */
import { request as httpRequest, type RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";
import { parse } from "yaml";
import type { ClusterRequest, ClusterValuesResult } from "./io.js";
import { errorMessage } from "./io.js";
import { KUBERNETES_YAML } from "./documents.js";

const CONFIG_MAP = "linkerd-config";
/** An unreachable address can hang a connection for minutes; a configuration read should not. */
const TIMEOUT_MS = 20_000;

export async function readClusterValues(request: ClusterRequest): Promise<ClusterValuesResult> {
  // @kubernetes/client-node takes a noticeable part of a second to load; only this code path pays for it. It is an
  // optional dependency of the package: without it, everything but reading the cluster works.
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
  const where = `ConfigMap ${request.namespace}/${CONFIG_MAP}`;
  const url = new URL(
    `${cluster.server.replace(/\/+$/, "")}/api/v1/namespaces/${encodeURIComponent(request.namespace)}/configmaps/${CONFIG_MAP}`,
  );
  const options: RequestOptions & { headers: Record<string, string | string[]> } = {
    method: "GET",
    headers: { Accept: "application/json" },
  };
  try {
    await config.applyToHTTPSOptions(options);
  } catch (error) {
    return fail(`cannot authenticate to ${cluster.server}: ${firstLine(errorMessage(error))}`);
  }
  if (request.impersonate !== undefined) options.headers["Impersonate-User"] = request.impersonate;
  if (request.impersonateGroups !== undefined && request.impersonateGroups.length > 0) {
    options.headers["Impersonate-Group"] = [...request.impersonateGroups];
  }

  let response: { status: number; body: string };
  try {
    response = await get(url, options);
  } catch (error) {
    return fail(`cannot reach the Kubernetes API server at ${cluster.server} (${networkReason(error)})`);
  }
  if (response.status === 404) {
    return fail(
      `Linkerd is not installed in namespace "${request.namespace}" of cluster ${cluster.server}: ${where} not found (-L names the control-plane namespace)`,
    );
  }
  if (response.status === 401 || response.status === 403) {
    return fail(`not allowed to read ${where} on ${cluster.server} (HTTP ${response.status})`);
  }
  if (response.status !== 200)
    return fail(`the Kubernetes API server at ${cluster.server} answered HTTP ${response.status} for ${where}`);
  let text: unknown;
  try {
    text = (JSON.parse(response.body) as { data?: { values?: unknown } }).data?.values;
  } catch {
    return fail(`the Kubernetes API server at ${cluster.server} answered ${where} with something other than JSON`);
  }
  if (typeof text !== "string") return fail(`${where} has no "values" key`);
  try {
    return { ok: true, values: parse(text, KUBERNETES_YAML) ?? {} };
  } catch (error) {
    return fail(`the "values" of ${where} are not valid YAML: ${firstLine(errorMessage(error))}`);
  }
}

function get(url: URL, options: RequestOptions): Promise<{ status: number; body: string }> {
  const send = url.protocol === "http:" ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const call = send(url, { ...options, timeout: TIMEOUT_MS }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
      );
      response.on("error", reject);
    });
    call.on("timeout", () =>
      call.destroy(Object.assign(new Error(`no answer within ${TIMEOUT_MS / 1000}s`), { code: "ETIMEDOUT" })),
    );
    call.on("error", reject);
    call.end();
  });
}

function fail(message: string): ClusterValuesResult {
  return { ok: false, message };
}

function firstLine(text: string): string {
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
