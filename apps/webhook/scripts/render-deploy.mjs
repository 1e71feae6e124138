#!/usr/bin/env node
/**
 * deploy/ (the kustomize manifests) is rendered from the Helm chart, so that the two never drift:
 *
 *   node apps/webhook/scripts/render-deploy.mjs           # writes deploy/
 *   node apps/webhook/scripts/render-deploy.mjs --check   # exits 1 and names the files that differ (a unit test runs it)
 *
 * Values: deploy/values.yaml. The certificate is cert-manager's (deploy/cert-manager) or one you make (README), so the
 * chart's generated one is not rendered; the labels only Helm may set (helm.sh/chart, managed-by) are dropped.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { helmPath } from "./helm.mjs";

const APP = join(dirname(fileURLToPath(import.meta.url)), "..");
const CHART = join(APP, "chart");
const DEPLOY = join(APP, "deploy");
const VALUES = join(DEPLOY, "values.yaml");

/** Which file of deploy/ each chart template goes to, per Kubernetes version rendered for. */
const TARGETS = [
  {
    kubeVersion: "1.31.0",
    files: {
      "rbac.yaml": "base/rbac.yaml",
      "deployment.yaml": "base/deployment.yaml",
      "service.yaml": "base/service.yaml",
      "network-policy.yaml": "base/network-policy.yaml",
      "mutating-webhook-configuration.yaml": "base/mutating-webhook-configuration.yaml",
      "pdb.yaml": "pdb.yaml",
      "cert-manager.yaml": "cert-manager/certificate.yaml",
    },
  },
  // Kubernetes 1.20 serves PodDisruptionBudget as policy/v1beta1 only.
  { kubeVersion: "1.20.2", files: { "pdb.yaml": "kubernetes-1.20/pdb.yaml" } },
];

const HELM_ONLY_LABELS = /^\s+(helm\.sh\/chart|app\.kubernetes\.io\/managed-by): .*\n/gm;

export function renderDeploy() {
  const out = new Map();
  for (const target of TARGETS) {
    const text = execFileSync(
      helmPath(),
      [
        "template",
        "l5d-injector",
        CHART,
        "--namespace",
        "linkerd",
        "--kube-version",
        target.kubeVersion,
        "--values",
        VALUES,
      ],
      { encoding: "utf8" },
    );
    const byTemplate = new Map();
    for (const doc of text.split(/^---\n/m)) {
      const source = /^# Source: l5d-injector\/templates\/(.+)$/m.exec(doc)?.[1];
      if (source === undefined) continue;
      const body = doc
        .replace(/^# Source: .*\n/m, "")
        .replace(HELM_ONLY_LABELS, "")
        .trimEnd();
      byTemplate.set(source, [...(byTemplate.get(source) ?? []), body]);
    }
    for (const [template, file] of Object.entries(target.files)) {
      const docs = byTemplate.get(template);
      if (docs === undefined) throw new Error(`ERR_RENDER: the chart rendered nothing from templates/${template}`);
      const header = `# Generated from apps/webhook/chart (templates/${template}) by apps/webhook/scripts/render-deploy.mjs\n# with deploy/values.yaml: edit the chart, then run the script.\n`;
      out.set(file, `${header}${docs.join("\n---\n")}\n`);
    }
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes("--check");
  const stale = [];
  for (const [file, text] of renderDeploy()) {
    const path = join(DEPLOY, file);
    const current = existsSync(path) ? readFileSync(path, "utf8") : undefined;
    if (current === text) continue;
    if (check) stale.push(relative(process.cwd(), path));
    else writeFileSync(path, text);
  }
  if (stale.length > 0) {
    process.stderr.write(
      `deploy/ differs from the chart: ${stale.join(", ")}\nrun: node apps/webhook/scripts/render-deploy.mjs\n`,
    );
    process.exit(1);
  }
}
