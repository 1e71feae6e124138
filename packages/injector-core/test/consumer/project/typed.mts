// Type-checked by the consumer test: a typed kubernetes-models Deployment goes in and comes out typed, with no cast.
import { injectObject, resolveValues } from "@l5d-injector/injector-core";
import type { IPodTemplateSpec } from "kubernetes-models/v1";
import { Deployment } from "kubernetes-models/apps/v1";

const deployment = new Deployment({
  metadata: { name: "web" },
  spec: { selector: {}, template: { spec: { containers: [{ name: "web", image: "web" }] } } },
});
const values = resolveValues([{ identityTrustAnchorsPEM: "pem" }]);
if (values.ok) {
  const result = injectObject(deployment, { origin: "cli", mode: "full", values: values.values });
  if (result.ok) {
    const template: IPodTemplateSpec | undefined = result.object.spec?.template;
    const same: Deployment = result.object;
    void template;
    void same;
  }
}
