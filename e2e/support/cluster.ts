import type { ServerVersion } from "./context.js";
import type { KubeEvent, KubeObject, Pod } from "./kube-types.js";
import type { Kubectl } from "./kubectl.js";
import { waitFor } from "./poll.js";
import { namespaceManifest } from "./workloads.js";

/**
 * Creates a namespace and waits until pods can be created in it: the ServiceAccount admission plugin rejects pods
 * until the `default` ServiceAccount exists and, before Kubernetes 1.24, until its token Secret does.
 */
export async function createNamespace(
  kubectl: Kubectl,
  server: ServerVersion,
  name: string,
  annotations: Record<string, string>,
  labels: Record<string, string>,
): Promise<void> {
  await kubectl.apply([namespaceManifest(name, annotations, labels)]);
  const needsSecret = server.major === 1 && server.minor < 24;
  await waitFor(`the default ServiceAccount of namespace ${name}`, async () => {
    const sa = await kubectl.get<KubeObject & { secrets?: unknown[] }>("serviceaccount", "default", name);
    if (sa === undefined) return undefined;
    return !needsSecret || (sa.secrets ?? []).length > 0 ? true : undefined;
  });
}

/** Waits until `count` pods match the selector (controllers create them asynchronously) and returns them. */
export async function waitForPods(
  kubectl: Kubectl,
  namespace: string,
  selector: string,
  count: number,
  timeoutMs = 60_000,
): Promise<Pod[]> {
  return waitFor(
    `${count} pod(s) matching ${selector} in ${namespace}`,
    async () => {
      const pods = await kubectl.list<Pod>("pods", namespace, selector);
      return pods.length >= count ? pods : undefined;
    },
    { timeoutMs },
  );
}

/**
 * Waits for events with `reason` about the object (the webhook writes them asynchronously) until they add up to
 * `occurrences` (an Event's `count` says how many times it happened) and returns them.
 */
export async function waitForEvents(
  kubectl: Kubectl,
  namespace: string,
  object: { kind: string; name: string },
  reason: string,
  occurrences = 1,
  timeoutMs = 30_000,
): Promise<KubeEvent[]> {
  const selector = `involvedObject.kind=${object.kind},involvedObject.name=${object.name},reason=${reason}`;
  return waitFor(
    `${occurrences} ${reason} event(s) on ${object.kind}/${object.name} in ${namespace}`,
    async () => {
      const events = await kubectl.list<KubeEvent>("events", namespace, undefined, selector);
      return countOccurrences(events) >= occurrences ? events : undefined;
    },
    { timeoutMs },
  );
}

export function countOccurrences(events: readonly KubeEvent[]): number {
  return events.reduce((sum, event) => sum + (event.count ?? 1), 0);
}

/** CronJob is batch/v1 from Kubernetes 1.21 and batch/v1beta1 before (v1.20 has only the latter). */
export async function cronJobApiVersion(kubectl: Kubectl): Promise<string> {
  const discovery = JSON.parse(await kubectl.ok(["get", "--raw", "/apis/batch/v1"])) as {
    resources: { name: string }[];
  };
  return discovery.resources.some((r) => r.name === "cronjobs") ? "batch/v1" : "batch/v1beta1";
}
