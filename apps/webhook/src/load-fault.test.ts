/**
 * Load and faults together, over real HTTPS on loopback: a fixed mix of valid reviews and hostile requests sent
 * concurrently while the serving certificate is rotated on disk. Every valid review gets the core's patch, every
 * hostile request its specified answer, no request goes unanswered, and the server still serves at the end.
 */
import { X509Certificate } from "node:crypto";
import { copyFile, mkdtemp, readFile, rename, rm } from "node:fs/promises";
import { Agent, request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { connect } from "node:tls";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyPatch, injectAdmission, type JsonValue } from "@l5d-injector/injector-core";
import { createApp, MAX_BODY_BYTES } from "./app.js";
import { makeServingCertificate, type ServingCertificate } from "./certs.js";
import { startHttpsServer, type RunningHttpsServer } from "./server.js";
import { clusterFixture, makeHarness, readFixture, tableLookups, testConfiguration } from "./test-support/harness.js";

const VALID = 2000;
const HOSTILE = 1000;
const CONCURRENCY = 32;

interface Answer {
  status: number;
  body: string;
  fingerprint: string;
}

/** One hostile request and what it must get back. */
interface Hostile {
  name: string;
  body: string | Buffer;
  status: number;
  text: RegExp;
}

function deeplyNested(depth: number): string {
  return `{"apiVersion":"admission.k8s.io/v1","request":{"uid":"u","object":${"[".repeat(depth)}${"]".repeat(depth)}}}`;
}

const HOSTILES: Hostile[] = [
  {
    name: "bad JSON",
    body: '{"request": {"uid": "1"',
    status: 400,
    text: /^failed to decode admission review request: /,
  },
  {
    name: "no request",
    body: '{"apiVersion":"admission.k8s.io/v1"}',
    status: 400,
    text: /^invalid admission review request\n$/,
  },
  { name: "no uid", body: '{"request":{"object":{}}}', status: 400, text: /^invalid admission review request\n$/ },
  { name: "uid of the wrong type", body: '{"request":{"uid":7}}', status: 400, text: /request\.uid must be a string/ },
  { name: "request of the wrong type", body: '{"request":"pod"}', status: 400, text: /request must be an object/ },
  {
    name: "__proto__ key",
    body: '{"request":{"uid":"u","object":{"__proto__":{"x":1}}}}',
    status: 400,
    text: /"__proto__" is not allowed/,
  },
  { name: "deep nesting", body: deeplyNested(5000), status: 400, text: /nesting deeper than/ },
  { name: "not an object", body: "[1,2,3]", status: 400, text: /expected a JSON object/ },
  { name: "empty body", body: "", status: 200, text: /^$/ },
];

// A handful of bodies over the limit: each is 10 MB on the wire, so they stand for the class without
// making the test about bandwidth.
const OVERSIZED: Hostile = {
  name: "body over the limit",
  body: Buffer.alloc(MAX_BODY_BYTES + 1, 0x20),
  status: 500,
  text: /^limit reached while reading/,
};

let dir: string;
let first: ServingCertificate;
let second: ServingCertificate;
let server: RunningHttpsServer;
let certFile: string;
let keyFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "webhook-load-"));
  first = await makeServingCertificate(dir, { prefix: "a-" });
  second = await makeServingCertificate(dir, { prefix: "b-" });
  certFile = join(dir, "tls.crt");
  keyFile = join(dir, "tls.key");
  await copyFile(first.certFile, certFile);
  await copyFile(first.keyFile, keyFile);
  const harness = makeHarness({ lookups: tableLookups(clusterFixture()) });
  // Quiet logger: 3,000 reviews would otherwise fill the test's memory with log lines it does not read.
  harness.deps.logger.level = "silent";
  server = await startHttpsServer({
    host: "127.0.0.1",
    port: 0,
    certFile,
    keyFile,
    logger: harness.deps.logger,
    pollMs: 0,
    debounceMs: 20,
    handler: createApp(harness.deps),
  });
});

afterAll(async () => {
  await server?.drain(1000);
  await rm(dir, { recursive: true, force: true });
});

/** After one reload asked for once the files are in place, the server serves the certificate in `file`. */
async function servesCertificate(file: string): Promise<void> {
  const wanted = new X509Certificate(await readFile(file)).fingerprint256;
  await server.reloadCertificate();
  const served = await new Promise<string>((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port: server.address.port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.on("error", reject);
  });
  expect(served).toBe(wanted);
}

