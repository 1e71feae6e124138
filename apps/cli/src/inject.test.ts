import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import {
  applyPatch,
  canonicalRemovals,
  injectManifest,
  prepareConfiguration,
  resolveValues,
} from "@l5d-injector/injector-core";
import type { JsonValue } from "@l5d-injector/injector-core";
import { runInject, type InjectArgs } from "./inject.js";
import { transformFile } from "./transform.js";
import { injectArgs, lineDiff, testdata, TOOL } from "./test-support/fixtures.js";
import { memoryIo, type MemoryIoOptions } from "./test-support/memory-io.js";

const VALUES = testdata("values.yaml");
const DEPLOYMENT = testdata("deployment.yaml");
const TRUST_ROOT_SHA256 = "8dc603abd4e755c25c94da05abbf29b9b283a784733651020d72f97ca8ab98e4";

async function inject(args: Partial<InjectArgs>, options: MemoryIoOptions = {}) {
  const io = memoryIo({ ...options, files: { "values.yaml": VALUES, "manifest.yaml": DEPLOYMENT, ...options.files } });
  const code = await runInject(injectArgs(args), io, TOOL);
  return { code, io, stdout: io.stdoutText(), stderr: io.stderrText() };
}

function documents(text: string): JsonValue[] {
  return parseAllDocuments(text, { version: "1.1" })
    .map((document) => document.toJS() as JsonValue)
    .filter((value) => value !== null);
}

function podTemplate(value: JsonValue): Record<string, any> {
  return (value as any).spec.template;
}

