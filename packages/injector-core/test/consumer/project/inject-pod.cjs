// A CommonJS consumer: `require` the package (Node 20.19+ loads ES modules from `require`) and inject a Pod.
const { injectObject, resolveValues } = require("@l5d-injector/injector-core");

const values = resolveValues([{ identityTrustAnchorsPEM: "-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n" }]);
if (!values.ok) throw new Error(JSON.stringify(values.issues));
const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "app", image: "app" }] } };
const result = injectObject(pod, { origin: "cli", mode: "full", values: values.values });
if (!result.ok) throw new Error(JSON.stringify(result.issues));
process.stdout.write(JSON.stringify({ outcome: result.reports[0].outcome, object: result.object }));
