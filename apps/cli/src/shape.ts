/**
 * The typed reading `linkerd inject` and `uninject` give a workload before touching it: Linkerd decodes each document
 * of a kind it handles into Kubernetes' Go types, and a field of the wrong type (`containers: "oops"`,
 * `containerPort: "http"`, an annotation `true`) fails the document. Without the same check the injection would
 * carry on over what it cannot read: a string of containers injected, a port named where a number belongs
 * dropped from `LINKERD2_PROXY_INBOUND_PORTS`.
 *
 * The schema covers the fields of these types that the injection reads or that manifests commonly carry, with
 * Go's decoding rules: `null` is always accepted (the zero value), unknown fields are ignored, integers must be
 * whole and within their Go type, quantities are numbers or quantity strings.
 */
import { parseQuantity, type JsonValue } from "@l5d-injector/injector-core";

type Shape =
  | { t: "string" | "bool" | "int32" | "int64" | "quantity" | "intOrString" | "any" }
  | { t: "map"; of: Shape }
  | { t: "list"; of: Shape; what?: string }
  | { t: "object"; fields: Readonly<Record<string, Shape>>; what?: string };

const S: Shape = { t: "string" };
const B: Shape = { t: "bool" };
const I32: Shape = { t: "int32" };
const I64: Shape = { t: "int64" };
const PORT: Shape = { t: "intOrString" };
const list = (of: Shape, what?: string): Shape => ({ t: "list", of, ...(what === undefined ? {} : { what }) });
const object = (fields: Record<string, Shape>, what?: string): Shape => ({
  t: "object",
  fields,
  ...(what === undefined ? {} : { what }),
});
const ANY_OBJECT = object({});
const STRINGS = list(S);
const STRING_MAP: Shape = { t: "map", of: S };

const META = object({
  name: S,
  generateName: S,
  namespace: S,
  uid: S,
  resourceVersion: S,
  generation: I64,
  labels: STRING_MAP,
  annotations: STRING_MAP,
  ownerReferences: list(ANY_OBJECT),
  finalizers: STRINGS,
});

const PROBE = object({
  exec: object({ command: STRINGS }),
  httpGet: object({ path: S, port: PORT, host: S, scheme: S, httpHeaders: list(object({ name: S, value: S })) }),
  tcpSocket: object({ port: PORT, host: S }),
  grpc: object({ port: I32, service: S }),
  initialDelaySeconds: I32,
  timeoutSeconds: I32,
  periodSeconds: I32,
  successThreshold: I32,
  failureThreshold: I32,
  terminationGracePeriodSeconds: I64,
});

const CONTAINER = object(
  {
    name: S,
    image: S,
    command: STRINGS,
    args: STRINGS,
    workingDir: S,
    ports: list(object({ name: S, hostPort: I32, containerPort: I32, protocol: S, hostIP: S }), "a list of ports"),
    envFrom: list(ANY_OBJECT),
    env: list(object({ name: S, value: S, valueFrom: ANY_OBJECT }), "a list of environment variables"),
    resources: object({
      limits: { t: "map", of: { t: "quantity" } },
      requests: { t: "map", of: { t: "quantity" } },
      claims: list(ANY_OBJECT),
    }),
    restartPolicy: S,
    volumeMounts: list(
      object({ name: S, readOnly: B, mountPath: S, subPath: S, mountPropagation: S, subPathExpr: S }),
      "a list of volume mounts",
    ),
    volumeDevices: list(ANY_OBJECT),
    livenessProbe: PROBE,
    readinessProbe: PROBE,
    startupProbe: PROBE,
    lifecycle: object({ postStart: ANY_OBJECT, preStop: ANY_OBJECT, stopSignal: S }),
    terminationMessagePath: S,
    terminationMessagePolicy: S,
    imagePullPolicy: S,
    securityContext: object({
      capabilities: object({ add: STRINGS, drop: STRINGS }),
      privileged: B,
      runAsUser: I64,
      runAsGroup: I64,
      runAsNonRoot: B,
      readOnlyRootFilesystem: B,
      allowPrivilegeEscalation: B,
      procMount: S,
      seLinuxOptions: ANY_OBJECT,
      seccompProfile: ANY_OBJECT,
      appArmorProfile: ANY_OBJECT,
      windowsOptions: ANY_OBJECT,
    }),
    stdin: B,
    stdinOnce: B,
    tty: B,
  },
  "a container",
);