describe("runInject", () => {
  it("says how to give trust anchors when --manual runs on the built-in defaults", async () => {
    const { code, stdout, stderr } = await inject({ manual: true, ignoreCluster: true, valuesFiles: [] });
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      "Error transforming resources:\nPlease provide the identity trust anchors: set identityTrustAnchorsPEM with --values FILE or --set (the built-in defaults have none)\n",
    );
  });

  it("annotates workloads for the proxy injector without --manual, adding only the annotation lines", async () => {
    const { code, stdout, stderr } = await inject({});
    expect(code).toBe(0);
    expect(lineDiff(DEPLOYMENT, stdout)).toEqual({
      removed: [],
      added: [
        { line: 15, text: "      annotations:" },
        { line: 16, text: "        linkerd.io/inject: enabled" },
        { line: 27, text: "---" },
      ],
    });
    expect(stderr).toBe('\ndeployment "web" injected\n\n');
  });

  it("renders the proxy with --manual, keeping every line of the input", async () => {
    const { code, stdout, stderr } = await inject({ manual: true });
    expect(code).toBe(0);
    expect(stderr).toBe('\ndeployment "web" injected\n\n');
    expect(lineDiff(DEPLOYMENT, stdout).removed).toEqual([]);
    const template = podTemplate(documents(stdout)[0] as JsonValue);
    expect(template.metadata.annotations).toEqual({
      "linkerd.io/created-by": TOOL.createdBy,
      "linkerd.io/proxy-version": "test-proxy-version",
      "linkerd.io/trust-root-sha256": TRUST_ROOT_SHA256,
    });
    expect(template.metadata.labels["linkerd.io/proxy-deployment"]).toBe("web");
    expect(template.spec.initContainers.map((c: { name: string }) => c.name)).toEqual([
      "linkerd-init",
      "linkerd-proxy",
    ]);
    expect(template.spec.containers.map((c: { name: string }) => c.name)).toEqual(["web-svc"]);
  });

  it("prints what the core's full injection produces, the same object the webhook path gets", async () => {
    const { stdout } = await inject({ manual: true });
    const resolved = resolveValues([parse(VALUES)]);
    if (!resolved.ok) throw new Error("test values do not resolve");
    const prepared = prepareConfiguration(resolved.values, { linkerdNamespace: "linkerd" });
    if (!prepared.ok) throw new Error("test values do not prepare");
    const direct = injectManifest(parse(DEPLOYMENT) as JsonValue, {
      configuration: prepared.configuration,
      mode: "full",
      overrideAnnotations: {},
      createdBy: TOOL.createdBy,
    });
    if (!direct.ok) throw new Error("direct injection failed");
    expect(documents(stdout)).toEqual([applyPatch(direct.object, canonicalRemovals(direct.object))]);
  });

  it("re-injects its own output to the same manifest instead of refusing an injected workload", async () => {
    const first = await inject({ manual: true });
    const second = await inject({ manual: true }, { files: { "manifest.yaml": first.stdout } });
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(first.stdout);
  });

  it("writes compact JSON with sorted keys for -o json", async () => {
    const { code, stdout } = await inject({ output: "json" });
    expect(code).toBe(0);
    expect(stdout.endsWith("}\n")).toBe(true);
    expect(stdout.split("\n")).toHaveLength(2);
    const object = JSON.parse(stdout);
    expect(Object.keys(object)).toEqual(["apiVersion", "kind", "metadata", "spec"]);
    expect(podTemplate(object).metadata.annotations).toEqual({ "linkerd.io/inject": "enabled" });
  });

  it("rejects an output format other than yaml, json and patch", async () => {
    const { code, stdout, stderr } = await inject({ output: "xml" });
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toBe("Error: unsupported format xml (use yaml, json or patch)\n");
  });

  it("echoes kinds it does not inject, and documents without a kind, exactly as written", async () => {
    const manifest = "# config\nkind: ConfigMap\napiVersion: v1\nmetadata: {name: c}   # flow\n---\n\n---\nfoo: bar\n";
    const { code, stdout, stderr } = await inject({ manual: true }, { files: { "manifest.yaml": manifest } });
    expect(code).toBe(0);
    expect(stdout).toBe(
      "# config\nkind: ConfigMap\napiVersion: v1\nmetadata: {name: c}   # flow\n---\n\n---\nfoo: bar\n---\n",
    );
    expect(stderr).toBe(
      '\n‼ no supported objects found\n\nconfigmap "c" skipped\ndocument missing "kind" field, skipped\ndocument missing "kind" field, skipped\n\n',
    );
  });

  it("echoes a skipped workload as written, even fields Kubernetes' serialisation would drop", async () => {
    const disabled = DEPLOYMENT.replace(
      "      labels:\n",
      "      annotations:\n        linkerd.io/inject: disabled\n      labels:\n",
    ).replace("    spec:\n", "    spec:\n      hostNetwork: false\n");
    const { code, stdout } = await inject({ manual: true }, { files: { "manifest.yaml": disabled } });
    expect(code).toBe(0);
    expect(stdout).toBe(`${disabled}---\n`);
  });

  it("prints the verbose report with every check", async () => {
    const { stderr } = await inject({ verbose: true });
    expect(stderr).toBe(
      [
        "",
        "√ pods do not use host networking",
        "√ pods do not have a 3rd party proxy or initContainer already injected",
        "√ pods are not annotated to disable injection",
        "√ at least one resource can be injected or annotated",
        "√ pod specs do not include UDP ports",
        '√ pods do not have automountServiceAccountToken set to "false" or service account token projection is enabled',
        "",
        'deployment "web" injected',
        "",
        "",
      ].join("\n"),
    );
  });

  it("colours the report only when stderr is a terminal", async () => {
    const disabled = DEPLOYMENT.replace(
      "      labels:\n",
      "      annotations:\n        linkerd.io/inject: disabled\n      labels:\n",
    );
    const plain = await inject({}, { files: { "manifest.yaml": disabled } });
    expect(plain.stderr).toBe(
      '\n‼ "linkerd.io/inject: disabled" annotation set on deployment/web\n\ndeployment "web" skipped\n\n',
    );
    const terminal = await inject({}, { files: { "manifest.yaml": disabled }, isTTY: true });
    expect(terminal.stderr).toContain('\u001b[33;1m‼\u001b[0m "linkerd.io/inject: disabled"');
    expect(plain.stdout).toBe(`${disabled}---\n`);
  });

  it("prints each file's manifests and then its report, walking a directory in byte order", async () => {
    const files = {
      "dir/b.yaml": DEPLOYMENT.replace("name: web\n", "name: b\n"),
      "dir/a/x.yaml": DEPLOYMENT.replace("name: web\n", "name: a-x\n"),
      "dir/B.yaml": DEPLOYMENT.replace("name: web\n", "name: upper-b\n"),
    };
    const { code, io } = await inject({ input: "dir" }, { files });
    expect(code).toBe(0);
    const order = io.writes.map(
      (write) => `${write.stream}:${/name: (\S+)|deployment "(\S+)"/.exec(write.text)?.slice(1).join("")}`,
    );
    expect(order).toEqual(["stdout:upper-b", "stderr:upper-b", "stdout:a-x", "stderr:a-x", "stdout:b", "stderr:b"]);
  });

  it("reads the manifest from stdin for -", async () => {
    const { code, stdout } = await inject({ input: "-" }, { stdin: DEPLOYMENT });
    expect(code).toBe(0);
    expect(stdout).toContain("linkerd.io/inject: enabled");
  });

  it("reads https URLs and refuses plain http", async () => {
    const url = "https://example.test/app.yml";
    const ok = await inject({ input: url }, { urls: { [url]: { status: 200, statusText: "OK", body: DEPLOYMENT } } });
    expect(ok.code).toBe(0);
    expect(ok.io.fetched).toEqual([url]);
    const missing = await inject(
      { input: url },
      { urls: { [url]: { status: 404, statusText: "Not Found", body: "" } } },
    );
    expect(missing.stderr).toBe(`Error: unable to read URL "${url}", server reported Not Found, status code=404\n`);
    const http = await inject({ input: "http://example.test/app.yml" });
    expect(http).toMatchObject({ code: 1, stdout: "", stderr: "Error: only HTTPS URLs are allowed\n" });
    expect(http.io.fetched).toEqual([]);
  });

  it("refuses a workload on the host network with Linkerd's message and prints nothing of its file", async () => {
    const hostNetwork = DEPLOYMENT.replace("    spec:\n", "    spec:\n      hostNetwork: true\n");
    const { code, stdout, stderr } = await inject({ manual: true }, { files: { "manifest.yaml": hostNetwork } });
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toBe("Error transforming resources:\nfailed to inject deployment/web: hostNetwork is enabled\n");
  });
});

