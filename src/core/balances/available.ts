/**
 * The availability job. Antom sends no settlement file the gateway could read, so a balance
 * transaction's funds become available when its `available_on` comes (its creation plus the mode's
 * delay, OPENCASHIER_AVAILABLE_DELAY_*), as Trust Payments AUTHs settle after a delay
 * (core/settlement/settle.ts). Rows are claimed with SKIP LOCKED, so any number of gateway
 * processes may run this side by side.
 */
import type { CoreDeps } from '../context.js';

const BATCH = 200;

/**
 * One pass: transactions whose time has come become available, then every available one not yet
 * in its account's running total is folded into it (so GET /v1/balance reads the totals and the
 * recent rows, never the whole history: migration 0022). Returns how many rows it changed.
 */
export async function releaseAvailable(deps: Pick<CoreDeps, 'store' | 'clock'>): Promise<number> {
  let total = 0;
  for (let n = BATCH; n === BATCH;) {
    n = await deps.store.tx((s) => s.balanceTransactions.releaseDue(deps.clock.now(), BATCH));
    total += n;
  }
  for (let n = BATCH; n === BATCH;) {
    n = await deps.store.balanceTransactions.fold(BATCH);
    total += n;
  }
  return total;
}
