// Bundled by the consumer test with esbuild for a browser: what a web page or a worker would import.
import { injectManifest, prepareConfiguration, resolveValues } from "@l5d-injector/injector-core";

const values = resolveValues([
  { identityTrustAnchorsPEM: "-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n" },
]);
if (!values.ok) throw new Error(JSON.stringify(values.issues));
const prepared = prepareConfiguration(values.values);
if (!prepared.ok) throw new Error(JSON.stringify(prepared.issues));
const pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p" },
  spec: { containers: [{ name: "app", image: "app" }] },
};
const result = injectManifest(pod, { configuration: prepared.configuration, mode: "full" });
if (!result.ok) throw new Error(JSON.stringify(result.issues));
globalThis.injected = result.object;
