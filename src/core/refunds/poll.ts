/** Refunds whose answer never came are sent again, same refundRequestId, on the poll schedule. */
import { systemContext, type CoreDeps } from '../context.js';
import { applyRefundOutcome } from './apply-outcome.js';
import { refundRequestFor } from './create.js';
import { pollClaimed } from '../polls.js';

/**
 * Pending refunds whose answer never came: send the very same refund request again (Antom
 * deduplicates on refundRequestId and answers with the refund's current result).
 */
export async function pollDueRefunds(deps: CoreDeps, limit = 20, stopping: () => boolean = () => false): Promise<number> {
  const claimedAt = deps.clock.now();
  const due = await deps.store.tx((s) => s.refunds.claimDue(claimedAt, limit, deps.pollLeaseMs));
  return pollClaimed(deps, claimedAt, due, (rest, now) => deps.store.refunds.releaseClaims(rest, now), async (r) => {
    try {
      const connector = deps.connector(r.livemode);
      const charge = await deps.store.charges.get({ account_id: r.account_id, livemode: r.livemode }, r.charge_id);
      const attempt = charge && (await deps.store.attempts.get(charge.attempt_id));
      if (!connector || !attempt?.upstream_payment_id) return;
      const outcome = await connector.refund(refundRequestFor(deps, r, attempt.upstream_payment_id));
      if (outcome.status !== 'unknown') await applyRefundOutcome(deps, systemContext({ account_id: r.account_id, livemode: r.livemode }), r, outcome);
      await deps.store.tx(async (s) => {
        const cur = await s.refunds.lockById(r.id);
        if (!cur || cur.status !== 'pending') return;
        const count = cur.poll_count + 1;
        const delay = deps.pollScheduleMs[Math.min(count, deps.pollScheduleMs.length - 1)] ?? 60_000;
        await s.refunds.update({ ...cur, poll_count: count, next_poll_at: Math.max(cur.created + delay, deps.clock.now() + 100) });
      });
    } catch (err) {
      deps.log.error({ err, refund: r.id }, 'polling a refund failed; it will be retried after its lease');
    }
  }, stopping);
}
