/**
 * Reads Linkerd's configuration from the cluster: the `values` key of ConfigMap `linkerd-config` in the
 * control-plane namespace (spec §5.1). Every failure becomes one line that says what failed.
 */
import { parse } from "yaml";
import { KUBERNETES_YAML } from "./documents.js";
import type { ClusterRequest, ClusterValuesResult } from "./io.js";
import { connectKube, firstLine, type KubeApi } from "./kube-api.js";
import { errorMessage } from "./io.js";

const CONFIG_MAP = "linkerd-config";

export async function readClusterValues(request: ClusterRequest): Promise<ClusterValuesResult> {
  const connection = await connectKube(request);
  if (!connection.ok) return connection;
  return readValues(connection.api, request.namespace);
}

/** The `values` of `linkerd-config` in `namespace`, through a connection made already. */
export async function readValues(api: KubeApi, namespace: string): Promise<ClusterValuesResult> {
  const where = `ConfigMap ${namespace}/${CONFIG_MAP}`;
  const response = await api.get(`/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/${CONFIG_MAP}`);
  if (!response.ok) {
    switch (response.status) {
      case 0:
        return fail(response.message);
      case 404:
        return fail(
          `Linkerd is not installed in namespace "${namespace}" of cluster ${api.server}: ${where} not found (-L names the control-plane namespace)`,
        );
      case 401:
      case 403:
        return fail(`not allowed to read ${where} on ${api.server} (HTTP ${response.status})`);
      default:
        if (response.status >= 200 && response.status < 300) {
          return fail(`the Kubernetes API server at ${api.server} answered ${where} with something other than JSON`);
        }
        return fail(`the Kubernetes API server at ${api.server} answered HTTP ${response.status} for ${where}`);
    }
  }
  const data = response.body["data"];
  const text = typeof data === "object" && data !== null ? (data as { values?: unknown }).values : undefined;
  if (typeof text !== "string") return fail(`${where} has no "values" key`);
  try {
    return { ok: true, values: parse(text, KUBERNETES_YAML) ?? {} };
  } catch (error) {
    return fail(`the "values" of ${where} are not valid YAML: ${firstLine(errorMessage(error))}`);
  }
}

function fail(message: string): ClusterValuesResult {
  return { ok: false, message };
}
