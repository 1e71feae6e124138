/**
 * Public types of the injector core. Everything here is plain data: the core takes objects and returns objects,
 * so that the webhook, the CLI and npm consumers share one behaviour.
 */
import type { Configuration } from "./configuration.js";
import type { ChartValues } from "./default-values.js";

export type { ChartValues, ProxyParams, StringMap } from "./default-values.js";

/** A JSON value, as Kubernetes objects are made of. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/**
 * Any object shaped like a Kubernetes object: plain data, or a typed object such as a `Deployment` of
 * kubernetes-models or a `V1Deployment` of @kubernetes/client-node, which have no index signature and so are not
 * `JsonValue`s to the compiler. The core reads it as JSON data.
 */
export interface KubeObjectLike {
  readonly apiVersion?: string | undefined;
  readonly kind?: string | undefined;
  readonly metadata?: object | undefined;
}

/** One RFC 6902 operation. The core emits `add`, `remove` and `replace`; paths are RFC 6901 pointers, escaped. */
export type PatchOperation =
  | { op: "add"; path: string; value: JsonValue }
  | { op: "replace"; path: string; value: JsonValue }
  | { op: "remove"; path: string };

/**
 * A problem found in the input, as data: a stable code, where it is, and what is wrong. The message never repeats
 * the path; `formatIssue` puts the two together.
 */
export interface Issue {
  code: IssueCode;
  /**
   * Where the problem is: the parts of a values path (`["proxy", "ports", "admin"]`), the annotation a warning is
   * about (`["config.linkerd.io/admin-port"]`); empty when the problem is the whole input.
   */
  path: (string | number)[];
  message: string;
}

export type IssueCode =
  | "unknown_value_path"
  | "invalid_value_type"
  | "invalid_values"
  | "invalid_annotation"
  | "invalid_object"
  | "render_failed"
  | "inject_refused";

/** Reason codes of Linkerd's `Report` (spec §1.2), kept byte for byte: they appear in metrics and events. */
export type ReasonCode =
  | "host_network_enabled"
  | "sidecar_already_exists"
  | "unsupported_resource"
  | "injection_enable_annotation_absent"
  | "injection_disable_annotation_present"
  | "invalid_inject_annotation_at_workload"
  | "invalid_inject_annotation_at_ns"
  | "disabled_automount_service_account_token_account"
  | "udp_ports_enabled";

/** Where the decisive `linkerd.io/inject` annotation was found. */
export type AnnotationAt = "namespace" | "workload" | "";

/**
 * The report of one object (or one `List` item), as Linkerd's `Report` (spec §1.2) plus what the transform did.
 */
export interface ResourceReport {
  /** Lower-cased kind (`deployment`); `""` when the document has no kind. */
  kind: string;
  name: string;
  /** `<kind>/<name>`. */
  resName: string;
  missingKind: boolean;
  hostNetwork: boolean;
  sidecar: boolean;
  udp: boolean;
  unsupportedResource: boolean;
  annotatable: boolean;
  injectDisabled: boolean;
  /** Reason code of the annotation decision when it disabled injection; `""` otherwise. */
  injectDisabledReason: ReasonCode | "";
  annotationAt: AnnotationAt;
  automountServiceAccountToken: boolean;
  /** Ordered reasons why the object is not injectable (empty when injectable). */
  reasons: ReasonCode[];
  injectable: boolean;
  /** What the transform did to this object. */
  outcome: "injected" | "annotated" | "skipped" | "uninjected";
  /** For an injected object: where the proxy went (native sidecar in `initContainers`, or classic in `containers`). */
  layout?: "native" | "classic";
  /** Non-fatal problems (invalid annotation values that fell back to defaults, ...). */
  warnings: Issue[];
}

/**
 * Linkerd values (the `values` of ConfigMap `linkerd-config`), after merging over the built-in defaults: the shape of
 * {@link ChartValues}, where any setting may also be null (a values file clears a setting with null, which Linkerd
 * reads as Go's zero value), and with whatever keys a newer control plane writes besides.
 */
export type Values = Settable<ChartValues>;

type Settable<T> = {
  [K in keyof T]: T[K] extends readonly unknown[]
    ? T[K] | null
    : T[K] extends object
      ? Settable<T[K]> | null
      : T[K] | null;
};

type Join<Prefix extends string, Key extends string> = Prefix extends "" ? Key : `${Prefix}.${Key}`;

/** A map whose keys are data (`podAnnotations`, `proxy.inbound`), not names of settings. */
type IsFreeForm<T> = string extends keyof T ? true : false;

type PathsOf<T, Prefix extends string> = {
  [K in keyof T & string]:
    | Join<Prefix, K>
    | (NonNullable<T[K]> extends readonly unknown[]
        ? never
        : NonNullable<T[K]> extends object
          ? IsFreeForm<NonNullable<T[K]>> extends true
            ? `${Join<Prefix, K>}.${string}`
            : PathsOf<NonNullable<T[K]>, Join<Prefix, K>>
          : never);
}[keyof T & string];