const POD_SPEC = object({
  volumes: list(object({ name: S }, "a volume"), "a list of volumes"),
  initContainers: list(CONTAINER, "a list of containers"),
  containers: list(CONTAINER, "a list of containers"),
  ephemeralContainers: list(ANY_OBJECT),
  restartPolicy: S,
  terminationGracePeriodSeconds: I64,
  activeDeadlineSeconds: I64,
  dnsPolicy: S,
  nodeSelector: STRING_MAP,
  serviceAccountName: S,
  serviceAccount: S,
  automountServiceAccountToken: B,
  nodeName: S,
  hostNetwork: B,
  hostPID: B,
  hostIPC: B,
  shareProcessNamespace: B,
  securityContext: object({
    runAsUser: I64,
    runAsGroup: I64,
    runAsNonRoot: B,
    fsGroup: I64,
    supplementalGroups: list(I64),
    sysctls: list(ANY_OBJECT),
  }),
  imagePullSecrets: list(ANY_OBJECT),
  hostname: S,
  subdomain: S,
  affinity: ANY_OBJECT,
  schedulerName: S,
  tolerations: list(ANY_OBJECT),
  hostAliases: list(ANY_OBJECT),
  priorityClassName: S,
  priority: I32,
  dnsConfig: ANY_OBJECT,
  readinessGates: list(ANY_OBJECT),
  runtimeClassName: S,
  enableServiceLinks: B,
  preemptionPolicy: S,
  overhead: { t: "map", of: { t: "quantity" } },
  topologySpreadConstraints: list(ANY_OBJECT),
  setHostnameAsFQDN: B,
  os: ANY_OBJECT,
  hostUsers: B,
});

const TEMPLATE = object({ metadata: META, spec: POD_SPEC });

/** Fields of the controllers' specs (apps/v1, batch/v1, core/v1 ReplicationController). */
const CONTROLLER_SPEC = object({
  replicas: I32,
  selector: ANY_OBJECT,
  template: TEMPLATE,
  strategy: ANY_OBJECT,
  updateStrategy: ANY_OBJECT,
  minReadySeconds: I32,
  revisionHistoryLimit: I32,
  paused: B,
  progressDeadlineSeconds: I32,
  serviceName: S,
  podManagementPolicy: S,
  volumeClaimTemplates: list(ANY_OBJECT),
  parallelism: I32,
  completions: I32,
  backoffLimit: I32,
  activeDeadlineSeconds: I64,
  ttlSecondsAfterFinished: I32,
  completionMode: S,
  suspend: B,
  manualSelector: B,
});

const SHAPES: Readonly<Record<string, Shape>> = {
  deployment: object({ metadata: META, spec: CONTROLLER_SPEC }),
  replicationcontroller: object({ metadata: META, spec: CONTROLLER_SPEC }),
  replicaset: object({ metadata: META, spec: CONTROLLER_SPEC }),
  job: object({ metadata: META, spec: CONTROLLER_SPEC }),
  daemonset: object({ metadata: META, spec: CONTROLLER_SPEC }),
  statefulset: object({ metadata: META, spec: CONTROLLER_SPEC }),
  cronjob: object({
    metadata: META,
    spec: object({
      schedule: S,
      timeZone: S,
      startingDeadlineSeconds: I64,
      concurrencyPolicy: S,
      suspend: B,
      successfulJobsHistoryLimit: I32,
      failedJobsHistoryLimit: I32,
      jobTemplate: object({ metadata: META, spec: CONTROLLER_SPEC }),
    }),
  }),
  pod: object({ metadata: META, spec: POD_SPEC }),
  namespace: object({ metadata: META }),
  service: object({ metadata: META }),
};

export interface ShapeProblem {
  /** Where, as `spec.template.spec.containers[0].ports[0].containerPort`. */
  path: string;
  message: string;
}

/**
 * The first field of `document` that Kubernetes' types cannot hold, for the kinds Linkerd decodes (workloads,
 * Namespace, Service, and the items of a List); undefined when there is none.
 */
