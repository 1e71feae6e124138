import { describe, expect, it } from "vitest";
import type { ResourceReport } from "@l5d-injector/injector-core";
import { renderInjectReport, renderUninjectReport } from "./report.js";

function report(overrides: Partial<ResourceReport>): ResourceReport {
  const kind = overrides.kind ?? "deployment";
  const name = overrides.name ?? "web";
  return {
    kind,
    name,
    resName: `${kind}/${name}`,
    missingKind: false,
    hostNetwork: false,
    sidecar: false,
    udp: false,
    unsupportedResource: false,
    annotatable: true,
    injectDisabled: false,
    injectDisabledReason: "",
    annotationAt: "",
    automountServiceAccountToken: true,
    reasons: [],
    injectable: true,
    outcome: "injected",
    warnings: [],
    ...overrides,
  };
}

describe("renderInjectReport", () => {
  it("names each annotation value the injection could not use", () => {
    const warnings = [
      {
        code: "invalid_annotation" as const,
        path: ["config.linkerd.io/admin-port"],
        message: 'unable to parse "abc" as a 32-bit integer',
      },
    ];
    expect(renderInjectReport([report({ warnings })], { verbose: false, color: false })).toBe(
      '\n‼ deployment/web: config.linkerd.io/admin-port: unable to parse "abc" as a 32-bit integer\n\ndeployment "web" injected\n\n',
    );
  });

  it("prints only the summary when there is nothing to warn about", () => {
    expect(renderInjectReport([report({}), report({ name: "emoji" })], { verbose: false, color: false })).toBe(
      '\ndeployment "web" injected\ndeployment "emoji" injected\n\n',
    );
  });

  it("lists each warning once, with every resource it concerns", () => {
    const reports = [
      report({ udp: true }),
      report({ name: "dns", udp: true }),
      report({ name: "off", injectDisabled: true, injectable: false, outcome: "skipped" }),
    ];
    expect(renderInjectReport(reports, { verbose: false, color: false })).toBe(
      [
        "",
        '‼ "linkerd.io/inject: disabled" annotation set on deployment/off',
        '‼ deployment/web, deployment/dns use "protocol: UDP"',
        "",
        'deployment "web" injected',
        'deployment "dns" injected',
        'deployment "off" skipped',
        "",
        "",
      ].join("\n"),
    );
  });

  it("says when nothing could be injected or annotated, and how kind-less documents went", () => {
    const reports = [
      report({
        kind: "configmap",
        name: "c",
        annotatable: false,
        injectable: false,
        unsupportedResource: true,
        outcome: "skipped",
      }),
      report({ kind: "", name: "", missingKind: true, annotatable: false, injectable: false, outcome: "skipped" }),
    ];
    expect(renderInjectReport(reports, { verbose: false, color: false })).toBe(
      '\n‼ no supported objects found\n\nconfigmap "c" skipped\ndocument missing "kind" field, skipped\n\n',
    );
  });

  it("prints the annotated outcome of a workload that only got annotations", () => {
    expect(
      renderInjectReport([report({ injectable: false, outcome: "annotated" })], { verbose: false, color: false }),
    ).toBe('\ndeployment "web" annotated\n\n');
  });

  it("colours √ green and ‼ bold yellow", () => {
    const text = renderInjectReport([report({ udp: true })], { verbose: true, color: true });
    expect(text).toContain("\u001b[32m√\u001b[0m pods do not use host networking");
    expect(text).toContain('\u001b[33;1m‼\u001b[0m deployment/web uses "protocol: UDP"');
  });

  it("leaves out the automount line when a pod fails that check", () => {
    const text = renderInjectReport([report({ automountServiceAccountToken: false })], { verbose: true, color: false });
    expect(text).not.toContain("automountServiceAccountToken");
    expect(text).toContain("√ pod specs do not include UDP ports\n\n");
  });
});

describe("renderUninjectReport", () => {
  it("prints one line per document and no checks", () => {
    expect(
      renderUninjectReport([
        report({ outcome: "uninjected" }),
        report({ kind: "service", name: "svc", outcome: "skipped" }),
        report({ kind: "", missingKind: true, outcome: "skipped" }),
      ]),
    ).toBe('\ndeployment "web" uninjected\nservice "svc" skipped\ndocument missing "kind" field, skipped\n\n');
  });
});
