import { describe, expect, it } from "vitest";
import {
  describeRequirement,
  matchLabelSelector,
  matchWebhookRule,
  POD_CREATE,
  readLabelSelector,
  type AdmissionAttributes,
  type LabelSelector,
  type WebhookRule,
} from "./selectors.js";

// Cases from https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors
describe("matchLabelSelector", () => {
  const cases: Array<[string, LabelSelector | undefined, Record<string, string>, boolean]> = [
    ["an absent selector matches everything", undefined, {}, true],
    ["an empty selector matches everything", {}, { a: "b" }, true],
    ["matchLabels needs the key with that value", { matchLabels: { app: "web" } }, { app: "web", x: "y" }, true],
    ["matchLabels fails on another value", { matchLabels: { app: "web" } }, { app: "db" }, false],
    ["matchLabels fails on a missing key", { matchLabels: { app: "web" } }, {}, false],
    [
      "In needs one of the values",
      { matchExpressions: [{ key: "env", operator: "In", values: ["a", "b"] }] },
      { env: "b" },
      true,
    ],
    ["In fails without the key", { matchExpressions: [{ key: "env", operator: "In", values: ["a"] }] }, {}, false],
    [
      "NotIn holds without the key",
      { matchExpressions: [{ key: "env", operator: "NotIn", values: ["prod"] }] },
      {},
      true,
    ],
    [
      "NotIn fails on a listed value",
      { matchExpressions: [{ key: "env", operator: "NotIn", values: ["prod"] }] },
      { env: "prod" },
      false,
    ],
    [
      "NotIn holds on another value",
      { matchExpressions: [{ key: "env", operator: "NotIn", values: ["prod"] }] },
      { env: "dev" },
      true,
    ],
    [
      "Exists needs the key, any value",
      { matchExpressions: [{ key: "tier", operator: "Exists" }] },
      { tier: "" },
      true,
    ],
    ["Exists fails without the key", { matchExpressions: [{ key: "tier", operator: "Exists" }] }, {}, false],
    ["DoesNotExist holds without the key", { matchExpressions: [{ key: "tier", operator: "DoesNotExist" }] }, {}, true],
    [
      "DoesNotExist fails with the key",
      { matchExpressions: [{ key: "tier", operator: "DoesNotExist" }] },
      { tier: "x" },
      false,
    ],
    [
      "every requirement must hold (AND)",
      { matchLabels: { app: "web" }, matchExpressions: [{ key: "env", operator: "In", values: ["dev"] }] },
      { app: "web", env: "prod" },
      false,
    ],
    [
      "In with no values is invalid",
      { matchExpressions: [{ key: "env", operator: "In", values: [] }] },
      { env: "" },
      false,
    ],
    [
      "Exists with values is invalid",
      { matchExpressions: [{ key: "env", operator: "Exists", values: ["a"] }] },
      { env: "a" },
      false,
    ],
    [
      "an unknown operator is invalid",
      { matchExpressions: [{ key: "env", operator: "Gt", values: ["1"] }] },
      { env: "2" },
      false,
    ],
  ];
  it.each(cases)("%s", (_name, selector, labels, expected) => {
    expect(matchLabelSelector(selector, labels).matches).toBe(expected);
  });

  it("names the unmet requirements as kubectl writes them", () => {
    const result = matchLabelSelector(
      {
        matchLabels: { app: "web" },
        matchExpressions: [
          { key: "config.linkerd.io/admission-webhooks", operator: "NotIn", values: ["disabled"] },
          { key: "linkerd.io/control-plane-component", operator: "DoesNotExist" },
          { key: "kept", operator: "Exists" },
        ],
      },
      { "config.linkerd.io/admission-webhooks": "disabled", "linkerd.io/control-plane-component": "x", kept: "1" },
    );
    expect(result.unmet).toEqual([
      "app=web",
      "config.linkerd.io/admission-webhooks notin (disabled)",
      "!linkerd.io/control-plane-component",
    ]);
  });

  it("says why a selector is invalid", () => {
    const result = matchLabelSelector({ matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] }, {});
    expect(result.matches).toBe(false);
    expect(result.matches ? undefined : result.invalid).toContain("invalid requirement");
  });

  it("reads a selector from JSON, an absent one as the API server's default", () => {
    expect(readLabelSelector(undefined)).toBeUndefined();
    expect(
      readLabelSelector({ matchLabels: { a: "b" }, matchExpressions: [{ key: "k", operator: "Exists" }] }),
    ).toEqual({
      matchLabels: { a: "b" },
      matchExpressions: [{ key: "k", operator: "Exists", values: [] }],
    });
    expect(describeRequirement({ key: "k", operator: "In", values: ["a", "b"] })).toBe("k in (a,b)");
  });
});

