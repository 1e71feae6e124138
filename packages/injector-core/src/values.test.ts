import { describe, expect, it } from "vitest";
import type { ValuePath } from "./types.js";
import { checkValuePath, DEFAULT_VALUES, getValue, readNumber, readString, resolveValues, setValue } from "./values.js";

describe("resolveValues", () => {
  it("merges layers in order over the defaults", () => {
    const r = resolveValues([
      { proxy: { logLevel: "debug", ports: { admin: 1 } } },
      { proxy: { ports: { admin: 2 } } },
    ]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(getValue(r.values, "proxy.logLevel")).toBe("debug");
    expect(getValue(r.values, "proxy.ports.admin")).toBe(2);
    expect(getValue(r.values, "proxy.ports.inbound")).toBe(4143);
  });

  it("reports a known key of the wrong type with its path", () => {
    const r = resolveValues([{ proxy: { ports: { admin: "x" } } }]);
    expect(r).toEqual({
      ok: false,
      issues: [
        { code: "invalid_value_type", path: ["proxy", "ports", "admin"], message: 'expected number, got string "x"' },
      ],
    });
  });

  it("reports a layer that is not a map", () => {
    const r = resolveValues([["a"]]);
    expect(r.ok).toBe(false);
  });

  it("keeps keys it does not know, and never touches the prototype", () => {
    const layer = JSON.parse('{"futureSetting": 1, "__proto__": {"polluted": true}}');
    const r = resolveValues([layer]);
    if (!r.ok) throw new Error("not resolved");
    const path = checkValuePath(r.values, "futureSetting");
    expect(path.ok && getValue(r.values, path.path)).toBe(1);
    expect(checkValuePath(DEFAULT_VALUES, "futureSetting").ok).toBe(false);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });

  it("does not change the defaults", () => {
    expect(Object.isFrozen(DEFAULT_VALUES)).toBe(true);
    expect(getValue(DEFAULT_VALUES, "linkerdVersion")).toBe("edge-26.8.3");
  });
});

describe("setValue", () => {
  it("sets a known path and leaves the input alone", () => {
    const r = setValue(DEFAULT_VALUES, "proxy.ports.admin", 1234);
    expect(r.ok && getValue(r.values, "proxy.ports.admin")).toBe(1234);
    expect(getValue(DEFAULT_VALUES, "proxy.ports.admin")).toBe(4191);
  });

  it("rejects an unknown path, whether it comes from outside or from a cast", () => {
    const unknown = {
      ok: false,
      issues: [{ code: "unknown_value_path", path: ["proxy", "portz", "admin"], message: "unknown values path" }],
    };
    expect(checkValuePath(DEFAULT_VALUES, "proxy.portz.admin")).toEqual(unknown);
    expect(setValue(DEFAULT_VALUES, "proxy.portz.admin" as ValuePath, 1)).toEqual(unknown);
  });

  it("does not compile a mistyped path", () => {
    // @ts-expect-error: no such setting
    expect(getValue(DEFAULT_VALUES, "proxy.portz.admin")).toBeUndefined();
    // @ts-expect-error: a number setting read as a string
    expect(readString(DEFAULT_VALUES, "proxy.ports.admin")).toBe("");
    expect(readNumber(DEFAULT_VALUES, "proxy.ports.admin")).toBe(4191);
    // Below a free-form map every key is a path.
    expect(getValue(DEFAULT_VALUES, "proxy.inbound.server.http2")).toEqual({
      keepAliveInterval: "10s",
      keepAliveTimeout: "3s",
    });
  });

  it("rejects an ill-typed value", () => {
    const r = setValue(DEFAULT_VALUES, "proxy.ports.admin", "abc");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues[0]?.code).toBe("invalid_value_type");
  });

  it("reads numbers given for string settings as text", () => {
    const r = setValue(DEFAULT_VALUES, "proxyInit.ignoreOutboundPorts", 5432);
    expect(r.ok && getValue(r.values, "proxyInit.ignoreOutboundPorts")).toBe("5432");
  });

  it("accepts new keys inside open maps and escaped dots", () => {
    const r = setValue(DEFAULT_VALUES, "podAnnotations.example\\.com/team", "a");
    expect(r.ok && getValue(r.values, "podAnnotations")).toEqual({ "example.com/team": "a" });
  });

  it("rejects prototype keys", () => {
    expect(checkValuePath(DEFAULT_VALUES, "__proto__.x").ok).toBe(false);
    expect(checkValuePath(DEFAULT_VALUES, "podAnnotations.__proto__").ok).toBe(false);
  });
});

