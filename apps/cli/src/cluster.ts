/**
 * Reads Linkerd's configuration from the cluster: the `values` key of ConfigMap `linkerd-config` in the
 * control-plane namespace (spec §5.1). Every failure becomes one line that says what failed and what to do.
 */
import { parse } from "yaml";
import type { ClusterRequest, ClusterValuesResult } from "./io.js";
import { errorMessage } from "./io.js";
import { KUBERNETES_YAML } from "./documents.js";

const CONFIG_MAP = "linkerd-config";
const HINT = "use --ignore-cluster for the built-in defaults, or --values FILE";
/** An unreachable address can hang a connection for minutes; a configuration read should not. */
const TIMEOUT_MS = 20_000;

export async function readClusterValues(request: ClusterRequest): Promise<ClusterValuesResult> {
  // @kubernetes/client-node takes a noticeable part of a second to load; only this code path pays for it.
  const k8s = await import("@kubernetes/client-node");
  const config = new k8s.KubeConfig();
  try {
    if (request.kubeconfig !== undefined) config.loadFromFile(request.kubeconfig);
    else config.loadFromDefault();
  } catch (error) {
    const source = request.kubeconfig === undefined ? "" : ` from ${request.kubeconfig}`;
    return fail(`cannot load the Kubernetes configuration${source}: ${firstLine(errorMessage(error))}; ${HINT}`);
  }
  if (request.context !== undefined) {
    if (config.getContextObject(request.context) === null) {
      return fail(`context "${request.context}" is not in the Kubernetes configuration; ${HINT}`);
    }
    config.setCurrentContext(request.context);
  }
  const cluster = config.getCurrentCluster();
  // With nothing to read, client-node falls back to an unauthenticated http://localhost:8080 named "cluster".
  if (cluster === null || (cluster.name === "cluster" && cluster.server === "http://localhost:8080" && request.kubeconfig === undefined)) {
    return fail(`no Kubernetes configuration found (KUBECONFIG, ~/.kube/config, in-cluster service account); ${HINT}`);
  }
  const where = `ConfigMap ${request.namespace}/${CONFIG_MAP}`;
  let data: Record<string, string> | undefined;
  try {
    const api = config.makeApiClient(k8s.CoreV1Api);
    const configMap = await withTimeout(
      api.readNamespacedConfigMap({ name: CONFIG_MAP, namespace: request.namespace }),
      TIMEOUT_MS,
      `no answer within ${TIMEOUT_MS / 1000}s`,
    );
    data = configMap.data;
  } catch (error) {
    const status = httpStatus(error);
    if (status === 404) {
      return fail(
        `Linkerd is not installed in namespace "${request.namespace}" of cluster ${cluster.server}: ${where} not found ` +
          `(-L names the control-plane namespace); ${HINT}`,
      );
    }
    if (status === 401 || status === 403) {
      return fail(`not allowed to read ${where} on ${cluster.server} (HTTP ${status}); ${HINT}`);
    }
    if (status !== undefined) return fail(`the Kubernetes API server at ${cluster.server} answered HTTP ${status} for ${where}; ${HINT}`);
    return fail(`cannot reach the Kubernetes API server at ${cluster.server} (${networkReason(error)}); ${HINT}`);
  }
  const text = data?.values;
  if (text === undefined) return fail(`${where} has no "values" key; ${HINT}`);
  try {
    return { ok: true, values: parse(text, KUBERNETES_YAML) ?? {} };
  } catch (error) {
    return fail(`the "values" of ${where} are not valid YAML: ${firstLine(errorMessage(error))}; ${HINT}`);
  }
}

function fail(message: string): ClusterValuesResult {
  return { ok: false, message };
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0] ?? "";
}

/** client-node throws `ApiException` (numeric `code`) for HTTP errors. */
function httpStatus(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "number" ? code : undefined;
}

/** node-fetch's `FetchError` carries the system error code (ECONNREFUSED, ENOTFOUND, CERT_HAS_EXPIRED...). */
function networkReason(error: unknown): string {
  if (typeof error === "object" && error !== null) {
    const { code, errno } = error as { code?: unknown; errno?: unknown };
    if (typeof code === "string") return code;
    if (typeof errno === "string") return errno;
  }
  return firstLine(errorMessage(error));
}

function withTimeout<T>(promise: Promise<T>, milliseconds: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), milliseconds);
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
