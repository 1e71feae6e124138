/** A manifest of `n` mixed documents, like a rendered chart: Deployments, StatefulSets, DaemonSets, Jobs, CronJobs,
 * Pods, Services and ConfigMaps, with comments, ports and probes. */
export function generateManifest(n) {
  const docs = [];
  for (let i = 0; i < n; i++) {
    const kind = ["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "Service", "ConfigMap"][i % 8];
    docs.push(documentFor(kind, `app-${i}`));
  }
  return docs.join("---\n");
}

function podSpec(name, indent) {
  const pad = " ".repeat(indent);
  return `${pad}containers:
${pad}- name: ${name}
${pad}  image: example/${name}:1.0 # pinned by the release process
${pad}  ports:
${pad}  - containerPort: 8080
${pad}    name: http
${pad}  - containerPort: 9090
${pad}    name: metrics
${pad}  env:
${pad}  - name: LOG_LEVEL
${pad}    value: info
${pad}  readinessProbe:
${pad}    httpGet:
${pad}      path: /ready
${pad}      port: 8080
${pad}  resources:
${pad}    requests:
${pad}      cpu: 100m
${pad}      memory: 64Mi
`;
}

function documentFor(kind, name) {
  const meta = `metadata:\n  name: ${name}\n  namespace: shop\n  labels:\n    app: ${name}\n`;
  const template = (indent) => {
    const pad = " ".repeat(indent);
    return `${pad}template:\n${pad}  metadata:\n${pad}    labels:\n${pad}      app: ${name}\n${pad}  spec:\n${podSpec(name, indent + 4)}`;
  };
  switch (kind) {
    case "Deployment":
    case "StatefulSet":
    case "DaemonSet":
      return `apiVersion: apps/v1\nkind: ${kind}\n${meta}spec:\n  selector:\n    matchLabels:\n      app: ${name}\n${template(2)}`;
    case "Job":
      return `apiVersion: batch/v1\nkind: Job\n${meta}spec:\n${template(2)}`;
    case "CronJob":
      return `apiVersion: batch/v1\nkind: CronJob\n${meta}spec:\n  schedule: "*/5 * * * *"\n  jobTemplate:\n    spec:\n${template(6)}`;
    case "Pod":
      return `apiVersion: v1\nkind: Pod\n${meta}spec:\n${podSpec(name, 2)}`;
    case "Service":
      return `apiVersion: v1\nkind: Service\n${meta}spec:\n  selector:\n    app: ${name}\n  ports:\n  - port: 80\n    targetPort: http\n`;
    default:
      return `apiVersion: v1\nkind: ConfigMap\n${meta}data:\n  config.yaml: |\n    level: info\n`;
  }
}
