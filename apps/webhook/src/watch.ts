import { watch, type FSWatcher } from "node:fs";
import { dirname } from "node:path";

export interface WatchOptions {
  /** Collapses the burst of events of one update (Secret/ConfigMap volumes swap a `..data` symlink). */
  debounceMs?: number;
  /** Re-checks on a timer as well: inotify misses changes on some volume types and after a watched dir is replaced. */
  pollMs?: number;
  onError?: (error: Error) => void;
}

/**
 * Calls `onChange` soon after any of `paths` may have changed. It watches the parent directories, not the files:
 * Kubernetes updates mounted Secrets and ConfigMaps by replacing a symlink, which a watch on the old file never
 * sees. `onChange` must itself compare contents; it is also called on a timer.
 */
export function watchFiles(
  paths: readonly string[],
  onChange: () => void,
  options: WatchOptions = {},
): { close(): void } {
  const debounceMs = options.debounceMs ?? 100;
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      onChange();
    }, debounceMs);
    timer.unref();
  };
  for (const dir of new Set(paths.map((p) => dirname(p)))) {
    try {
      const watcher = watch(dir, { persistent: false }, schedule);
      watcher.on("error", (error) => options.onError?.(error));
      watchers.push(watcher);
    } catch (error) {
      options.onError?.(error instanceof Error ? error : new Error(String(error)));
    }
  }
  const poll = options.pollMs !== undefined && options.pollMs > 0 ? setInterval(onChange, options.pollMs) : undefined;
  poll?.unref();
  return {
    close() {
      if (timer !== undefined) clearTimeout(timer);
      if (poll !== undefined) clearInterval(poll);
      for (const watcher of watchers) watcher.close();
    },
  };
}