describe("runInject on bad input", () => {
  it("turns a throw inside the transform into an error for that file, printing nothing of it", () => {
    const broken = () => {
      throw Object.assign(new Error("path not found: /spec"), { code: "ERR_PATCH" });
    };
    expect(transformFile("x.yaml", "a: 1\n---\nb: 2\n", broken, "yaml")).toEqual({
      ok: false,
      errors: [
        "internal error on a document of x.yaml starting at line 1: ERR_PATCH: path not found: /spec",
        "internal error on a document of x.yaml starting at line 3: ERR_PATCH: path not found: /spec",
      ],
    });
  });

  it("names the file, line and problem of a YAML error, prints nothing of that file, and stops there", async () => {
    const files = {
      "dir/1.yaml": DEPLOYMENT,
      "dir/2.yaml": `${DEPLOYMENT}---\nkind: Deployment\nmetadata:\n  name: x\n   bad: indentation\n`,
      "dir/3.yaml": DEPLOYMENT,
    };
    const { code, io, stdout, stderr } = await inject({ input: "dir" }, { files });
    expect(code).toBe(1);
    expect(stdout.match(/^---$/gm)).toHaveLength(1);
    expect(io.writes.at(-1)?.text).toMatch(
      /^Error transforming resources:\nfailed to parse dir\/2\.yaml at line 28, column 9: Nested mappings are not allowed/,
    );
    expect(stderr.startsWith('\ndeployment "web" injected\n\nError transforming resources:\n')).toBe(true);
  });

  it("names the file and line of malformed JSON input", async () => {
    const { code, stdout, stderr } = await inject(
      {},
      { files: { "manifest.yaml": '{\n  "kind": "Pod",\n  "metadata": {"name": "p"\n}\n' } },
    );
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^Error transforming resources:\nfailed to parse manifest\.yaml at line \d+, column \d+: /);
  });

  it("reports a file it cannot read", async () => {
    const denied = Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" });
    const { code, stdout, stderr } = await inject({}, { files: { "manifest.yaml": denied } });
    expect({ code, stdout, stderr }).toEqual({
      code: 1,
      stdout: "",
      stderr: "Error: cannot read manifest.yaml: permission denied\n",
    });
  });

  it("reports a missing input and a missing INPUT argument", async () => {
    expect((await inject({ input: "nope.yaml" })).stderr).toBe(
      "Error: cannot read nope.yaml: no such file or directory\n",
    );
    const none = await inject({ input: undefined });
    expect(none).toMatchObject({ code: 1, stdout: "", stderr: "Error: please specify a kubernetes resource file\n" });
  });

  it("rejects an unknown --set path, an ill-typed value and a --set without =", async () => {
    const unknown = await inject({ sets: ["proxy.nope=1"] });
    expect(unknown).toMatchObject({
      code: 1,
      stdout: "",
      stderr: "Error: --set proxy.nope=1: proxy.nope: unknown values path\n",
    });
    const illTyped = await inject({ sets: ["proxy.ports.admin=abc"] });
    expect(illTyped).toMatchObject({ code: 1, stdout: "" });
    expect(illTyped.stderr).toBe(
      'Error: --set proxy.ports.admin=abc: proxy.ports.admin: expected number, got string "abc"\n',
    );
    const malformed = await inject({ sets: ["proxy.ports.admin"] });
    expect(malformed.stderr).toBe('Error: --set expects PATH=VALUE, got "proxy.ports.admin"\n');
  });

  it("names the values file and line of a YAML error in it", async () => {
    const { code, stdout, stderr } = await inject({}, { files: { "values.yaml": "proxy:\n  image: [unclosed\n" } });
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^Error: values file values\.yaml: .* at line \d+, column \d+/);
  });

  it("rejects values of the wrong type in a values file", async () => {
    const { code, stderr } = await inject({}, { files: { "values.yaml": "proxy:\n  ports:\n    admin: many\n" } });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^Error: invalid values in values file values\.yaml: .*proxy\.ports\.admin/);
  });

  it("refuses --disable-identity", async () => {
    const { code, stdout, stderr } = await inject({ disableIdentity: true });
    expect({ code, stdout, stderr }).toEqual({
      code: 1,
      stdout: "",
      stderr: "Error: --disable-identity is no longer supported; identity is always required\n",
    });
  });
});

