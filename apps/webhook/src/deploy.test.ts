/**
 * The shipped manifests without a cluster: the Helm chart lints and validates its values, and deploy/ (kustomize) is
 * the chart rendered, holding nothing of Linkerd's. On a real API server: install.cluster.test.ts.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
// @ts-expect-error: a plain ESM script without types
import { helmPath } from "../scripts/helm.mjs";

const APP = join(dirname(fileURLToPath(import.meta.url)), "..");
const CHART = join(APP, "chart");
const helm = (...args: string[]) => spawnSync((helmPath as () => string)(), args, { encoding: "utf8" });

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return name.endsWith(".yaml") ? [path] : [];
  });
}

function kinds(text: string): string[] {
  return parseAllDocuments(text).map((doc) => String((doc.toJS() as { kind?: string } | null)?.kind ?? ""));
}

describe("the Helm chart", () => {
  it("passes helm lint --strict", () => {
    const result = helm("lint", "--strict", CHART);
    expect(result.stdout + result.stderr).toContain("0 chart(s) failed");
    expect(result.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
    expect(result.status).toBe(0);
  });

  it("refuses a misspelt value, a failurePolicy the API server would refuse and a review deadline past the API server's", () => {
    expect(helm("template", "x", CHART, "--set", "replica=3").stderr).toContain(
      "additional properties 'replica' not allowed",
    );
    expect(helm("template", "x", CHART, "--set", "webhookFailurePolicy=Never").stderr).toContain(
      "value must be one of 'Ignore', 'Fail'",
    );
    expect(helm("template", "x", CHART, "--set", "reviewTimeoutSeconds=10").stderr).toContain(
      "reviewTimeoutSeconds must be below timeoutSeconds",
    );
  });

  it("creates no Namespace, and names the release's namespace in every namespaced object", () => {
    const text = helm("template", "l5d", CHART, "--namespace", "mesh").stdout;
    expect(kinds(text)).not.toContain("Namespace");
    expect(text).toContain("--linkerd-namespace=mesh");
    expect(text).toContain("name: l5d-proxy-injector\n      namespace: mesh");
    expect(text).not.toMatch(/namespace: linkerd/);
  });

  it("generates a certificate for the Service and trusts its CA in the webhook configuration", () => {
    const docs = parseAllDocuments(helm("template", "l5d", CHART, "--namespace", "linkerd").stdout).map(
      (d) => d.toJS() as Record<string, any>,
    );
    const secret = docs.find((d) => d["kind"] === "Secret");
    const config = docs.find((d) => d["kind"] === "MutatingWebhookConfiguration");
    const ca = Buffer.from(secret?.["data"]["ca.crt"] as string, "base64").toString();
    expect(Buffer.from(config?.["webhooks"][0].clientConfig.caBundle as string, "base64").toString()).toBe(ca);
    const text = execFileSync("openssl", ["x509", "-noout", "-text"], {
      input: Buffer.from(secret?.["data"]["tls.crt"] as string, "base64"),
      encoding: "utf8",
    });
    expect(text).toContain("DNS:l5d-proxy-injector.linkerd.svc");
  });
});

describe("deploy/ (kustomize)", () => {
  it("is the chart rendered with deploy/values.yaml", () => {
    const result = spawnSync(process.execPath, [join(APP, "scripts", "render-deploy.mjs"), "--check"], {
      encoding: "utf8",
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("holds no Namespace, so that kubectl delete -k never deletes Linkerd's", () => {
    for (const file of yamlFiles(join(APP, "deploy"))) {
      expect(kinds(readFileSync(file, "utf8")), file).not.toContain("Namespace");
    }
  });
});
