import { describe, expect, it } from "vitest";
import { abortable, DeadlineExceeded, sleep, startDeadline } from "./deadline.js";

const clock = () => performance.now();

describe("startDeadline", () => {
  it("fires its signal with DeadlineExceeded when the time is up", async () => {
    const deadline = startDeadline(20, clock);
    await expect(abortable(new Promise(() => undefined), deadline.signal)).rejects.toBeInstanceOf(DeadlineExceeded);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.remainingMs()).toBe(0);
  });

  it("ends a budget taken within it at whichever comes first", async () => {
    const deadline = startDeadline(10_000, clock);
    const short = deadline.within(20);
    await expect(sleep(60_000, short.signal)).rejects.toThrow("deadline of 20 ms exceeded");
    expect(deadline.signal.aborted).toBe(false);

    const long = deadline.within(60_000);
    expect(long.remainingMs()).toBeLessThanOrEqual(10_000);
    deadline.dispose();
    const tight = startDeadline(20, clock);
    const inner = tight.within(60_000);
    await expect(sleep(60_000, inner.signal)).rejects.toBeInstanceOf(DeadlineExceeded);
    long.dispose();
  });

  it("settles normally when the work finishes first", async () => {
    const deadline = startDeadline(10_000, clock);
    expect(await abortable(Promise.resolve(7), deadline.signal)).toBe(7);
    await sleep(1, deadline.signal);
    deadline.dispose();
    expect(deadline.signal.aborted).toBe(false);
  });
});
