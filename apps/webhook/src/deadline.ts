/**
 * Deadlines for the look-ups of one admission review. The API server gives up on a webhook after the
 * configuration's `timeoutSeconds` (10 s by default) and then applies the failurePolicy: an answer we send later is
 * wasted, and a review that waits on a dead API server holds a connection, a socket and memory for nothing. So each
 * review gets one deadline, well under that timeout, and every await of a look-up is bounded by it.
 */

/** What a look-up may spend: a signal that fires when it must give up, and the milliseconds left until then. */
export interface Budget {
  readonly signal: AbortSignal;
  remainingMs(): number;
}

/** The reason a budget's signal carries when its time is up (not when it was cancelled for another reason). */
export class DeadlineExceeded extends Error {
  readonly code = "ERR_DEADLINE_EXCEEDED";
  constructor(readonly timeoutMs: number) {
    super(`deadline of ${timeoutMs} ms exceeded`);
    this.name = "DeadlineExceeded";
  }
}

export interface Deadline extends Budget {
  readonly timeoutMs: number;
  /** A budget that ends `ms` from now or at this deadline, whichever comes first. Dispose it when done. */
  within(ms: number): Budget & { dispose(): void };
  /** Clears the timer (a review that finished early must not keep one pending). */
  dispose(): void;
}

/**
 * Starts a deadline `timeoutMs` from now. `clock` is monotonic milliseconds (performance.now); the timer itself is
 * Node's, unref'd: a pending deadline never keeps the process alive.
 */
export function startDeadline(timeoutMs: number, clock: () => number): Deadline {
  const parent = timedBudget(timeoutMs, clock, undefined);
  return {
    timeoutMs,
    signal: parent.signal,
    remainingMs: parent.remainingMs,
    within: (ms) => within(parent, ms, clock),
    dispose: parent.dispose,
  };
}

/** A budget that ends `ms` from now or when `parent` does, whichever comes first. Dispose it when done. */
export function within(parent: Budget, ms: number, clock: () => number): Budget & { dispose(): void } {
  return timedBudget(Math.min(ms, parent.remainingMs()), clock, parent.signal);
}

function timedBudget(ms: number, clock: () => number, parent: AbortSignal | undefined): Budget & { dispose(): void } {
  const controller = new AbortController();
  const endsAt = clock() + ms;
  const onParentAbort = () => controller.abort(parent?.reason);
  // An infinite budget (UNBOUNDED's remaining time) needs no timer; setTimeout would fire at once.
  const timer = Number.isFinite(ms)
    ? setTimeout(() => controller.abort(new DeadlineExceeded(ms)), Math.max(0, ms))
    : undefined;
  timer?.unref();
  if (parent?.aborted === true) onParentAbort();
  else parent?.addEventListener("abort", onParentAbort, { once: true });
  const dispose = () => {
    if (timer !== undefined) clearTimeout(timer);
    parent?.removeEventListener("abort", onParentAbort);
  };
  controller.signal.addEventListener("abort", dispose, { once: true });
  return { signal: controller.signal, remainingMs: () => Math.max(0, endsAt - clock()), dispose };
}

/** A budget that never runs out: for calls made outside any review (start-up, the namespace watch). */
export const UNBOUNDED: Budget = { signal: new AbortController().signal, remainingMs: () => Number.POSITIVE_INFINITY };

/**
 * `promise`, or a rejection with the signal's reason as soon as it fires: what makes a deadline hold even around
 * code that does not honour the signal itself.
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** Resolves after `ms`, or rejects with the signal's reason when it fires first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error(String(reason ?? "aborted"));
}

/**
 * One load shared by several waiters (concurrent misses for one key), each with its own budget. A waiter whose
 * budget runs out leaves with its signal's reason; the load itself is aborted only when every waiter has left, so
 * that one review's deadline never fails another's look-up, and a look-up nobody waits for any more does not hold a
 * socket. The load sees a budget whose remaining time is the longest of its waiters'.
 */
export class SharedLoad<V> {
  readonly promise: Promise<V>;
  readonly #controller = new AbortController();
  readonly #waiters = new Set<Budget>();
  #unbounded = 0;
  #settled = false;

  constructor(load: (budget: Budget) => Promise<V>, first?: Budget) {
    // The first waiter joins before the load starts, so that the load's budget is never empty.
    if (first === undefined) this.#unbounded++;
    else this.#waiters.add(first);
    const budget: Budget = { signal: this.#controller.signal, remainingMs: () => this.#remainingMs() };
    this.promise = load(budget);
    this.promise.then(
      () => this.#settle(),
      () => this.#settle(),
    );
  }

  get settled(): boolean {
    return this.#settled;
  }

  /** Every waiter left before it settled: joining it now would only get their abort reason. */
  get aborted(): boolean {
    return this.#controller.signal.aborted;
  }

  /** Waits for the load within `budget` (without one: until it settles). The first waiter is given to the constructor. */
  join(budget?: Budget): Promise<V> {
    if (budget === undefined) {
      this.#unbounded++;
      return this.promise;
    }
    this.#waiters.add(budget);
    return this.wait(budget);
  }

  /** The first waiter's promise: the constructor has registered it already. */
  wait(budget: Budget | undefined): Promise<V> {
    if (budget === undefined) return this.promise;
    return abortable(this.promise, budget.signal).catch((error: unknown) => {
      if (budget.signal.aborted) this.#leave(budget);
      throw error;
    });
  }

  #leave(budget: Budget): void {
    this.#waiters.delete(budget);
    if (!this.#settled && this.#waiters.size === 0 && this.#unbounded === 0) {
      this.#controller.abort(abortReason(budget.signal));
    }
  }

  #settle(): void {
    this.#settled = true;
    this.#waiters.clear();
  }

  #remainingMs(): number {
    if (this.#unbounded > 0) return Number.POSITIVE_INFINITY;
    let most = 0;
    for (const waiter of this.#waiters) most = Math.max(most, waiter.remainingMs());
    return most;
  }
}
