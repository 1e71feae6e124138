/**
 * Malformed and hostile requests, each answered as spec §6.2 says, and the app still serving afterwards.
 */
import { createServer, request as httpRequest } from "node:http";
import { connect, type AddressInfo } from "node:net";
import fc from "fast-check";
import request from "supertest";
import { describe, expect, it, vi } from "vitest";
import { BYTES_PER_VALUE, createApp, MAX_BODY_BYTES } from "./app.js";
import { MAX_DEPTH, MAX_JSON_VALUES, scanJson } from "./admission.js";
import { clusterFixture, makeHarness, readFixture, tableLookups } from "./test-support/harness.js";

function app() {
  const harness = makeHarness({ lookups: tableLookups(clusterFixture()) });
  return { harness, app: createApp(harness.deps) };
}

const GOOD = readFixture("reviews", "pod-deployment.json");

/** Runs `send` and checks that JSON.parse never saw a text as long as the body (the refusal came first). */
async function withParseSpy<T>(bodyLength: number, send: () => Promise<T>): Promise<T> {
  const parse = vi.spyOn(JSON, "parse");
  try {
    const result = await send();
    expect(parse.mock.calls.filter(([text]) => typeof text === "string" && text.length >= bodyLength)).toEqual([]);
    return result;
  } finally {
    parse.mockRestore();
  }
}

async function stillServes(server: ReturnType<typeof createApp>): Promise<void> {
  const res = await request(server).post("/").set("Content-Type", "application/json").send(GOOD).expect(200);
  expect(res.body.response.allowed).toBe(true);
  expect(res.body.response.patchType).toBe("JSONPatch");
}

function post(server: ReturnType<typeof createApp>, body: string | Buffer) {
  return request(server).post("/").set("Content-Type", "application/json").send(body);
}

/** Runs `use` against the app on a loopback port. */
async function withServer<T>(server: ReturnType<typeof createApp>, use: (port: number) => Promise<T>): Promise<T> {
  const listening = createServer(server);
  await new Promise<void>((resolve) => listening.listen(0, "127.0.0.1", resolve));
  try {
    return await use((listening.address() as AddressInfo).port);
  } finally {
    listening.closeAllConnections();
    await new Promise((resolve) => listening.close(resolve));
  }
}

/**
 * A client that sends all of a `Connection: close` request before it reads anything, as a busy client does: had
 * the server closed the connection under it, the body's remaining bytes would reset it, and the answer be lost.
 */
function sendThenRead(port: number, bodyBytes: number): Promise<{ text: string; error: string | undefined }> {
  return new Promise((resolve) => {
    let text = "";
    let error: string | undefined;
    const socket = connect(port, "127.0.0.1", () => {
      socket.pause();
      socket.write(`POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${bodyBytes}\r\n\r\n`);
      socket.write(Buffer.alloc(bodyBytes, 0x20), () => socket.resume());
    });
    socket.on("data", (d: Buffer) => (text += d.toString()));
    socket.on("error", (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    socket.on("close", () => resolve({ text, error }));
  });
}

/** POSTs `parts` as chunks, without a declared length. */
function postChunked(port: number, parts: string[]): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, method: "POST", path: "/" }, (res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    for (const part of parts) req.write(part);
    req.end();
  });
}