export function checkShape(document: JsonValue): ShapeProblem | undefined {
  if (!isObject(document) || typeof document["kind"] !== "string") return undefined;
  const kind = document["kind"].toLowerCase();
  if (kind === "list" && Array.isArray(document["items"])) {
    for (const [index, item] of document["items"].entries()) {
      const problem = checkShape(item);
      if (problem !== undefined) return { path: `items[${index}].${problem.path}`, message: problem.message };
    }
    return undefined;
  }
  const shape = SHAPES[kind];
  // Nearly every document fits: the walk that names the field at fault runs only for one that does not.
  return shape === undefined || fits(document, shape) ? undefined : check(document, shape, "");
}

/** Whether `check` finds nothing, without building the paths and messages it would need to say what. */
function fits(value: JsonValue, shape: Shape): boolean {
  if (value === null) return true;
  switch (shape.t) {
    case "any":
      return true;
    case "string":
      return typeof value === "string";
    case "bool":
      return typeof value === "boolean";
    case "int32":
      return typeof value === "number" && Number.isInteger(value) && value >= -(2 ** 31) && value <= 2 ** 31 - 1;
    case "int64":
      return (
        typeof value === "number" &&
        Number.isInteger(value) &&
        value >= Number.MIN_SAFE_INTEGER &&
        value <= Number.MAX_SAFE_INTEGER
      );
    case "intOrString":
      return typeof value === "string" || (typeof value === "number" && Number.isInteger(value));
    case "quantity":
      return typeof value === "number" || (typeof value === "string" && parseQuantity(value) !== undefined);
    case "map":
      if (!isObject(value)) return false;
      for (const key of Object.keys(value)) if (!fits(value[key] as JsonValue, shape.of)) return false;
      return true;
    case "list":
      if (!Array.isArray(value)) return false;
      for (const item of value) if (!fits(item, shape.of)) return false;
      return true;
    case "object":
      if (!isObject(value)) return false;
      for (const key in shape.fields) {
        if (Object.hasOwn(value, key) && !fits(value[key] as JsonValue, shape.fields[key] as Shape)) return false;
      }
      return true;
  }
}

function check(value: JsonValue, shape: Shape, path: string): ShapeProblem | undefined {
  // Go leaves the zero value for null, whatever the type.
  if (value === null) return undefined;
  const problem = (expected: string): ShapeProblem => ({
    path: path === "" ? "(document)" : path,
    message: `expected ${expected}, got ${describe(value)}`,
  });
  switch (shape.t) {
    case "any":
      return undefined;
    case "string":
      return typeof value === "string" ? undefined : problem("a string");
    case "bool":
      return typeof value === "boolean" ? undefined : problem("a boolean (true or false)");
    case "int32":
    case "int64": {
      const [low, high] =
        shape.t === "int32" ? [-(2 ** 31), 2 ** 31 - 1] : [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
      return typeof value === "number" && Number.isInteger(value) && value >= low && value <= high
        ? undefined
        : problem(shape.t === "int32" ? "a whole number (32-bit)" : "a whole number");
    }
    case "intOrString":
      return typeof value === "string" || (typeof value === "number" && Number.isInteger(value))
        ? undefined
        : problem("a port number or name");
    case "quantity":
      if (typeof value === "number") return undefined;
      return typeof value === "string" && parseQuantity(value) !== undefined
        ? undefined
        : problem("a quantity (e.g. 100m, 0.5, 64Mi)");
    case "map":
      if (!isObject(value)) return problem("a map");
      for (const [key, item] of Object.entries(value)) {
        const inner = check(item, shape.of, `${path}[${JSON.stringify(key)}]`);
        if (inner !== undefined) return inner;
      }
      return undefined;
    case "list":
      if (!Array.isArray(value)) return problem(shape.what ?? "a list");
      for (const [index, item] of value.entries()) {
        const inner = check(item, shape.of, `${path}[${index}]`);
        if (inner !== undefined) return inner;
      }
      return undefined;
    case "object":
      if (!isObject(value)) return problem(shape.what ?? "a map");
      for (const [key, fieldShape] of Object.entries(shape.fields)) {
        if (!Object.hasOwn(value, key)) continue;
        const inner = check(value[key] as JsonValue, fieldShape, path === "" ? key : `${path}.${key}`);
        if (inner !== undefined) return inner;
      }
      return undefined;
  }
}

function describe(value: JsonValue): string {
  if (Array.isArray(value)) return "a list";
  if (isObject(value)) return "a map";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  return `${typeof value === "boolean" ? "the boolean" : "the number"} ${String(value)}`;
}

function isObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