describe("free-form maps", () => {
  const inbound = { server: { http2: { keepAliveInterval: "20s" } } };

  it("replaces a default map with the one a layer gives, instead of merging into it", () => {
    const r = resolveValues([{ proxy: { inbound, outbound: {}, tracing: { labels: { team: "a" } } } }]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(getValue(r.values, "proxy.inbound")).toEqual(inbound);
    expect(getValue(r.values, "proxy.outbound")).toEqual({});
    expect(getValue(r.values, "proxy.tracing.labels")).toEqual({ team: "a" });
    // Fixed structs still merge key by key.
    expect(getValue(r.values, "proxy.tracing.traceServiceName")).toBe("linkerd-proxy");
  });

  it("lets a later layer replace the map of an earlier one", () => {
    const r = resolveValues([{ nodeSelector: { a: "1" } }, { nodeSelector: { b: "2" } }]);
    expect(r.ok && getValue(r.values, "nodeSelector")).toEqual({ b: "2" });
  });

  it("takes any key through setValue, keeping the rest of the map", () => {
    const r = setValue(DEFAULT_VALUES, "proxy.inbound.scope.proto.appleSauce", "valueA");
    expect(r.ok && getValue(r.values, "proxy.inbound")).toEqual({
      scope: { proto: { appleSauce: "valueA" } },
      server: { http2: { keepAliveInterval: "10s", keepAliveTimeout: "3s" } },
    });
    const whole = setValue(DEFAULT_VALUES, "proxy.inbound", {});
    expect(whole.ok && getValue(whole.values, "proxy.inbound")).toEqual({});
    const deep = setValue(DEFAULT_VALUES, "proxy.securityContext.capabilities.drop", ["ALL"]);
    expect(deep.ok && getValue(deep.values, "proxy.securityContext")).toEqual({ capabilities: { drop: ["ALL"] } });
  });

  it("requires maps down to the parameters of proxy.inbound and proxy.outbound, as Linkerd's ProxyParams", () => {
    expect(setValue(DEFAULT_VALUES, "proxy.inbound.scope", "foo")).toEqual({
      ok: false,
      issues: [expect.objectContaining({ code: "invalid_value_type", path: ["proxy", "inbound", "scope"] })],
    });
    const r = resolveValues([{ proxy: { outbound: { server: { http2: "fast" } } } }]);
    expect(r).toEqual({
      ok: false,
      issues: [expect.objectContaining({ code: "invalid_value_type", path: ["proxy", "outbound", "server", "http2"] })],
    });
    expect(resolveValues([{ proxy: { inbound: { server: null } } }]).ok).toBe(true);
  });

  it("holds strings in string maps: a number in a values file is an issue, a --set number is its text", () => {
    const r = resolveValues([{ podAnnotations: { team: 1 } }]);
    expect(r).toEqual({ ok: false, issues: [expect.objectContaining({ path: ["podAnnotations", "team"] })] });
    const set = setValue(DEFAULT_VALUES, "podAnnotations.team", 1);
    expect(set.ok && getValue(set.values, "podAnnotations")).toEqual({ team: "1" });
    expect(setValue(DEFAULT_VALUES, "podAnnotations.team.name", "a").ok).toBe(false);
  });
});