// Semantics of https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#matching-requests-rules
describe("matchWebhookRule", () => {
  const rule = (over: Partial<WebhookRule>): WebhookRule => ({
    operations: ["CREATE"],
    apiGroups: [""],
    apiVersions: ["v1"],
    resources: ["pods"],
    ...over,
  });
  const cases: Array<[string, WebhookRule, AdmissionAttributes, boolean]> = [
    ["pods CREATE matches pod creation", rule({}), POD_CREATE, true],
    [
      "the injector's rule (pods, services, Namespaced)",
      rule({ resources: ["pods", "services"], scope: "Namespaced" }),
      POD_CREATE,
      true,
    ],
    ["another operation does not match", rule({ operations: ["UPDATE"] }), POD_CREATE, false],
    ["operations * matches any", rule({ operations: ["*"] }), POD_CREATE, true],
    ["another group does not match", rule({ apiGroups: ["apps"] }), POD_CREATE, false],
    ["apiGroups * matches the core group", rule({ apiGroups: ["*"] }), POD_CREATE, true],
    ["another version does not match", rule({ apiVersions: ["v1beta1"] }), POD_CREATE, false],
    ["apiVersions * matches", rule({ apiVersions: ["*"] }), POD_CREATE, true],
    ["resources * matches every resource", rule({ resources: ["*"] }), POD_CREATE, true],
    ["resources */* matches every resource", rule({ resources: ["*/*"] }), POD_CREATE, true],
    // The docs say "all subresources"; the API server's matcher (sub == "*" || sub == opSub) also takes the resource.
    ["pods/* matches the resource too", rule({ resources: ["pods/*"] }), POD_CREATE, true],
    ["pods/* matches a subresource", rule({ resources: ["pods/*"] }), { ...POD_CREATE, subresource: "log" }, true],
    [
      "pods/status matches the status subresource",
      rule({ resources: ["pods/status"] }),
      { ...POD_CREATE, subresource: "status" },
      true,
    ],
    [
      "pods does not match a subresource",
      rule({ resources: ["pods"] }),
      { ...POD_CREATE, subresource: "status" },
      false,
    ],
    ["* does not match a subresource", rule({ resources: ["*"] }), { ...POD_CREATE, subresource: "exec" }, false],
    ["*/* matches a subresource", rule({ resources: ["*/*"] }), { ...POD_CREATE, subresource: "exec" }, true],
    ["services only does not match pods", rule({ resources: ["services"] }), POD_CREATE, false],
    ["scope Cluster does not match a namespaced pod", rule({ scope: "Cluster" }), POD_CREATE, false],
    ["scope * matches", rule({ scope: "*" }), POD_CREATE, true],
    [
      "scope Cluster matches a cluster object",
      rule({ resources: ["namespaces"], scope: "Cluster" }),
      { ...POD_CREATE, resource: "namespaces", namespaced: false },
      true,
    ],
    ["absent lists match nothing", { resources: ["pods"] }, POD_CREATE, false],
  ];
  it.each(cases)("%s", (_name, r, request, expected) => {
    expect(matchWebhookRule(r, request)).toBe(expected);
  });
});
