#!/usr/bin/env node
/**
 * The process: flags, files, ports, signals. Everything a request touches lives in `createApp` (app.ts); this is
 * the only module that reads process.env, opens ports or exits.
 */
// First: ignores SIGUSR1 (the inspector) and SIGHUP while the rest loads.
import { reportIgnoredSignals } from "./process-signals.js";
import { readFileSync, rmSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { LINKERD_VERSION } from "@l5d-injector/injector-core";
import { collectDefaultMetrics, Registry } from "prom-client";
import type { Logger } from "pino";
import { createAdminApp } from "./admin.js";
import { createApp } from "./app.js";
import { buildSnapshot, ConfigStore, hasTrustAnchors, type ClusterFacts, type ConfigInputs } from "./config-store.js";
import { createEventRecorder } from "./events.js";
import { parseFlags, parseListenAddress, USAGE, type Flags } from "./flags.js";
import { clusterLookups, type EventRecorder, type KubeLookups } from "./kube.js";
import { batchPerTurn, createLogger } from "./logger.js";
import { createMetrics, createVersionSkewGauge } from "./metrics.js";
import { startHttpServer, startHttpsServer } from "./server.js";
import { describeStartupError, StartupError } from "./startup-error.js";
import { compareVersions, describeSkew, formatVersion, type VersionText } from "./version-skew.js";
import { watchFiles } from "./watch.js";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  version: string;
};

