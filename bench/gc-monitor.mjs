// Garbage collection of a process under load, once a second: preload it into the process to watch.
//
//   GC_MONITOR=gc.jsonl node --import ./bench/gc-monitor.mjs apps/webhook/dist/main.js ...
//
// Each line: the young generation's size and the old space's use (MiB), then the scavenges ("minor") and the other
// collections ("major": mark-compacts and their incremental steps) of that second, with their total and longest
// pause (ms). A webhook whose old space climbs and falls every second or two, with scavenges twice as long, is in the
// state README.md ("Where the webhook's time goes") describes. Without GC_MONITOR, nothing is watched.
import { appendFileSync } from "node:fs";
import { constants, PerformanceObserver } from "node:perf_hooks";
import { getHeapSpaceStatistics } from "node:v8";

const out = process.env.GC_MONITOR;
if (out) {
  const fresh = () => ({ minor: 0, minorMs: 0, maxMinorMs: 0, major: 0, majorMs: 0 });
  let second = fresh();
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) {
        second.minor++;
        second.minorMs += entry.duration;
        second.maxMinorMs = Math.max(second.maxMinorMs, entry.duration);
      } else {
        second.major++;
        second.majorMs += entry.duration;
      }
    }
  }).observe({ entryTypes: ["gc"] });
  const mib = (bytes) => Math.round(bytes / 2 ** 17) / 8;
  const round = (ms) => Math.round(ms * 100) / 100;
  setInterval(() => {
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((space) => [space.space_name, space]));
    const line = {
      time: Date.now(),
      newSpaceMiB: mib(spaces.new_space.space_size),
      oldSpaceUsedMiB: mib(spaces.old_space.space_used_size),
      ...second,
      minorMs: round(second.minorMs),
      maxMinorMs: round(second.maxMinorMs),
      majorMs: round(second.majorMs),
    };
    appendFileSync(out, `${JSON.stringify(line)}\n`);
    second = fresh();
  }, 1000).unref();
}