describe("runInject with Linkerd's free-form proxy parameters", () => {
  /** The proxy's `LINKERD2_PROXY_INBOUND_*` / `OUTBOUND_*` parameter variables (keep-alives and the like), by name. */
  async function proxyParams(args: Partial<InjectArgs>, files: Record<string, string> = {}) {
    const { code, stdout, stderr } = await inject({ manual: true, ...args }, { files });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '\ndeployment "web" injected\n\n' });
    const template = podTemplate(documents(stdout)[0] as JsonValue);
    const proxy = [...template.spec.initContainers, ...template.spec.containers].find(
      (c: { name: string }) => c.name === "linkerd-proxy",
    );
    const env = proxy.env as Array<{ name: string; value?: string }>;
    return Object.fromEntries(
      env.filter((e) => /^LINKERD2_PROXY_(IN|OUT)BOUND_(SERVER|SCOPE)_/.test(e.name)).map((e) => [e.name, e.value]),
    );
  }

  it("takes any --set proxy.inbound.<scope>.<proto>.<param> and names it as Linkerd's template does", async () => {
    expect(await proxyParams({ sets: ["proxy.inbound.scope.proto.appleSauce=valueA"] })).toEqual({
      LINKERD2_PROXY_INBOUND_SCOPE_PROTO_APPLE_SAUCE: "valueA",
      LINKERD2_PROXY_INBOUND_SERVER_HTTP2_KEEP_ALIVE_INTERVAL: "10s",
      LINKERD2_PROXY_INBOUND_SERVER_HTTP2_KEEP_ALIVE_TIMEOUT: "3s",
      LINKERD2_PROXY_OUTBOUND_SERVER_HTTP2_KEEP_ALIVE_INTERVAL: "10s",
      LINKERD2_PROXY_OUTBOUND_SERVER_HTTP2_KEEP_ALIVE_TIMEOUT: "3s",
    });
  });

  it("emits only the inbound parameters a values file gives: its map replaces the default one", async () => {
    const values = VALUES.replace(
      "\nproxy:\n",
      "\nproxy:\n  inbound:\n    server:\n      http2:\n        keepAliveInterval: 20s\n",
    );
    expect(await proxyParams({}, { "values.yaml": values })).toEqual({
      LINKERD2_PROXY_INBOUND_SERVER_HTTP2_KEEP_ALIVE_INTERVAL: "20s",
      LINKERD2_PROXY_OUTBOUND_SERVER_HTTP2_KEEP_ALIVE_INTERVAL: "10s",
      LINKERD2_PROXY_OUTBOUND_SERVER_HTTP2_KEEP_ALIVE_TIMEOUT: "3s",
    });
  });

  it("emits no inbound parameter for proxy.inbound: {}", async () => {
    const values = VALUES.replace("\nproxy:\n", "\nproxy:\n  inbound: {}\n");
    expect(await proxyParams({}, { "values.yaml": values })).toEqual({
      LINKERD2_PROXY_OUTBOUND_SERVER_HTTP2_KEEP_ALIVE_INTERVAL: "10s",
      LINKERD2_PROXY_OUTBOUND_SERVER_HTTP2_KEEP_ALIVE_TIMEOUT: "3s",
    });
    expect(await proxyParams({ sets: ["proxy.outbound={}"] }, { "values.yaml": values })).toEqual({});
  });
});