async function main(): Promise<void> {
  const parsed = parseFlags(process.argv.slice(2));
  if (!parsed.ok) {
    process.stderr.write(`${parsed.message}\n\n${USAGE}`);
    process.exit(2);
  }
  const flags = parsed.flags;
  if (flags.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (flags.version) {
    process.stdout.write(formatVersion(await readVersionText(flags)));
    return;
  }
  // One write per turn of the event loop rather than one per line (batchPerTurn says why). What is held is written at
  // exit, by process.exit or after an uncaught error alike (a killed process loses at most one turn's lines).
  const stderr = batchPerTurn(process.stderr);
  process.on("exit", () => stderr.flush());
  const logger = createLogger({ level: flags.logLevel, format: flags.logFormat, out: stderr });
  // From here on a start-up failure is one fatal line in the log's own format (see the end of this file).
  fatalLogger = logger;
  reportIgnoredSignals((signal) =>
    logger.warn({ signal }, signal === "SIGUSR1" ? "ignoring SIGUSR1: the inspector stays closed" : "ignoring SIGHUP"),
  );
  process.on("unhandledRejection", (reason) => logger.error({ err: reason }, "unhandled rejection"));
  // Listened for before anything is written to disk or announced: without a listener SIGTERM ends the process without
  // its exit hooks (the --dev keys would stay on disk), and whoever read "listening" or the banner may signal at once.
  // Until the servers are up there is nothing to drain; then `stop` (below) takes over.
  let onSignal: (signal: "SIGTERM" | "SIGINT") => void = (signal) => {
    logger.info({ signal }, "stopped while starting");
    process.exit(0);
  };
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));

  const files = flags.dev ? await prepareDev(flags, logger) : { tlsCert: flags.tlsCert, tlsKey: flags.tlsKey };

  // Kubernetes: look-ups, events and the server version, when there is a cluster.
  const kube = await connect(flags, logger);
  const cluster: ClusterFacts = kube?.cluster ?? { nativeSidecars: true };

  // Values and trust roots: read now and whenever their files change, never per request.
  const readInputs = async (): Promise<ConfigInputs> => ({
    valuesText: await readOptional(flags.values, flags.valuesExplicit, flags.dev),
    trustRootsPem: files.trustRootsPem ?? (await readOptional(flags.trustRoots, flags.trustRootsExplicit, flags.dev)),
  });
  const store = new ConfigStore({ ok: false, message: "values not loaded yet" }, flags.linkerdNamespace);
  let lastInputs = await readInputs();
  const problem = store.update(lastInputs, cluster);
  if (problem !== undefined) throw new StartupError("ERR_VALUES", `invalid values (${flags.values}): ${problem}`);
  if (!flags.dev && lastInputs.valuesText === undefined) {
    logger.warn({ path: flags.values }, "no values file: using Linkerd's built-in defaults");
  }
  const first = store.current();
  if (first.ok && !hasTrustAnchors(first.configuration.values)) {
    logger.warn("no identity trust anchors (--trust-roots or identityTrustAnchorsPEM): injections will be refused");
  }
  const registry = new Registry();
  // Another Linkerd than the one implemented: said once at start (and again when a reload changes it), kept on
  // /metrics; reviews go on, with the configured values.
  const skewGauge = createVersionSkewGauge(registry);
  let configuredVersion: string | undefined;
  const reportVersions = () => {
    const snapshot = store.current();
    if (!snapshot.ok) return;
    const versions = compareVersions(LINKERD_VERSION, snapshot.configuration.values.linkerdVersion);
    skewGauge.set(versions.implemented, versions.configured);
    if (versions.configured === configuredVersion) return;
    configuredVersion = versions.configured;
    const fields = { implemented: versions.implemented, configured: versions.configured };
    if (versions.skew) logger.warn(fields, describeSkew(versions));
  };
  reportVersions();
  // Only the files in use: in --dev the defaults are built in and the trust anchor is generated.
  const watched = [
    ...(flags.dev && !flags.valuesExplicit ? [] : [flags.values]),
    ...(files.trustRootsPem !== undefined || (flags.dev && !flags.trustRootsExplicit) ? [] : [flags.trustRoots]),
  ];
  const configWatch = watchFiles(
    watched,
    () => {
      void (async () => {
        try {
          const next = await readInputs();
          if (next.valuesText === lastInputs.valuesText && next.trustRootsPem === lastInputs.trustRootsPem) return;
          lastInputs = next;
          const error = store.update(next, cluster);
          if (error === undefined) {
            logger.info("values reloaded");
            reportVersions();
          } else logger.error({ error }, "values changed but are invalid; keeping the previous values");
        } catch (error) {
          logger.error({ err: error }, "failed to re-read values; keeping the previous values");
        }
      })();
    },
    {
      pollMs: 30_000,
      onError: (error) => logger.info(`not watching for values changes (${error.message}); re-checking every 30 s`),
    },
  );

  collectDefaultMetrics({ register: registry });
  const metrics = createMetrics(registry);
  const app = createApp({
    config: store.current,
    lookups: kube?.lookups,
    events: kube?.events ?? { record: (event) => logger.debug({ event }, "event not written: no cluster") },
    metrics,
    // Names this injector, as the CLI's does; Linkerd writes `linkerd/proxy-injector <version>` here.
    createdBy: `l5d-injector/webhook ${version}`,
    logger,
    clock: () => performance.now(),
    reviewTimeoutMs: flags.reviewTimeoutSeconds * 1000,
    limits: { maxInflightBytes: flags.maxInflightBytes, maxConcurrentReviews: flags.maxConcurrentReviews },
  });

  let ready = false;
  const webhookAddr = parseListenAddress(flags.addr);
  const adminAddr = parseListenAddress(flags.metricsAddr);
  if (!webhookAddr.ok || !adminAddr.ok) throw new Error("ERR_ADDR: unreachable, flags are validated");
  const webhook = await startHttpsServer({
    handler: app,
    host: webhookAddr.host,
    port: webhookAddr.port,
    certFile: files.tlsCert,
    keyFile: files.tlsKey,
    logger,
    maxConnections: flags.maxConnections,
    // One budget for a connection to present a request: its TLS handshake, then its headers and body.
    timeouts: {
      handshakeMs: flags.requestTimeoutSeconds * 1000,
      headersMs: flags.requestTimeoutSeconds * 1000,
      requestMs: flags.requestTimeoutSeconds * 1000,
    },
  }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).syscall === "listen") {
      throw new StartupError("ERR_LISTEN", `cannot listen on --addr ${flags.addr}: ${messageOf(error)}`);
    }
    throw new StartupError(
      "ERR_TLS",
      `cannot load the serving certificate (--tls-cert ${files.tlsCert}, --tls-key ${files.tlsKey}): ${messageOf(error)}`,
    );
  });
  const admin = await startHttpServer({
    handler: createAdminApp({ registry, isReady: () => ready }),
    host: adminAddr.host,
    port: adminAddr.port,
  }).catch((error: unknown) => {
    throw new StartupError("ERR_LISTEN", `cannot listen on --metrics-addr ${flags.metricsAddr}: ${messageOf(error)}`);
  });
  ready = true;

  let stopping = false;
  const stop = (signal: string, delaySeconds: number) => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting without waiting");
      process.exit(1);
    }
    stopping = true;
    // Readiness fails at once, so that the pod leaves the Service's endpoints; until every API server and kube-proxy
    // has seen that, reviews still arrive here and must be served, not refused: a refused review admits the pod
    // without a proxy (failurePolicy Ignore). Each answer closes its connection, so the next review reconnects and
    // lands on a ready replica.
    ready = false;
    webhook.closeConnectionsAfterResponses();
    logger.info({ signal, shutdownDelaySeconds: delaySeconds }, "shutting down: not ready, still serving reviews");
    setTimeout(() => {
      logger.info({ signal, timeoutSeconds: flags.drainTimeoutSeconds }, "draining in-flight requests");
      configWatch.close();
      void webhook
        .drain(flags.drainTimeoutSeconds * 1000)
        .then(() => admin.drain(1000))
        .then(() => {
          logger.info("stopped");
          logger.flush();
          process.exit(0);
        });
    }, delaySeconds * 1000);
  };
  // Ctrl-C at a terminal: nothing routes here through a Service, no reason to wait.
  onSignal = (signal) => stop(signal, signal === "SIGTERM" ? flags.shutdownDelaySeconds : 0);

  logger.info(
    {
      addr: flags.addr,
      port: webhook.address.port,
      metricsAddr: flags.metricsAddr,
      version,
      linkerdVersion: LINKERD_VERSION,
    },
    "listening",
  );
  if (flags.dev) printDevBanner(files, webhook.address.port, admin.address.port);
}

