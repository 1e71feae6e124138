import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

export const REPO_ROOT = resolve(here, "../..");
/** Scratch space for certificates, kubeconfigs, logs and the local cluster; ignored by git (`.e2e`). */
export const WORK_DIR = join(REPO_ROOT, ".e2e");
/** The control-plane scripts live beside the repository (`<repo>/../shared/tools/kube-control-plane`). */
export const CONTROL_PLANE_TOOLS = resolve(REPO_ROOT, "../shared/tools/kube-control-plane");
export const WEBHOOK_MAIN = join(REPO_ROOT, "apps/webhook/dist/main.js");
export const CLI_MAIN = join(REPO_ROOT, "apps/cli/dist/injector.mjs");
export const WEBHOOK_DEPLOY_DIR = join(REPO_ROOT, "apps/webhook/deploy");
