/**
 * What the payment and refund pollers share (payment-intents/poll.ts, refunds/poll.ts): how long a
 * poll claim lasts, and working through claimed rows within it.
 */
import type { CoreDeps } from './context.js';

/**
 * A poll claim's lease: four Antom timeouts (60 s at the default 15 s, what it was before it
 * followed ANTOM_TIMEOUT_MS). One poll makes up to two calls (a pay sent again and an inquiry; a
 * cancel and an inquiry), each bounded by the timeout, so a poll started while half the lease is
 * left ends within it ({@link pollClaimed}). The claims of a process that died are taken up by the
 * others once it is over.
 */
export const pollLeaseMs = (antomTimeoutMs: number): number => 4 * antomTimeoutMs;

/**
 * Polls claimed rows one after another. A poll starts only while at least half the lease is left
 * (so it ends before the lease does, and no other process can take the row while it is out), and
 * not once the process is stopping: the rest are handed back, due at once for whichever process
 * polls next, instead of waiting out their lease. Returns how many were polled.
 */
export async function pollClaimed<T>(
  deps: CoreDeps, claimedAt: number, due: readonly T[], release: (rest: readonly T[], now: number) => Promise<void>,
  poll: (row: T) => Promise<void>, stopping: () => boolean,
): Promise<number> {
  for (const [i, row] of due.entries()) {
    const now = deps.clock.now();
    if (stopping() || now >= claimedAt + deps.pollLeaseMs / 2) {
      await release(due.slice(i), now);
      return i;
    }
    await poll(row);
  }
  return due.length;
}
