import { describe, expect, it } from "vitest";
import {
  kubeLookups,
  parseRetryAfter,
  parseServerVersion,
  supportsNativeSidecars,
  type KubeApi,
} from "./kube-client.js";

describe("server version", () => {
  it.each([
    [{ major: "1", minor: "20", gitVersion: "v1.20.2" }, false],
    [{ major: "1", minor: "28", gitVersion: "v1.28.9" }, false],
    [{ major: "1", minor: "29", gitVersion: "v1.29.0" }, true],
    // Managed clusters decorate the minor version.
    [{ major: "1", minor: "30+", gitVersion: "v1.30.4-eks-a737599" }, true],
    [{ major: "", minor: "", gitVersion: "v1.27.3+k3s1" }, false],
    [{ gitVersion: "v1.31.0" }, true],
  ])("%j supports native sidecars: %s", (body, expected) => {
    expect(supportsNativeSidecars(parseServerVersion(body))).toBe(expected);
  });
});

describe("kubeLookups", () => {
  function api(responses: Record<string, { status: number; body: unknown }>): KubeApi & { paths: string[] } {
    const paths: string[] = [];
    return {
      server: "https://127.0.0.1:6443",
      paths,
      request: async (_method, path) => {
        paths.push(path);
        return { headers: {}, ...(responses[path] ?? { status: 404, body: { kind: "Status", message: "not found" } }) };
      },
      stream: async () => {
        throw new Error("not used");
      },
      create: async () => 201,
      patch: async () => 200,
    };
  }

  it("GETs metadata by the right paths, escaping names", async () => {
    const fake = api({
      "/api/v1/namespaces/shop": {
        status: 200,
        body: { metadata: { name: "shop", annotations: { "linkerd.io/inject": "enabled", bad: 3 } } },
      },
      "/apis/apps/v1/namespaces/shop/replicasets/web-1": {
        status: 200,
        body: {
          metadata: {
            name: "web-1",
            namespace: "shop",
            uid: "u",
            ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name: "web", uid: "d" }],
          },
        },
      },
    });
    const lookups = kubeLookups(fake);
    expect(await lookups.namespace("shop")).toEqual({
      name: "shop",
      annotations: { "linkerd.io/inject": "enabled" },
      ownerReferences: [],
    });
    expect((await lookups.replicaSet("shop", "web-1"))?.uid).toBe("u");
    expect((await lookups.replicaSet("shop", "web-1"))?.ownerReferences).toEqual([
      { apiVersion: "apps/v1", kind: "Deployment", name: "web", uid: "d" },
    ]);
    expect(await lookups.job("shop", "a/b")).toBeNull();
    expect(fake.paths).toContain("/apis/batch/v1/namespaces/shop/jobs/a%2Fb");
  });

  it("rejects with the API's message on other failures", async () => {
    const lookups = kubeLookups(
      api({ "/api/v1/namespaces/shop": { status: 403, body: { message: 'namespaces "shop" is forbidden' } } }),
    );
    await expect(lookups.namespace("shop")).rejects.toMatchObject({
      reason: "forbidden",
      message: 'failed to get namespace "shop": 403 namespaces "shop" is forbidden',
    });
  });

  it("keeps the resourceVersion and labels, which the namespace watch compares and stores", async () => {
    const lookups = kubeLookups(
      api({
        "/api/v1/namespaces/shop": {
          status: 200,
          body: { metadata: { name: "shop", resourceVersion: "42", labels: { team: "a", n: 1 } } },
        },
      }),
    );
    expect(await lookups.namespace("shop")).toMatchObject({ resourceVersion: "42", labels: { team: "a" } });
  });
});

describe("parseRetryAfter", () => {
  it.each([
    ["3", 3000],
    [" 0 ", 0],
    ["Thu, 01 Jan 1970 00:00:05 GMT", 5000],
    ["soon", undefined],
    [undefined, undefined],
  ])("%j is %j ms", (value, expected) => {
    expect(parseRetryAfter(value, 0)).toBe(expected);
  });
});