interface ServingFiles {
  tlsCert: string;
  tlsKey: string;
  caFile?: string;
  caPem?: string;
  trustRootsPem?: string;
}

/** `--dev`: a self-signed serving certificate and a throwaway trust anchor in a temporary directory. */
async function prepareDev(flags: Flags, logger: Logger): Promise<ServingFiles> {
  // Only dev mode needs openssl: load the helper lazily.
  const { makeServingCertificate, makeThrowawayTrustAnchor } = await import("./certs.js");
  const dir = await mkdtemp(join(tmpdir(), "l5d-injector-dev-"));
  // The serving key and the trust anchor's key are throwaway secrets: they go with the process, however it ends
  // (short of SIGKILL; tests that kill so remove the folder themselves).
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  const serving = await makeServingCertificate(dir);
  const files: ServingFiles = {
    tlsCert: serving.certFile,
    tlsKey: serving.keyFile,
    caFile: serving.caFile,
    caPem: serving.caPem,
  };
  if (!flags.trustRootsExplicit) {
    files.trustRootsPem = await makeThrowawayTrustAnchor(dir);
    logger.warn(
      "dev mode: using a generated, throwaway identity trust anchor (the built-in values have none); injected proxies could not join a real mesh",
    );
  }
  if (flags.kubeconfig === undefined) {
    logger.warn(
      "dev mode: namespace and owner look-ups are off (namespaces count as unannotated, owners are not followed)",
    );
  }
  return files;
}

function printDevBanner(files: ServingFiles, port: number, adminPort: number): void {
  const host = "127.0.0.1";
  process.stdout.write(
    [
      "l5d-injector webhook, dev mode",
      `  webhook  https://${host}:${port}/`,
      `  admin    http://${host}:${adminPort}/metrics  /ping  /ready`,
      `  CA       ${files.caFile ?? ""}`,
      "",
      "Try it:",
      `  curl --cacert ${files.caFile ?? "CA"} -H 'Content-Type: application/json' \\`,
      `    --data @apps/webhook/examples/admission-review.json https://localhost:${port}/`,
      "",
      "The serving CA certificate:",
      (files.caPem ?? "").trimEnd(),
      "",
    ].join("\n"),
  );
}