describe("runInject configuration source", () => {
  it("reads linkerd-config from the cluster when neither --values nor --ignore-cluster is given", async () => {
    const cluster = { ok: true as const, values: parse(VALUES) };
    const { code, io, stdout } = await inject(
      { valuesFiles: [], manual: true, linkerdNamespace: "l5d", kubeconfig: "/k/config", context: "prod" },
      { cluster },
    );
    expect(code).toBe(0);
    expect(io.clusterRequests).toEqual([{ namespace: "l5d", kubeconfig: "/k/config", context: "prod" }]);
    expect(stdout).toBe((await inject({ manual: true, linkerdNamespace: "l5d" })).stdout);
  });

  it("prints the cluster problem on one line, with the ways around it, and exits 1", async () => {
    const message = "cannot reach the Kubernetes API server at https://127.0.0.1:1 (ECONNREFUSED)";
    const { code, stdout, stderr } = await inject({ valuesFiles: [] }, { cluster: { ok: false, message } });
    expect({ code, stdout, stderr }).toEqual({
      code: 1,
      stdout: "",
      stderr: `Error: ${message}; use --ignore-cluster for the built-in defaults, or --values FILE\n`,
    });
  });

  it("does not touch the cluster with --values or --ignore-cluster", async () => {
    const withValues = await inject({});
    const ignoring = await inject({ valuesFiles: [], ignoreCluster: true });
    expect(withValues.io.clusterRequests).toEqual([]);
    expect(ignoring.io.clusterRequests).toEqual([]);
    expect(ignoring.code).toBe(0);
  });

  it("merges several --values files in order", async () => {
    const { code, stdout } = await inject(
      { manual: true, valuesFiles: ["values.yaml", "more.yaml"] },
      { files: { "more.yaml": '{"proxy": {"image": {"version": "from-second-file"}}}' } },
    );
    expect(code).toBe(0);
    expect(podTemplate(documents(stdout)[0] as JsonValue).metadata.annotations["linkerd.io/proxy-version"]).toBe(
      "from-second-file",
    );
  });
});
