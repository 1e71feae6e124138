import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { E2eContext } from "./context.js";
import type { Pod } from "./kube-types.js";

/** One AdmissionReview request for a Pod, as the API server sent it. */
export interface RecordedPod {
  namespace: string;
  object: Pod;
}

export const RECORD_LABEL = "e2e.l5d-injector/record";
export const RECORDER_CONFIG_NAME = "e2e-admission-recorder";

/**
 * A do-nothing mutating webhook that keeps a copy of every Pod it is asked about. The API server calls mutating
 * webhooks in the order of their configurations' names, and this one sorts before the injector's, so it sees the
 * exact object the injector is about to receive (what the ServiceAccount admission plugin and defaulting made of
 * it, before any proxy). That is the input for the CLI in the "both paths, one output" test.
 */
export class AdmissionRecorder {
  readonly recorded: RecordedPod[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(ctx: E2eContext): Promise<AdmissionRecorder> {
    const [cert, key] = await Promise.all([readFile(ctx.serving.certFile), readFile(ctx.serving.keyFile)]);
    let recorder: AdmissionRecorder | undefined;
    const server = createServer({ cert, key }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        let review: {
          apiVersion?: string;
          request?: { uid?: string; namespace?: string; dryRun?: boolean; object?: Pod };
        };
        try {
          review = JSON.parse(Buffer.concat(chunks).toString("utf8")) as typeof review;
        } catch {
          res.writeHead(400).end();
          return;
        }
        const request = review.request ?? {};
        // Dry runs never become stored pods, so they have nothing to be compared with.
        if (request.dryRun !== true && request.object?.kind === "Pod") {
          recorder?.recorded.push({ namespace: request.namespace ?? "", object: request.object });
        }
        res.writeHead(200, { "Content-Type": "application/json" }).end(
          JSON.stringify({
            apiVersion: review.apiVersion ?? "admission.k8s.io/v1",
            kind: "AdmissionReview",
            response: { uid: request.uid ?? "", allowed: true },
          }),
        );
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, ctx.listenHost, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    recorder = new AdmissionRecorder(server, `https://${hostForUrl(ctx.webhookHost)}:${port}/`);
    return recorder;
  }

  /** The configuration that sends it Pods from namespaces labelled for recording. */
  webhookConfiguration(caBundle: string): Record<string, unknown> {
    return {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "MutatingWebhookConfiguration",
      metadata: { name: RECORDER_CONFIG_NAME },
      webhooks: [
        {
          name: "admission-recorder.e2e.l5d-injector.io",
          clientConfig: { url: this.url, caBundle },
          rules: [
            { operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], scope: "Namespaced" },
          ],
          namespaceSelector: { matchLabels: { [RECORD_LABEL]: "true" } },
          // Losing a recording fails the comparison test with a clear message; it must never block a pod.
          failurePolicy: "Ignore",
          sideEffects: "None",
          admissionReviewVersions: ["v1"],
          timeoutSeconds: 5,
          reinvocationPolicy: "Never",
        },
      ],
    };
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

export function hostForUrl(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}
