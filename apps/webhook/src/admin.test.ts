import { Registry } from "prom-client";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { createAdminApp } from "./admin.js";
import { CONFIG_LABELS, createMetrics } from "./metrics.js";

// spec §6.6, in Linkerd's order.
const LINKERD_CONFIG_LABELS =
  "admin_port, control_port, enable_debug_sidecar, enable_external_profiles, image_pull_policy, inbound_port, outbound_port, pod_inbound_ports, proxy_cpu_limit, proxy_cpu_request, proxy_image, proxy_admin_shutdown, proxy_log_format, proxy_log_level, proxy_log_http_headers, proxy_memory_limit, proxy_memory_request, proxy_ephemeral_storage_limit, proxy_ephemeral_storage_request, proxy_uid, proxy_gid, proxy_version, proxy_require_identity_inbound_ports, skip_inbound_ports, opaque_ports, skip_outbound_ports, proxy_metrics_hostname_labels, proxy_outbound_connect_timeout, proxy_inbound_connect_timeout, proxy_await, default_inbound_policy, skip_subnets, access_log, shutdown_grace_period, proxy_outbound_discovery_cache_unused_timeout, proxy_inbound_discovery_cache_unused_timeout, proxy_disable_outbound_protocol_detect_timeout, proxy_disable_inbound_protocol_detect_timeout, proxy_enable_native_sidecar, proxy_additional_env".split(
    ", ",
  );

describe("admin server", () => {
  it("answers /ping, /ready and 404 as Linkerd's controllers do", async () => {
    let ready = false;
    const app = createAdminApp({ registry: new Registry(), isReady: () => ready });
    expect((await request(app).get("/ping").expect(200)).text).toBe("pong\n");
    expect((await request(app).get("/ready").expect(500)).text).toBe("not ready\n");
    ready = true;
    expect((await request(app).get("/ready").expect(200)).text).toBe("ok\n");
    await request(app).get("/debug/pprof/").expect(404);
  });

  it("exposes Linkerd's metric names with its labels", async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry);
    const labels = {
      ownerKind: "deployment",
      namespace: "shop",
      annotationAt: "namespace",
      annotations: { "config.linkerd.io/proxy-cpu-request": "100m" },
    };
    metrics.countRequest(labels);
    metrics.countResponse(labels, true, "host_network_enabled,sidecar_already_exists");
    metrics.observeDuration("pod", "skipped", 0.003);
    const text = (
      await request(createAdminApp({ registry, isReady: () => true }))
        .get("/metrics")
        .expect(200)
    ).text;
    expect(text).toContain("# TYPE proxy_inject_admission_requests_total counter");
    expect(text).toContain("# TYPE proxy_inject_admission_responses_total counter");
    expect(text).toContain("# TYPE proxy_inject_admission_duration_seconds histogram");
    expect(text).toMatch(
      /proxy_inject_admission_requests_total\{owner_kind="deployment",namespace="shop",annotation_at="namespace",[^}]*proxy_cpu_request="100m"[^}]*\} 1/,
    );
    expect(text).toMatch(/skip="true",skip_reason="host_network_enabled,sidecar_already_exists"\} 1/);
  });

  it("serves the registry's text, streamed, when the counters are full", async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry);
    for (let i = 0; i < 1200; i++) {
      metrics.countRequest({
        ownerKind: "pod",
        namespace: "shop",
        annotationAt: "",
        annotations: { "config.linkerd.io/proxy-version": `v${i}` },
      });
    }
    const res = await request(createAdminApp({ registry, isReady: () => true }))
      .get("/metrics")
      .expect(200);
    expect(res.headers["content-type"]).toBe(registry.contentType);
    expect(res.headers["transfer-encoding"]).toBe("chunked");
    expect(res.text).toBe(await registry.metrics());
  });

  it("has one config label per Linkerd proxy annotation", () => {
    expect(CONFIG_LABELS).toEqual(LINKERD_CONFIG_LABELS);
  });
});
