/**
 * The settlement job. Alipay confirms the funds of an authorised payment later (seed 004); the
 * gateway has no settlement file from Antom to read, so an authorised AUTH settles after a delay
 * the operator sets per mode (test mode: seconds). Settling writes settlestatus 100 and enqueues
 * the site's settlement notifications in one transaction. An AUTH still at 10 after 7 days is
 * flagged for investigation, as Trust Payments does, and its query records say so.
 *
 * Rows are claimed with SKIP LOCKED, so any number of gateway processes may run this side by side.
 */
import type { CoreDeps } from '../context.js';
import { SETTLE } from './records.js';
import { notify } from './follow.js';

export const INVESTIGATE_AFTER_MS = 7 * 24 * 60 * 60 * 1000;
const BATCH = 50;

export interface SettlementSchedule {
  /** How long after authorisation an AUTH settles, per mode. */
  delayMs: { test: number; live: number };
}

/** One pass; returns how many AUTHs settled or were flagged. */
export async function settleDue(deps: CoreDeps, schedule: SettlementSchedule): Promise<number> {
  let total = 0;
  for (const livemode of [false, true]) {
    for (;;) {
      const now = deps.clock.now();
      const n = await deps.store.tx(async (s) => {
        const due = await s.tp.claimDueToSettle(livemode, now - (livemode ? schedule.delayMs.live : schedule.delayMs.test), BATCH);
        let woke = false;
        for (const t of due) {
          // A declined AUTH the wallet later confirmed (3 → 100) is settled with errorcode 0.
          const next = { ...t, settle_status: SETTLE.settled, settled_at: now, error_code: '0', investigate_at: null, updated: now };
          await s.tp.update(next);
          woke = (await notify(s, next, 'settlement', now)) || woke;
        }
        if (woke) deps.outboxChanged();
        return due.length;
      });
      total += n;
      if (n < BATCH) break;
    }
  }
  const now = deps.clock.now();
  total += await deps.store.tx(async (s) => {
    const overdue = await s.tp.claimOverdue(now - INVESTIGATE_AFTER_MS, BATCH);
    for (const t of overdue) {
      deps.log.warn({ transaction: t.reference, payment_intent: t.payment_intent_id }, 'AUTH still pending settlement after 7 days; flagged for investigation');
      await s.tp.update({ ...t, investigate_at: now, updated: now });
    }
    return overdue.length;
  });
  return total;
}
