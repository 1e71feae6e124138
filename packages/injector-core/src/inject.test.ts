import { describe, expect, it } from "vitest";
import { injectAdmission } from "./admission.js";
import { deepFreeze, testConfiguration } from "./test-support/fixtures.js";
import type { JsonObject, JsonValue } from "./types.js";

function pod(annotations: Record<string, string>, ports: number[]): JsonObject {
  return deepFreeze({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "shop", annotations: { "linkerd.io/inject": "enabled", ...annotations } },
    spec: {
      containers: [{ name: "web", image: "web:1", ports: ports.map((containerPort) => ({ containerPort })) }],
    },
  });
}

function proxyEnv(object: JsonObject, configuration = testConfiguration()): JsonValue | undefined {
  const result = injectAdmission(object, { configuration, namespace: "shop" });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  for (const op of result.patch) {
    if (op.op === "add" && (op.value as JsonObject)["name"] === "linkerd-proxy") return (op.value as JsonObject)["env"];
  }
  throw new Error("no proxy container in the patch");
}

const OPAQUE_VAR = "LINKERD2_PROXY_INBOUND_PORTS_DISABLE_PROTOCOL_DETECTION";
const opaqueVar = (env: JsonValue | undefined) =>
  (env as JsonObject[]).find((e) => e["name"] === OPAQUE_VAR)?.["value"];

// A pod whose only override is its opaque ports keeps the prepared proxy but for that variable: it must get what
// values configuring those ports give, variable and order alike.
describe("pods that change only their opaque ports", () => {
  it("get the proxy environment the same ports in the values give", () => {
    const env = proxyEnv(pod({ "config.linkerd.io/opaque-ports": "4000,4001" }, [8080]));
    expect(opaqueVar(env)).toBe("4000,4001");
    expect(env).toEqual(proxyEnv(pod({}, [8080]), testConfiguration({ proxy: { opaquePorts: "4000,4001" } })));
  });

  it("get the variable where the values have none", () => {
    const none = testConfiguration({ proxy: { opaquePorts: "" } });
    expect(opaqueVar(proxyEnv(pod({}, [8080]), none))).toBeUndefined();
    const env = proxyEnv(pod({ "config.linkerd.io/opaque-ports": "4000" }, [8080]), none);
    expect(env).toEqual(proxyEnv(pod({}, [8080]), testConfiguration({ proxy: { opaquePorts: "4000" } })));
  });

  it("exposing a default opaque port get it marked, and nothing else of the proxy changes", () => {
    // The webhook annotates 6379 (a default opaque port) and injects in one go.
    const env = proxyEnv(pod({}, [8080, 6379]));
    expect(opaqueVar(env)).toBe("6379");
    const expected = proxyEnv(pod({}, [8080, 6379]), testConfiguration({ proxy: { opaquePorts: "6379" } }));
    expect(env).toEqual(expected);
  });

  it("with other overrides too are rendered with all of them", () => {
    const env = proxyEnv(
      pod({ "config.linkerd.io/opaque-ports": "4000", "config.linkerd.io/proxy-log-level": "debug" }, [8080]),
    );
    expect(opaqueVar(env)).toBe("4000");
    expect((env as JsonObject[]).find((e) => e["name"] === "LINKERD2_PROXY_LOG")?.["value"]).toMatch(/^debug,/);
  });
});
