/**
 * Manifests the tests create. The image never runs (there is no kubelet in the local control plane); on a real
 * cluster it is the smallest image that does.
 */
const IMAGE = "registry.k8s.io/pause:3.9";

export interface TemplateOptions {
  annotations?: Record<string, string>;
  ports?: { containerPort: number; name?: string }[];
  initContainers?: Record<string, unknown>[];
  /** For Jobs: they only accept Never or OnFailure. */
  restartPolicy?: string;
}

export function podTemplate(app: string, options: TemplateOptions = {}): Record<string, unknown> {
  return {
    metadata: { labels: { app }, ...(options.annotations !== undefined ? { annotations: options.annotations } : {}) },
    spec: {
      ...(options.initContainers !== undefined ? { initContainers: options.initContainers } : {}),
      containers: [{ name: "app", image: IMAGE, ...(options.ports !== undefined ? { ports: options.ports } : {}) }],
      ...(options.restartPolicy !== undefined ? { restartPolicy: options.restartPolicy } : {}),
    },
  };
}

export function namespaceManifest(
  name: string,
  annotations: Record<string, string>,
  labels: Record<string, string>,
): Record<string, unknown> {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name, annotations, labels } };
}

export function deployment(name: string, namespace: string, replicas: number, options: TemplateOptions = {}) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: podTemplate(name, options) },
  };
}

export function statefulSet(name: string, namespace: string) {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name, namespace },
    spec: { serviceName: name, replicas: 1, selector: { matchLabels: { app: name } }, template: podTemplate(name) },
  };
}

export function daemonSet(name: string, namespace: string) {
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name, namespace },
    spec: { selector: { matchLabels: { app: name } }, template: podTemplate(name) },
  };
}

function jobSpec(app: string) {
  return { backoffLimit: 0, template: podTemplate(app, { restartPolicy: "Never" }) };
}

export function job(
  name: string,
  namespace: string,
  owner?: { apiVersion: string; kind: string; name: string; uid: string },
) {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name,
      namespace,
      ...(owner !== undefined
        ? {
            // What the CronJob controller (and `kubectl create job --from=cronjob/…`) sets on the Jobs it creates.
            ownerReferences: [{ ...owner, controller: true }],
            annotations: { "cronjob.kubernetes.io/instantiate": "manual" },
          }
        : {}),
    },
    spec: jobSpec(name),
  };
}

/** Suspended and scheduled once a year: its Job is created by the test, not by the clock. */
export function cronJob(name: string, namespace: string, apiVersion: string) {
  return {
    apiVersion,
    kind: "CronJob",
    metadata: { name, namespace },
    spec: { schedule: "0 0 1 1 *", suspend: true, jobTemplate: { spec: jobSpec(name) } },
  };
}

export function pod(name: string, namespace: string, options: TemplateOptions = {}) {
  const template = podTemplate(name, options);
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { ...(template["metadata"] as Record<string, unknown>), name, namespace },
    spec: template["spec"],
  };
}

export function service(
  name: string,
  namespace: string,
  ports: { port: number; targetPort?: number; name?: string }[],
) {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace },
    spec: { selector: { app: name }, ports },
  };
}

/** A Node object without a kubelet: enough for the DaemonSet controller to create a pod for it. */
export function fakeNode(name: string) {
  return { apiVersion: "v1", kind: "Node", metadata: { name, labels: { "kubernetes.io/hostname": name } } };
}
