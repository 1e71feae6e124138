// Type-checked by the consumer test as CommonJS: `module: nodenext` lets it require the ES module. A typed
// kubernetes-models Deployment goes in and comes out typed, with no cast.
import core = require("@l5d-injector/injector-core");
import models = require("kubernetes-models/apps/v1");
import type { IPodTemplateSpec } from "kubernetes-models/v1";

const deployment = new models.Deployment({
  metadata: { name: "web" },
  spec: { selector: {}, template: { spec: { containers: [{ name: "web", image: "web" }] } } },
});
const values = core.resolveValues([{ identityTrustAnchorsPEM: "pem" }]);
const prepared = values.ok ? core.prepareConfiguration(values.values) : undefined;
if (prepared?.ok) {
  const result = core.injectManifest(deployment, { configuration: prepared.configuration, mode: "full" });
  if (result.ok) {
    const template: IPodTemplateSpec | undefined = result.object.spec?.template;
    const same: models.Deployment = result.object;
    void template;
    void same;
  }
}
