// Type-checked by the consumer test: typed kubernetes-models objects go in and come out typed, with no cast, through
// both entry points.
import { injectAdmission, prepareConfiguration, reinjectManifest, resolveValues } from "@l5d-injector/injector-core";
import type { IPodTemplateSpec } from "kubernetes-models/v1";
import { Pod } from "kubernetes-models/v1";
import { Deployment } from "kubernetes-models/apps/v1";

const deployment = new Deployment({
  metadata: { name: "web" },
  spec: { selector: {}, template: { spec: { containers: [{ name: "web", image: "web" }] } } },
});
const values = resolveValues([{ identityTrustAnchorsPEM: "pem" }]);
const prepared = values.ok ? prepareConfiguration(values.values) : undefined;
if (prepared?.ok) {
  const configuration = prepared.configuration;
  const result = reinjectManifest(deployment, { configuration, mode: "full" });
  if (result.ok) {
    const template: IPodTemplateSpec | undefined = result.object.spec?.template;
    const same: Deployment = result.object;
    void template;
    void same;
  }
  const admitted = injectAdmission(new Pod({ spec: { containers: [] } }), { configuration, namespace: "shop" });
  if (admitted.ok) {
    const pod: Pod = admitted.object;
    void pod;
  }
}
