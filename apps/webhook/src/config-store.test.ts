import { applyPatch, getValue, type JsonValue } from "@l5d-injector/injector-core";
import request from "supertest";
import { describe, expect, it } from "vitest";
import type { AdmissionReview } from "./admission.js";
import { createApp } from "./app.js";
import { buildSnapshot, ConfigStore, hasTrustAnchors } from "./config-store.js";
import { clusterFixture, decodePatch, makeHarness, readJsonFixture, tableLookups } from "./test-support/harness.js";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

describe("buildSnapshot", () => {
  it("merges the values file and the trust roots over the defaults", () => {
    const r = buildSnapshot(
      { valuesText: "proxy:\n  logLevel: debug\n", trustRootsPem: PEM },
      { nativeSidecars: true },
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(getValue(r.snapshot.configuration.values, "proxy.logLevel")).toBe("debug");
    expect(getValue(r.snapshot.configuration.values, "proxy.uid")).toBe(2102);
    // Untrimmed: its hash becomes linkerd.io/trust-root-sha256.
    expect(r.snapshot.configuration.values["identityTrustAnchorsPEM"]).toBe(PEM);
    expect(getValue(r.snapshot.configuration.values, "proxy.nativeSidecar")).toBe(true);
  });

  it("forces the classic layout on clusters without native sidecars, whatever the values say", () => {
    const r = buildSnapshot(
      { valuesText: "proxy:\n  nativeSidecar: true\n" },
      { nativeSidecars: false, version: "v1.20.2" },
    );
    expect(r.ok && getValue(r.snapshot.configuration.values, "proxy.nativeSidecar")).toBe(false);
    expect(r.ok && r.snapshot.clusterVersion).toBe("v1.20.2");
  });

  it("reads JSON values too, and an empty file as the defaults", () => {
    expect(buildSnapshot({ valuesText: '{"clusterDomain": "corp.local"}' }, { nativeSidecars: true })).toMatchObject({
      ok: true,
      snapshot: { configuration: { values: { clusterDomain: "corp.local" } } },
    });
    expect(buildSnapshot({ valuesText: "\n" }, { nativeSidecars: true }).ok).toBe(true);
  });

  it.each([
    ["proxy: [unclosed", /^failed to parse values: /],
    ["proxy:\n  uid: lots\n", /^invalid values: proxy.uid: /],
    ["- a list", /^invalid values: /],
  ])("rejects %j", (text, message) => {
    const r = buildSnapshot({ valuesText: text }, { nativeSidecars: true });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });

  it("names the path of an invalid value once", () => {
    const r = buildSnapshot({ valuesText: "proxy:\n  uid: lots\n" }, { nativeSidecars: true });
    expect(r).toEqual({ ok: false, message: 'invalid values: proxy.uid: expected number, got string "lots"' });
  });

  it("caps YAML alias expansion", () => {
    const bomb = [
      "a: &a [x, x, x, x, x, x, x, x, x, x]",
      ...Array.from(
        { length: 12 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`,
      ),
    ].join("\n");
    const r = buildSnapshot({ valuesText: bomb }, { nativeSidecars: true });
    expect(r.ok).toBe(false);
  });
});

describe("ConfigStore", () => {
  it("keeps the last good values when a reload is invalid", () => {
    const store = new ConfigStore({ ok: false, message: "not loaded" }, "linkerd");
    expect(
      store.update({ valuesText: "proxy:\n  logLevel: debug\n", trustRootsPem: PEM }, { nativeSidecars: true }),
    ).toBeUndefined();
    const good = store.current();
    expect(store.update({ valuesText: "proxy: [" }, { nativeSidecars: true })).toMatch(/failed to parse values/);
    expect(store.current()).toBe(good);
    expect(good.ok && hasTrustAnchors(good.configuration.values)).toBe(true);
  });

  it("prepares each reload for the control plane's namespace it was given", () => {
    const store = new ConfigStore({ ok: false, message: "not loaded" }, "mesh");
    store.update({ trustRootsPem: PEM }, { nativeSidecars: true });
    const current = store.current();
    expect(current.ok && current.configuration.linkerdNamespace).toBe("mesh");
    expect(current.ok && Object.isFrozen(current.configuration.prepared)).toBe(true);
  });

  it("reports the first load's problem to the handler", () => {
    const store = new ConfigStore({ ok: false, message: "not loaded" }, "linkerd");
    store.update({ valuesText: "proxy: [" }, { nativeSidecars: true });
    expect(store.current()).toMatchObject({ ok: false, message: expect.stringMatching(/^failed to parse values/) });
  });
});

describe("free-form proxy parameters in the values file", () => {
  /** The `proxy.inbound` / `proxy.outbound` variables of the proxy the webhook injects with `valuesText`. */
  async function proxyParams(valuesText: string): Promise<Record<string, string | undefined>> {
    const built = buildSnapshot({ valuesText, trustRootsPem: PEM }, { nativeSidecars: true });
    if (!built.ok) throw new Error(built.message);
    const harness = makeHarness({ snapshot: built.snapshot, lookups: tableLookups(clusterFixture()) });
    const body = readJsonFixture<AdmissionReview>("reviews", "pod-deployment.json");
    const res = await request(createApp(harness.deps)).post("/").send(body).expect(200);
    const pod = applyPatch(body.request.object as JsonValue, decodePatch(res.body.response) as never) as {
      spec: { initContainers: Array<{ name: string; env?: Array<{ name: string; value?: string }> }> };
    };
    const proxy = pod.spec.initContainers.find((c) => c.name === "linkerd-proxy");
    const env = proxy?.env ?? [];
    return Object.fromEntries(
      env.filter((e) => /^LINKERD2_PROXY_(IN|OUT)BOUND_(SERVER|SCOPE)_/.test(e.name)).map((e) => [e.name, e.value]),
    );
  }

  it("emits only the keep-alive a values file gives for proxy.inbound, and none for proxy.outbound: {}", async () => {
    const text = "proxy:\n  inbound:\n    server:\n      http2:\n        keepAliveInterval: 20s\n  outbound: {}\n";
    expect(await proxyParams(text)).toEqual({ LINKERD2_PROXY_INBOUND_SERVER_HTTP2_KEEP_ALIVE_INTERVAL: "20s" });
  });

  it("names any scope, protocol and parameter as Linkerd's template does", async () => {
    const text = "proxy:\n  inbound: {}\n  outbound:\n    scope:\n      proto:\n        appleSauce: valueA\n";
    expect(await proxyParams(text)).toEqual({ LINKERD2_PROXY_OUTBOUND_SCOPE_PROTO_APPLE_SAUCE: "valueA" });
  });
});
