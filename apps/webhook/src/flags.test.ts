import { describe, expect, it } from "vitest";
import { DEFAULT_PATHS, parseFlags, parseListenAddress } from "./flags.js";

describe("parseFlags", () => {
  it("defaults to Linkerd's ports and mount paths", () => {
    const r = parseFlags([]);
    expect(r).toMatchObject({
      ok: true,
      flags: {
        addr: ":8443",
        metricsAddr: ":9995",
        tlsCert: DEFAULT_PATHS.tlsCert,
        values: DEFAULT_PATHS.values,
        valuesExplicit: false,
        linkerdNamespace: "linkerd",
        logLevel: "info",
        logFormat: "plain",
        dev: false,
      },
    });
  });

  it("takes Linkerd's single-dash Go flags as well", () => {
    const r = parseFlags(["-addr=:9443", "-metrics-addr", ":9996", "-log-level=debug", "-enable-pprof", "-L", "mesh"]);
    expect(r).toMatchObject({
      ok: true,
      flags: { addr: ":9443", metricsAddr: ":9996", logLevel: "debug", linkerdNamespace: "mesh" },
    });
  });

  it("takes the args of Linkerd's linkerd-proxy-injector Deployment, sub-command first", () => {
    // charts/linkerd-control-plane/templates/proxy-injector.yaml, as rendered in shared/linkerd-chart.
    const r = parseFlags([
      "proxy-injector",
      "-log-level=info",
      "-log-format=plain",
      "-linkerd-namespace=linkerd",
      "-enable-pprof=false",
    ]);
    expect(r).toMatchObject({
      ok: true,
      flags: { addr: ":8443", metricsAddr: ":9995", logLevel: "info", logFormat: "plain", linkerdNamespace: "linkerd" },
    });
  });

  it("reads a boolean's value as Go does", () => {
    expect(parseFlags(["-dev=true"])).toMatchObject({ ok: true, flags: { dev: true } });
    expect(parseFlags(["--dev=0"])).toMatchObject({ ok: true, flags: { dev: false } });
    expect(parseFlags(["-version=T"])).toMatchObject({ ok: true, flags: { version: true } });
  });

  it("listens on loopback in --dev unless told otherwise", () => {
    expect(parseFlags(["--dev"])).toMatchObject({
      ok: true,
      flags: { addr: "127.0.0.1:8443", metricsAddr: "127.0.0.1:9995" },
    });
    expect(parseFlags(["--dev", "--addr", ":8443"])).toMatchObject({ ok: true, flags: { addr: ":8443" } });
  });

  it("marks files named on the command line as required", () => {
    expect(parseFlags(["--values", "/v.yaml", "--trust-roots", "/ca.pem"])).toMatchObject({
      ok: true,
      flags: { values: "/v.yaml", valuesExplicit: true, trustRoots: "/ca.pem", trustRootsExplicit: true },
    });
  });

  it("has serving limits and a shutdown delay with defaults, and takes sizes as Kubernetes quantities", () => {
    expect(parseFlags([])).toMatchObject({
      ok: true,
      flags: {
        shutdownDelaySeconds: 5,
        maxConnections: 1024,
        maxInflightBytes: 64 * 1024 * 1024,
        maxConcurrentReviews: 512,
      },
    });
    expect(
      parseFlags([
        "--shutdown-delay=2.5",
        "--max-connections=10",
        "--max-inflight-bytes=200Mi",
        "--max-concurrent-reviews=3",
      ]),
    ).toMatchObject({
      ok: true,
      flags: {
        shutdownDelaySeconds: 2.5,
        maxConnections: 10,
        maxInflightBytes: 200 * 1024 * 1024,
        maxConcurrentReviews: 3,
      },
    });
    expect(parseFlags(["--max-inflight-bytes", "1000000"])).toMatchObject({
      ok: true,
      flags: { maxInflightBytes: 1_000_000 },
    });
  });

  it("takes the review timeout in seconds, below the webhook's timeoutSeconds", () => {
    expect(parseFlags([])).toMatchObject({ ok: true, flags: { reviewTimeoutSeconds: 8, namespaceResyncSeconds: 300 } });
    expect(parseFlags(["--review-timeout", "2.5", "--namespace-resync", "60"])).toMatchObject({
      ok: true,
      flags: { reviewTimeoutSeconds: 2.5, namespaceResyncSeconds: 60 },
    });
  });

  it("takes the request timeout in seconds, 10 by default", () => {
    expect(parseFlags([])).toMatchObject({ ok: true, flags: { requestTimeoutSeconds: 10 } });
    expect(parseFlags(["--request-timeout=30"])).toMatchObject({ ok: true, flags: { requestTimeoutSeconds: 30 } });
  });

  it.each([
    [["--request-timeout", "0"], /invalid --request-timeout "0"/],
    [["--shutdown-delay=-1"], /invalid --shutdown-delay "-1"/],
    [["--max-connections", "0"], /invalid --max-connections "0"/],
    [["--max-connections", "1.5"], /invalid --max-connections "1.5"/],
    [["--max-inflight-bytes", "lots"], /invalid --max-inflight-bytes "lots"/],
    [["--max-concurrent-reviews", "none"], /invalid --max-concurrent-reviews "none"/],
    [["--review-timeout", "0"], /invalid --review-timeout "0"/],
    [["--review-timeout", "30"], /below the webhook's timeoutSeconds/],
    [["--review-timeout", "soon"], /invalid --review-timeout "soon"/],
    [["--namespace-resync", "0"], /invalid --namespace-resync "0"/],
    [["--log-level", "loud"], /invalid --log-level "loud"/],
    [["--log-format", "xml"], /invalid --log-format "xml"/],
    [["--addr", "8443"], /invalid --addr "8443"/],
    [["--nope"], /Unknown option '--nope'/],
    [["positional"], /Unexpected argument 'positional'/],
    // Only as the first argument, and only this sub-command: Linkerd's other controllers are not this image.
    [["-log-level=info", "proxy-injector"], /Unexpected argument 'proxy-injector'/],
    [["destination"], /Unexpected argument 'destination'/],
    [["-enable-pprof=maybe"], /invalid --enable-pprof "maybe": expected true or false/],
  ])("refuses %j", (args, message) => {
    const r = parseFlags(args);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });
});

describe("parseListenAddress", () => {
  it.each([
    [":8443", { ok: true, host: undefined, port: 8443 }],
    ["127.0.0.1:0", { ok: true, host: "127.0.0.1", port: 0 }],
    ["[::1]:9995", { ok: true, host: "::1", port: 9995 }],
    ["localhost:80", { ok: true, host: "localhost", port: 80 }],
    ["host:70000", { ok: false }],
    ["::1:80", { ok: false }],
  ])("%s", (addr, expected) => {
    expect(parseListenAddress(addr)).toEqual(expected);
  });
});
