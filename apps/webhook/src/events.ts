import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { EventRecorder, WebhookEvent } from "./kube.js";
import { TtlCache } from "./ttl-cache.js";

/** Writes core/v1 Events; returns the HTTP status. */
export interface EventSink {
  create(namespace: string, event: Record<string, unknown>): Promise<number>;
  patch(namespace: string, name: string, patch: Record<string, unknown>): Promise<number>;
}

export interface RecorderOptions {
  sink: EventSink;
  logger: Logger;
  /** Wall clock, for event timestamps. */
  now: () => Date;
  /** Monotonic milliseconds, for the aggregation window. */
  monotonic: () => number;
  component?: string;
  /** The webhook pod's name, as the reporting instance. */
  instance?: string | undefined;
  maxEntries?: number;
  /** Identical events within this window raise the count of the first instead of creating new ones. */
  windowMs?: number;
}

interface Series {
  namespace: string;
  name: string;
  count: number;
  /** Counted but not written yet: a write for this series is in flight. */
  pending: number;
  writing: boolean;
  created: boolean;
}

/**
 * Records events the way client-go's recorder does for Linkerd: one Event per (object, reason, message), whose
 * `count` is raised on repeats, so that a Deployment scaling to 500 pods makes one Event, not 500. Writes are
 * asynchronous, coalesced while one is in flight, bounded in memory, and never fail a review.
 */
export function createEventRecorder(options: RecorderOptions): EventRecorder {
  const component = options.component ?? "linkerd-proxy-injector";
  const series = new TtlCache<Series>({
    maxEntries: options.maxEntries ?? 1000,
    ttlMs: options.windowMs ?? 10 * 60_000,
    now: options.monotonic,
  });

  const writeOnce = async (event: WebhookEvent, entry: Series): Promise<number> => {
    const timestamp = options.now().toISOString();
    if (entry.created) {
      const status = await options.sink.patch(entry.namespace, entry.name, {
        count: entry.count,
        lastTimestamp: timestamp,
      });
      if (status !== 404) return status;
      // The event expired (events live an hour by default): start a new one.
      entry.created = false;
    }
    let status = 0;
    for (let attempt = 0; attempt < 2; attempt++) {
      status = await options.sink.create(entry.namespace, {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name: entry.name, namespace: entry.namespace },
        involvedObject: event.involvedObject,
        reason: event.reason,
        message: event.message,
        type: event.type,
        source: { component },
        reportingComponent: component,
        ...(options.instance !== undefined ? { reportingInstance: options.instance } : {}),
        firstTimestamp: timestamp,
        lastTimestamp: timestamp,
        count: entry.count,
      });
      // 409: the random name is taken; draw another.
      if (status !== 409) break;
      entry.name = eventName(event);
    }
    entry.created = isSuccess(status);
    return status;
  };

  const write = async (event: WebhookEvent, entry: Series): Promise<void> => {
    entry.writing = true;
    try {
      while (entry.pending > 0) {
        entry.count += entry.pending;
        entry.pending = 0;
        const status = await writeOnce(event, entry);
        if (!isSuccess(status)) {
          options.logger.warn({ status, reason: event.reason, object: describe(event) }, "failed to write event");
        }
      }
    } catch (error) {
      options.logger.warn({ err: error, reason: event.reason, object: describe(event) }, "failed to write event");
    } finally {
      entry.writing = false;
    }
  };

  return {
    record(event) {
      const key = [event.involvedObject.uid || describe(event), event.type, event.reason, event.message].join("\u0000");
      let entry = series.get(key);
      if (entry === undefined) {
        entry = {
          namespace: event.involvedObject.namespace,
          name: eventName(event),
          count: 0,
          pending: 1,
          writing: false,
          created: false,
        };
        series.set(key, entry);
      } else {
        entry.pending += 1;
      }
      if (!entry.writing) void write(event, entry);
    },
  };
}

/** `<object>.<random hex>`, like client-go's `<name>.<unix nanos hex>`: unique and sorted next to its object. */
function eventName(event: WebhookEvent): string {
  return `${event.involvedObject.name}.${randomBytes(8).toString("hex")}`;
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

function describe(event: WebhookEvent): string {
  const o = event.involvedObject;
  return `${o.kind.toLowerCase()}/${o.namespace}/${o.name}`;
}