/** Sends a POST's headers declaring `length` bytes, no body, and returns what comes back before the socket ends. */
function headersOnly(port: number, length: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`);
    });
    let text = "";
    socket.on("data", (d: Buffer) => {
      text += d.toString();
      // The whole answer is in once its body (after the blank line) ends with a newline.
      if (/\r\n\r\n[\s\S]*\n$/.test(text)) {
        socket.destroy();
        resolve(text);
      }
    });
    socket.on("error", reject);
  });
}

describe("malformed requests", () => {
  it("answers an empty body with an empty 200", async () => {
    const { app: server } = app();
    const res = await request(server).post("/").expect(200);
    expect(res.text).toBe("");
    await stillServes(server);
  });

  it("answers bad JSON with 400 and Linkerd's decode message", async () => {
    const { app: server } = app();
    const res = await post(server, '{"request": {"uid": "1"').expect(400);
    expect(res.text).toMatch(/^failed to decode admission review request: .+\n$/);
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
    await stillServes(server);
  });

  it("answers a review without request with 400 invalid admission review request", async () => {
    const { app: server } = app();
    const res = await post(
      server,
      JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" }),
    ).expect(400);
    expect(res.text).toBe("invalid admission review request\n");
    await stillServes(server);
  });

  it.each([
    ["no uid", { kind: { kind: "Pod" }, object: {} }],
    ["an empty uid", { uid: "", object: {} }],
    ["a null uid", { uid: null }],
  ])("answers a request with %s with 400 invalid admission review request", async (_name, req) => {
    const { app: server } = app();
    const res = await post(
      server,
      JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: req }),
    ).expect(400);
    expect(res.text).toBe("invalid admission review request\n");
  });

  it.each([
    ["a number uid", { uid: 42 }, "request.uid must be a string, got a number"],
    ["an array request", [], "request must be an object, got an array"],
    ["a string namespace", { uid: "u", namespace: ["shop"] }, "request.namespace must be a string, got an array"],
    ["a numeric kind", { uid: "u", kind: { kind: 7 } }, "request.kind.kind must be a string, got a number"],
    ["a string dryRun", { uid: "u", dryRun: "yes" }, "request.dryRun must be a boolean, got a string"],
  ])("answers %s with 400 and says which field", async (_name, req, message) => {
    const { app: server } = app();
    const res = await post(server, JSON.stringify({ apiVersion: "admission.k8s.io/v1", request: req })).expect(400);
    expect(res.text).toBe(`failed to decode admission review request: ${message}\n`);
  });

  it("answers a review that is not an object with 400", async () => {
    const { app: server } = app();
    const res = await post(server, "[1,2,3]").expect(400);
    expect(res.text).toBe("failed to decode admission review request: expected a JSON object, got an array\n");
  });

  it("refuses (allowed: false) a request whose object is not an object", async () => {
    const { app: server } = app();
    const body = {
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      request: { uid: "u-1", kind: { kind: "Pod" }, namespace: "shop", operation: "CREATE", object: "pod" },
    };
    const res = await post(server, JSON.stringify(body)).expect(200);
    expect(res.body.response).toEqual({
      uid: "u-1",
      allowed: false,
      status: { message: "admission request has no object to review (got a string)" },
    });
  });

  it("lets other kinds through untouched", async () => {
    const { app: server } = app();
    const body = {
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      request: {
        uid: "u-2",
        kind: { kind: "Deployment" },
        namespace: "shop",
        operation: "CREATE",
        object: { kind: "Deployment", metadata: { name: "x" } },
      },
    };
    const res = await post(server, JSON.stringify(body)).expect(200);
    expect(res.body.response).toEqual({ uid: "u-2", allowed: true });
  });

  it("answers a body declared over 10 MB with 500 and Linkerd's reader message, before reading it", async () => {
    const { app: server } = app();
    // Only the headers are sent: the answer must come from the declared length alone.
    const answer = await withServer(server, (port) => headersOnly(port, MAX_BODY_BYTES + 1));
    expect(answer).toMatch(/^HTTP\/1\.1 500 /);
    expect(answer).toContain(`\r\n\r\nlimit reached while reading: ${MAX_BODY_BYTES}\n`);
    await stillServes(server);
  });

  it("answers a chunked body that grows over the limit with 500 and Linkerd's reader message", async () => {
    // The same path as 10 MB, with a small limit: a chunked body has no declared length to check first.
    const { harness } = app();
    const server = createApp({ ...harness.deps, limits: { maxBodyBytes: 8192 } });
    const body = JSON.stringify({ request: { uid: "u", object: { padding: "x".repeat(16_384) } } });
    const res = await withServer(server, (port) => postChunked(port, [body.slice(0, 3000), body.slice(3000)]));
    expect(res).toEqual({ status: 500, text: "limit reached while reading: 8192\n" });
    await stillServes(server);
  });

  it("lets a client that closes the connection finish sending a refused body, so it reads the answer and no reset", async () => {
    const { harness } = app();
    const server = createApp({ ...harness.deps, limits: { maxBodyBytes: 64 * 1024 } });
    const answer = await withServer(server, (port) => sendThenRead(port, 8 * 1024 * 1024));
    expect(answer).toMatchObject({ error: undefined });
    expect(answer.text).toMatch(/^HTTP\/1\.1 500 [\s\S]*\r\n\r\nlimit reached while reading: 65536\n$/);
  });

  it("accepts a body of exactly 10 MB (Linkerd refuses it: an off-by-one we do not copy)", async () => {
    const { app: server } = app();
    const padded = GOOD + " ".repeat(MAX_BODY_BYTES - Buffer.byteLength(GOOD));
    expect(Buffer.byteLength(padded)).toBe(MAX_BODY_BYTES);
    const res = await post(server, padded).expect(200);
    expect(res.body.response.allowed).toBe(true);
  });
});

describe("hostile requests", () => {
  it("refuses deep nesting before anything recursive sees it", async () => {
    const { app: server, harness } = app();
    const depth = 200_000;
    const object = `{"kind":"Pod","metadata":{"name":"deep"},"spec":${"[".repeat(depth)}${"]".repeat(depth)}}`;
    const body = `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"d","namespace":"shop","object":${object}}}`;
    const res = await withParseSpy(body.length, () => post(server, body).expect(400));
    expect(res.text).toBe(`failed to decode admission review request: nesting deeper than ${MAX_DEPTH} levels\n`);
    expect(harness.logLines().some((l) => l["msg"] === "rejected admission review")).toBe(true);
    await stillServes(server);
  });

  it("refuses a body of absurdly many values before parsing it", async () => {
    // 1.5 MB of empty objects: JSON.parse would make 500,000 objects (32 MB) of it; 10 MB of them took 600 MB.
    const { app: server } = app();
    const items = `${"{},".repeat(MAX_JSON_VALUES)}{}`;
    const body = `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"v","namespace":"shop","operation":"CREATE","kind":{"kind":"Pod"},"object":{"kind":"Pod","metadata":{"name":"v"},"x":[${items}]}}}`;
    const res = await withParseSpy(body.length, () => post(server, body).expect(400));
    expect(res.text).toBe(`failed to decode admission review request: more than ${MAX_JSON_VALUES} JSON values\n`);
    await stillServes(server);
  });

  it("injects a 2.9 MB pod of env vars: the value limit leaves room for any pod the API server can send", async () => {
    const { app: server } = app();
    const review = JSON.parse(GOOD) as { request: { object: { spec: { containers: { env?: unknown[] }[] } } } };
    const env = Array.from({ length: 65_000 }, (_, i) => ({ name: `VARIABLE_${i}`, value: `value-${i}` }));
    (review.request.object.spec.containers[0] as { env?: unknown[] }).env = env;
    const body = JSON.stringify(review);
    expect(body.length).toBeGreaterThan(2.9 * 1024 * 1024);
    const res = await post(server, body).expect(200);
    expect(res.body.response).toMatchObject({ allowed: true, patchType: "JSONPatch" });
  });

  it("accepts nesting up to the limit", async () => {
    const { app: server } = app();
    // review(1) > request(2) > object(3) > metadata(4) > annotations(5): put the rest in an unknown field.
    const inner = MAX_DEPTH - 4;
    const body = `{"request":{"uid":"n","namespace":"shop","operation":"CREATE","kind":{"kind":"Pod"},"object":{"kind":"Pod","metadata":{"name":"n"},"x":${"[".repeat(inner)}${"]".repeat(inner)}}}}`;
    const res = await post(server, body).expect(200);
    expect(res.body.response.uid).toBe("n");
  });

  it.each([
    ["at the top", '{"__proto__":{"polluted":true},"request":{"uid":"p"}}'],
    [
      "in an annotation",
      '{"request":{"uid":"p","object":{"kind":"Pod","metadata":{"annotations":{"__proto__":{"polluted":"yes"}}}}}}',
    ],
    ["in a list", '{"request":{"uid":"p","object":{"kind":"Pod","spec":{"containers":[{"__proto__":{"name":"x"}}]}}}}'],
    // JSON.parse reads the escapes as the same key: the name is nowhere in the bytes.
    [
      "spelt with escapes",
      '{"request":{"uid":"p","object":{"metadata":{"labels":{"\\u005f_pr\\u006fto__":{"a":1}}}}}}',
    ],
  ])("refuses a __proto__ key %s and pollutes nothing", async (_where, body) => {
    const { app: server } = app();
    const res = await post(server, body).expect(400);
    expect(res.text).toBe('failed to decode admission review request: key "__proto__" is not allowed\n');
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
    await stillServes(server);
  });

  it("answers any JSON value at any field with a well-formed answer, and keeps serving", async () => {
    const { app: server } = app();
    const base = JSON.parse(GOOD) as { request: Record<string, unknown> };
    const object = base.request["object"] as Record<string, unknown>;
    const spec = object["spec"] as Record<string, unknown>;
    const metadata = object["metadata"] as Record<string, unknown>;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<[Record<string, unknown>, string]>(
          [base.request, "kind"],
          [base.request, "namespace"],
          [base.request, "object"],
          [object, "kind"],
          [object, "metadata"],
          [object, "spec"],
          [metadata, "annotations"],
          [metadata, "ownerReferences"],
          [metadata, "name"],
          [spec, "containers"],
          [spec, "initContainers"],
          [spec, "volumes"],
          [spec, "hostNetwork"],
        ),
        fc.jsonValue({ maxDepth: 4 }),
        async ([target, key], value) => {
          const saved = target[key];
          target[key] = value;
          const text = JSON.stringify(base);
          target[key] = saved;
          const res = await post(server, text);
          expect([200, 400]).toContain(res.status);
          if (res.status === 200) {
            expect(res.body.response.uid).toBe(base.request["uid"]);
            expect(typeof res.body.response.allowed).toBe("boolean");
          }
        },
      ),
      { numRuns: 150 },
    );
    await stillServes(server);
  });

  it("logs a review of a pod with a 2 MB name and uid in lines of bounded length", async () => {
    const { app: server, harness } = app();
    const huge = "x".repeat(2 * 1024 * 1024);
    const review = JSON.parse(GOOD) as {
      request: Record<string, unknown> & { object: Record<string, Record<string, unknown>> };
    };
    review.request["uid"] = huge;
    review.request["name"] = huge;
    review.request.object["metadata"] = { ...review.request.object["metadata"], name: huge, generateName: undefined };
    // Not injectable: the answer's warning names the pod too.
    review.request.object["spec"] = { ...review.request.object["spec"], hostNetwork: true };
    const res = await post(server, JSON.stringify(review)).expect(200);
    expect(res.body.response.warnings?.[0]).toContain(huge);
    const lines = harness.logLines();
    expect(lines.some((l) => l["msg"] === "admission review")).toBe(true);
    for (const line of lines) expect(JSON.stringify(line).length).toBeLessThan(8 * 1024);
  });

  it("serves any path and method, as Linkerd does", async () => {
    const { app: server } = app();
    const res = await request(server)
      .put("/some/where?x=1")
      .set("Content-Type", "application/json")
      .send(GOOD)
      .expect(200);
    expect(res.body.response.allowed).toBe(true);
  });
});

describe("limits on what is in flight", () => {
  /** Look-ups that wait for `release()`: reviews stay in flight until then. */
  function gatedApp(limits: Parameters<typeof createApp>[0]["limits"]) {
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const table = tableLookups(clusterFixture());
    let waiting = 0;
    const harness = makeHarness({
      lookups: {
        ...table,
        namespace: async (name) => {
          waiting++;
          await gate;
          return table.namespace(name);
        },
      },
    });
    return { server: createApp({ ...harness.deps, limits }), release, waiting: () => waiting };
  }

  /** What one GOOD review holds: its bytes, then 64 per JSON value. */
  const goodCost = () => {
    const scan = scanJson(Buffer.from(GOOD));
    if (!scan.ok) throw new Error(scan.message);
    return Buffer.byteLength(GOOD) + scan.values * BYTES_PER_VALUE;
  };

  it("answers 503 at once, without queueing, when as many reviews as allowed are in flight", async () => {
    const { server, release, waiting } = gatedApp({ maxConcurrentReviews: 2 });
    const first = post(server, GOOD).then((r) => r);
    const second = post(server, GOOD).then((r) => r);
    // Both held at their namespace look-up: the third must be answered without waiting for them.
    await waitUntil(async () => waiting() === 2);
    const res = await post(server, GOOD);
    expect(res.status).toBe(503);
    expect(res.text).toBe("too many admission reviews in flight (limit 2)\n");
    expect(res.headers["retry-after"]).toBe("1");
    release();
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    await stillServes(server);
  });

  it("answers 503 when the reviews in flight would hold more than the memory budget, and frees it after", async () => {
    const { server, release, waiting } = gatedApp({ maxInflightBytes: goodCost() + 1000 });
    const first = post(server, GOOD).then((r) => r);
    await waitUntil(async () => waiting() === 1);
    const refused = await post(server, GOOD);
    expect(refused.status).toBe(503);
    expect(refused.text).toMatch(/^admission reviews in flight over the memory budget \(\d+ bytes\)\n$/);
    release();
    expect((await first).status).toBe(200);
    // Everything held came back: one more review fits again.
    await stillServes(server);
  });

  it("gives the budget back when a client goes away in the middle of its body", async () => {
    const budget = goodCost() + 1000;
    const { server, release } = gatedApp({ maxInflightBytes: budget });
    release();
    await withServer(server, async (port) => {
      // Declares most of the budget, sends a little, and hangs up.
      await new Promise<void>((resolve, reject) => {
        const socket = connect(port, "127.0.0.1", () => {
          socket.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${budget - 100}\r\n\r\n{"request":`);
          setTimeout(() => {
            socket.destroy();
            resolve();
          }, 50);
        });
        socket.on("error", reject);
      });
      // Were the aborted body's bytes still held, this review would not fit.
      await waitUntil(async () => (await postTo(port, GOOD)).status === 200);
    });
  });
});

/** Polls `probe` until it holds; the cap only catches a hang. */
async function waitUntil(probe: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("condition never met");
}

function postTo(
  port: number,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/",
        headers: { "content-type": "application/json", ...headers },
      },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