async function connect(
  flags: Flags,
  logger: Logger,
): Promise<{ lookups: KubeLookups; events: EventRecorder; cluster: ClusterFacts } | undefined> {
  const inCluster = !flags.dev && process.env["KUBERNETES_SERVICE_HOST"] !== undefined;
  if (flags.kubeconfig === undefined && !inCluster) {
    if (!flags.dev) {
      logger.warn("no --kubeconfig and not in a cluster: namespace and owner look-ups and events are off");
    }
    return undefined;
  }
  const { connectKube, kubeLookups, readServerVersion, supportsNativeSidecars } = await import("./kube-client.js");
  const { NamespaceWatch } = await import("./namespace-watch.js");
  const api = await connectKube({ kubeconfig: flags.kubeconfig, inCluster });
  if (api === undefined) return undefined;
  // Namespaces come from a watch: started first, so that its list runs while the version is read.
  const watch = new NamespaceWatch({
    api,
    log: logger,
    now: () => performance.now(),
    resyncMs: flags.namespaceResyncSeconds * 1000,
  });
  watch.start();
  const podName = process.env["POD_NAME"];
  const podNamespace = process.env["POD_NAMESPACE"];
  const events = createEventRecorder({
    sink: api,
    logger,
    now: () => new Date(),
    monotonic: () => performance.now(),
    instance: podName ?? hostname(),
  });

  let cluster: ClusterFacts = { nativeSidecars: true };
  try {
    const version = await readServerVersion(api, AbortSignal.timeout(5000));
    cluster = { nativeSidecars: supportsNativeSidecars(version), version: version.gitVersion };
    logger.info({ server: api.server, version: version.gitVersion }, "connected to the Kubernetes API");
    if (!cluster.nativeSidecars) {
      const message = `Kubernetes ${version.gitVersion} has no native sidecars (1.29+): injecting the classic layout (proxy.nativeSidecar=false)`;
      logger.warn(message);
      if (podName !== undefined && podNamespace !== undefined) {
        // POD_* come from the downward API (deploy/deployment.yaml), so no RBAC on pods is needed for this.
        const uid = process.env["POD_UID"] ?? "";
        events.record({
          involvedObject: { apiVersion: "v1", kind: "Pod", name: podName, namespace: podNamespace, uid },
          type: "Normal",
          reason: "ClassicSidecarLayout",
          message,
        });
      }
    }
  } catch (error) {
    logger.error({ err: error }, "cannot read the Kubernetes version; assuming native sidecars are supported");
  }
  // Serve once the namespaces are listed, or after a few seconds without them: until the watch has synced, each
  // review reads its namespace from the API (within its deadline).
  if (!(await watch.whenSynced(5000))) {
    logger.warn("the namespace watch has not synced yet: namespaces are read from the API until it has");
  }
  const lookups = clusterLookups({ direct: kubeLookups(api), namespaces: watch.store, now: () => performance.now() });
  return { lookups, events, cluster };
}

/** A missing file at a default path means "not mounted"; a missing file the user named is an error. */
async function readOptional(path: string, explicit: boolean, dev: boolean): Promise<string | undefined> {
  if (dev && !explicit) return undefined;
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if (!explicit && (error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new StartupError("ERR_READ", `cannot read ${path}: ${messageOf(error)}`);
  }
}

/** `--version`'s facts: the values file at --values (or Linkerd's mount path) read as the webhook would read it. */
async function readVersionText(flags: Flags): Promise<VersionText> {
  const base = { webhookVersion: version, implemented: LINKERD_VERSION, valuesPath: flags.values };
  try {
    const valuesText = await readOptional(flags.values, flags.valuesExplicit, false);
    if (valuesText === undefined) return { ...base, configuration: { kind: "not_mounted" } };
    const built = buildSnapshot({ valuesText }, { nativeSidecars: true }, flags.linkerdNamespace);
    if (!built.ok) return { ...base, configuration: { kind: "unreadable", message: built.message } };
    return {
      ...base,
      configuration: { kind: "configured", linkerdVersion: built.snapshot.configuration.values.linkerdVersion },
    };
  } catch (error) {
    return { ...base, configuration: { kind: "unreadable", message: messageOf(error) } };
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Where a start-up failure is reported: plain stderr until the logger exists, then the logger. */
let fatalLogger: Logger | undefined;

main().catch((error: unknown) => {
  // One line, once: an expected failure (a missing file, a taken port, invalid values) by its message alone; only
  // an unexpected one (a bug) carries its stack, as a field of that line.
  const { message, code, stack } = describeStartupError(error);
  if (fatalLogger !== undefined) {
    fatalLogger.fatal(
      { ...(code !== undefined ? { code } : {}), ...(stack !== undefined ? { stack } : {}) },
      `cannot start: ${message}`,
    );
    fatalLogger.flush();
  } else {
    process.stderr.write(
      `l5d-injector-webhook: cannot start: ${message}${stack !== undefined ? ` (${JSON.stringify(stack)})` : ""}\n`,
    );
  }
  process.exit(1);
});