type PathsTo<T, Want, Prefix extends string> = {
  [K in keyof T & string]:
    | (NonNullable<T[K]> extends Want ? Join<Prefix, K> : never)
    | (NonNullable<T[K]> extends readonly unknown[]
        ? never
        : NonNullable<T[K]> extends object
          ? IsFreeForm<NonNullable<T[K]>> extends true
            ? never
            : PathsTo<NonNullable<T[K]>, Want, Join<Prefix, K>>
          : never);
}[keyof T & string];

declare const checkedPath: unique symbol;

/**
 * A dotted path into the values (`proxy.ports.admin`; any key below a free-form map, `podAnnotations.team`), checked
 * against {@link ChartValues} when it is written in code, so that a mistyped path does not compile. A path that
 * comes from the user (`--set`) becomes one through `checkValuePath`.
 */
export type ValuePath = PathsOf<ChartValues, ""> | (string & { readonly [checkedPath]: true });

/** The paths of the settings whose values are of type `Want` (`PathTo<number>`: `proxy.ports.admin`, ...). */
export type PathTo<Want> = PathsTo<ChartValues, Want, "">;

/** The type of the value at a path: as `ChartValues` has it, or any JSON below a free-form map. */
export type ValueAt<P extends string, T = ChartValues> = P extends keyof T
  ? T[P]
  : P extends `${infer Head}.${infer Rest}`
    ? Head extends keyof T
      ? IsFreeForm<NonNullable<T[Head]>> extends true
        ? JsonValue
        : ValueAt<Rest, NonNullable<T[Head]>>
      : JsonValue
    : JsonValue;

/**
 * Options of `injectAdmission`: what the webhook knows of a Pod (or Service) under admission, besides the object.
 * The webhook always renders the whole proxy, so there is no `mode`; flags' `overrideAnnotations` are the CLI's.
 *
 * @example
 * const options: AdmissionOptions = { configuration, namespace: "shop", owner: { kind: "deployment", name: "web" } };
 */
export interface AdmissionOptions {
  /** From `prepareConfiguration`, once per configuration. */
  configuration: Configuration;
  /**
   * The admission request's namespace: the pod's `linkerd.io/workload-ns` (a Pod being created may name none in its
   * metadata). Default: the object's `metadata.namespace`.
   */
  namespace?: string | undefined;
  /** Annotations of that Namespace (spec §1.3, §1.7): its `linkerd.io/inject`, and settings the pod inherits. */
  namespaceAnnotations?: Readonly<Record<string, string>> | undefined;
  /** The Pod's resolved owner (spec §6.3), e.g. `{kind: "deployment", name: "web"}`: `linkerd.io/proxy-<kind>`. */
  owner?: { kind: string; name: string } | undefined;
  /** Value of `linkerd.io/created-by`, e.g. `linkerd/proxy-injector edge-26.8.3`. Omitted when absent. */
  createdBy?: string | undefined;
  mode?: never;
  overrideAnnotations?: never;
}

interface ManifestOptionsBase {
  /** From `prepareConfiguration`, once per run. */
  configuration: Configuration;
  /** `config.*` annotations from flags that differ from the base values (see `overrideAnnotations`). */
  overrideAnnotations?: Readonly<Record<string, string>> | undefined;
  // A manifest has no admission request: a Namespace's annotations and an owner are the webhook's.
  namespace?: never;
  namespaceAnnotations?: never;
  owner?: never;
}

/**
 * Options of `injectManifest` and `reinjectManifest`, as `linkerd inject`: `full` renders the whole proxy spec
 * (`--manual`); `annotations` only annotates the workloads for the webhook, so it writes no `linkerd.io/created-by`.
 *
 * @example
 * const manual: ManifestOptions = { configuration, mode: "full", createdBy: "my-tool 1.0" };
 * const annotate: ManifestOptions = { configuration, mode: "annotations", overrideAnnotations: { "config.linkerd.io/admin-port": "9999" } };
 */
export type ManifestOptions =
  | (ManifestOptionsBase & {
      mode: "full";
      /** Value of `linkerd.io/created-by`, e.g. `linkerd/cli edge-26.8.3`. Omitted when absent. */
      createdBy?: string | undefined;
    })
  | (ManifestOptionsBase & { mode: "annotations"; createdBy?: never });

/** The outcome of an injection or uninjection; `T` is the input's type. */
export type TransformResult<T = JsonValue> =
  | {
      ok: true;
      /**
       * The new object, of the input's type: a fresh value (the input is never mutated; objects keep their
       * prototype and `Date`s stay `Date`s, so a typed input comes back as the same class), built from the input and
       * the patch the first time it is read, so callers that need only the patch (the webhook) do not pay for it. Do
       * not change the input before reading it.
       */
      readonly object: T;
      /**
       * RFC 6902 patch from the input to `object`, in Linkerd's op order (spec §6.5). Its values may be parts of the
       * configuration, which are frozen: copy one before changing it.
       */
      patch: PatchOperation[];
      /** One report per object (one per item of a `List`). */
      reports: ResourceReport[];
    }
  | { ok: false; issues: Issue[]; reports: ResourceReport[] };

export type ValuesResult = { ok: true; values: Values } | { ok: false; issues: Issue[] };