function send(agent: Agent, body: string | Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: "127.0.0.1",
        port: server.address.port,
        path: "/",
        method: "POST",
        agent,
        rejectUnauthorized: false,
        headers: { "content-type": "application/json" },
      },
      (res) => {
        // Read now: the socket goes back to the agent's pool once the response ends.
        const socket = res.socket as unknown as { getPeerCertificate(): { fingerprint256: string } };
        const fingerprint = socket.getPeerCertificate().fingerprint256;
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), fingerprint }),
        );
      },
    );
    // An oversized body may be cut off by the server once it has answered: that is the answer, not an error.
    req.on("error", reject);
    req.end(body);
  });
}

describe("load with faults", () => {
  it(`answers ${VALID} valid and ${HOSTILE} hostile requests correctly while the certificate rotates`, async () => {
    const valid = readFixture("reviews", "pod-deployment.json");
    const review = JSON.parse(valid) as { request: { object: JsonValue; namespace: string } };
    const expected = injectAdmission(review.request.object, {
      configuration: testConfiguration(),
      namespace: review.request.namespace,
      namespaceAnnotations: Object.fromEntries(
        Object.entries(clusterFixture().namespaces.find((n) => n.name === review.request.namespace)?.annotations ?? {}),
      ),
      owner: { kind: "deployment", name: "web" },
      createdBy: "l5d-injector/webhook 0.1.0",
    });
    expect(expected.ok).toBe(true);
    if (!expected.ok) return;

    // The schedule: hostile requests spread evenly among the valid ones, a few oversized among them.
    const plan: Array<{ kind: "valid" } | { kind: "hostile"; hostile: Hostile }> = [];
    for (let i = 0; i < VALID + HOSTILE; i++) {
      if (i % 3 === 2) {
        const n = plan.filter((p) => p.kind === "hostile").length;
        const hostile = n % 200 === 0 ? OVERSIZED : (HOSTILES[n % HOSTILES.length] as Hostile);
        plan.push({ kind: "hostile", hostile });
      } else {
        plan.push({ kind: "valid" });
      }
    }
    expect(plan.filter((p) => p.kind === "hostile")).toHaveLength(HOSTILE);

    let agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const agents = [agent];
    const answers: Array<Answer | Error> = new Array(plan.length);
    let next = 0;
    let rotated = false;
    const worker = async () => {
      while (next < plan.length) {
        const i = next++;
        if (!rotated && i >= plan.length / 2) {
          rotated = true;
          // Rotate as a Secret volume does: new files moved into place, then the server picks them up.
          await copyFile(second.certFile, `${certFile}.new`);
          await copyFile(second.keyFile, `${keyFile}.new`);
          await rename(`${keyFile}.new`, keyFile);
          await rename(`${certFile}.new`, certFile);
          // The watcher may be reloading already, from the first rename (a key without its certificate, refused):
          // the reload asked for now must still read the files again and serve the new pair.
          await servesCertificate(second.certFile);
          // Keep-alive connections keep the certificate they were opened with: open new ones from here on, and
          // let the old ones finish what they carry.
          agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
          agents.push(agent);
        }
        const step = plan[i] as (typeof plan)[number];
        const body = step.kind === "valid" ? valid : step.hostile.body;
        answers[i] = await send(agent, body).catch((error: Error) => error);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    for (const a of agents) a.destroy();

    const fingerprints = new Set<string>();
    plan.forEach((step, i) => {
      const answer = answers[i];
      // Nothing dropped: every request has an answer, none a connection error.
      expect(answer, `request ${i} (${step.kind})`).not.toBeInstanceOf(Error);
      const { status, body, fingerprint } = answer as Answer;
      fingerprints.add(fingerprint);
      if (step.kind === "hostile") {
        expect({ i, name: step.hostile.name, status }).toEqual({
          i,
          name: step.hostile.name,
          status: step.hostile.status,
        });
        expect(body).toMatch(step.hostile.text);
        return;
      }
      expect(status).toBe(200);
      const response = (JSON.parse(body) as { response: { allowed: boolean; patch: string } }).response;
      expect(response.allowed).toBe(true);
      const patch = JSON.parse(Buffer.from(response.patch, "base64").toString()) as never;
      expect(applyPatch(review.request.object, patch)).toEqual(expected.object);
    });
    // Both certificates were served: the rotation happened under load.
    expect(fingerprints.size).toBe(2);

    // Still up and serving.
    const after = await send(new Agent({ keepAlive: false }), valid);
    expect(after.status).toBe(200);
  }, 120_000);
});
