/**
 * The admission handler's answers on the wire: status, the headers a client reads, and the body byte for byte, for
 * Linkerd's fixtures and for the refusals. The files under test/fixtures/wire were recorded from the Express handler
 * this one replaced; a change to any of them changes what the API server receives.
 */
import { request as httpRequest, createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, type AppDeps } from "./app.js";
import {
  clusterFixture,
  makeHarness,
  namespaceMeta,
  OWNER_RS,
  readJsonFixture,
  readYamlObject,
  reviewOf,
  tableLookups,
  withOwner,
} from "./test-support/harness.js";

const WIRE = join(dirname(fileURLToPath(import.meta.url)), "..", "test", "fixtures", "wire");

/** The headers a client of the webhook acts on; Date and Connection vary by run and transport. */
const HEADERS = ["content-type", "content-length", "x-content-type-options", "retry-after", "transfer-encoding"];

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let server: ReturnType<typeof createServer> | undefined;
let port = 0;
let deps: AppDeps | undefined;

beforeAll(async () => {
  // One listener whose deps each case swaps in: the server, like the webhook's, outlives its requests.
  server = createServer((req, res) => createApp(deps as AppDeps)(req, res));
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

function send(body: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const bytes = typeof body === "string" ? Buffer.from(body) : body;
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/",
        headers: { "content-type": "application/json", "content-length": String(bytes.length), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(bytes);
  });
}

/** The answer as a readable text file: status, the headers above (sorted), a blank line, the body as sent. */
function render(answer: Answer): string {
  const lines = [`${answer.status}`];
  for (const name of HEADERS) {
    const value = answer.headers[name];
    if (value !== undefined) lines.push(`${name}: ${String(value)}`);
  }
  return `${lines.join("\n")}\n\n${answer.body.toString("utf8")}`;
}

describe("Linkerd's fixtures: the answer's bytes", () => {
  const cases = [
    ["pod-inject-empty.yaml", "namespace-inject-enabled.yaml"],
    ["pod-inject-enabled.yaml", "namespace-inject-disabled.yaml"],
    ["pod-with-debug-disabled.yaml", "namespace-inject-disabled.yaml"],
    ["pod-without-opaque-ports.yaml", "namespace-with-opaque-ports.yaml"],
    ["pod-with-opaque-ports.yaml", "namespace-inject-enabled.yaml"],
    ["filter-pod-opaque-ports.yaml", "namespace-inject-disabled.yaml"],
    ["filter-service-opaque-ports.yaml", "namespace-inject-disabled.yaml"],
    ["service-without-opaque-ports.yaml", "namespace-with-opaque-ports.yaml"],
    ["service-with-opaque-ports.yaml", "namespace-with-opaque-ports.yaml"],
  ] as const;
  for (const [object, namespace] of cases) {
    it(`${object} in ${namespace}`, async () => {
      deps = makeHarness({
        lookups: tableLookups({ namespaces: [namespaceMeta(namespace)], replicaSets: [OWNER_RS], jobs: [] }),
      }).deps;
      const doc = readYamlObject("linkerd", object);
      const review = reviewOf(doc["kind"] === "Pod" ? withOwner(doc) : doc, { namespace: "kube-public" });
      const answer = await send(JSON.stringify(review));
      await expect(render(answer)).toMatchFileSnapshot(
        join(WIRE, `${object.replace(/\.yaml$/, "")}--${namespace.replace(/\.yaml$/, "")}.txt`),
      );
    });
  }
});

describe("review fixtures: the answer's bytes", () => {
  const reviews = [
    "pod-deployment.json",
    "pod-bare.json",
    "pod-dry-run.json",
    "pod-host-network.json",
    "pod-update.json",
    "pod-v1beta1.json",
    "pod-exec.json",
    "service-annotated.json",
  ];
  for (const file of reviews) {
    it(file, async () => {
      deps = makeHarness({ lookups: tableLookups(clusterFixture()) }).deps;
      const answer = await send(JSON.stringify(readJsonFixture("reviews", file)));
      await expect(render(answer)).toMatchFileSnapshot(join(WIRE, file.replace(/\.json$/, ".txt")));
    });
  }
});

describe("refusals: the answer's bytes", () => {
  const good = () => JSON.stringify(readJsonFixture("reviews", "pod-deployment.json"));
  const cases: [string, () => Promise<Answer>][] = [
    ["empty-body", () => send("")],
    ["not-json", () => send("{not json")],
    ["no-uid", () => send(JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: {} }))],
    ["wrong-type", () => send(JSON.stringify({ kind: "AdmissionReview", request: { uid: 7 } }))],
    [
      "over-the-body-limit",
      () => {
        deps = { ...makeHarness({}).deps, limits: { maxBodyBytes: 64 } };
        return send(good());
      },
    ],
    [
      "over-the-memory-budget",
      () => {
        deps = { ...makeHarness({}).deps, limits: { maxInflightBytes: 100 } };
        return send(good());
      },
    ],
    [
      "over-the-memory-budget-once-decoded",
      () => {
        deps = { ...makeHarness({}).deps, limits: { maxInflightBytes: Buffer.byteLength(good()) + 10 } };
        return send(good());
      },
    ],
    [
      "configuration-unavailable",
      () => {
        deps = makeHarness({ snapshot: { ok: false, message: "values not loaded yet" } }).deps;
        return send(good());
      },
    ],
  ];
  for (const [name, run] of cases) {
    it(name, async () => {
      deps = makeHarness({}).deps;
      const answer = await run();
      await expect(render(answer)).toMatchFileSnapshot(join(WIRE, `refused--${name}.txt`));
    });
  }
});
