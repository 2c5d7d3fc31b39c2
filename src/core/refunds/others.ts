/** Refund reads, metadata updates, polling and notifications. */
import { fail, ok, type Result } from '../errors.js';
import type { Metadata, RefundRecord } from '../model.js';
import { inTx, systemContext, type CoreDeps, type RequestContext } from '../context.js';
import type { ListQuery, Page, Scope } from '../store.js';
import type { RefundOutcome } from '../connector.js';
import { mergeMetadata } from '../payment-intents/update.js';
import { applyRefundOutcome } from './apply-outcome.js';
import { refundRequestFor } from './create.js';

const LEASE_MS = 60_000;

export async function getRefund(deps: CoreDeps, scope: Scope, id: string): Promise<Result<RefundRecord>> {
  const r = await deps.store.refunds.get(scope, id);
  return r ? ok(r) : fail({ kind: 'not_found', resource: 'refund', id, param: 'refund' });
}

export async function listRefunds(deps: CoreDeps, scope: Scope, q: ListQuery & { payment_intent?: string; charge?: string }): Promise<Result<Page<RefundRecord>>> {
  const page = await deps.store.refunds.list(scope, q);
  return page ? ok(page) : fail({ kind: 'not_found', resource: 'object', id: String(q.starting_after ?? q.ending_before), param: q.starting_after ? 'starting_after' : 'ending_before' });
}

export async function updateRefund(deps: CoreDeps, ctx: RequestContext, id: string, p: { metadata?: Record<string, string | null> | null }): Promise<Result<RefundRecord>> {
  return inTx(deps.store, async (s) => {
    const found = await s.refunds.lock(ctx.scope, id);
    if (!found) return fail({ kind: 'not_found', resource: 'refund', id, param: 'refund' });
    const metadata: Metadata = p.metadata === null ? {} : p.metadata ? mergeMetadata(found.metadata, p.metadata) : found.metadata;
    const next = { ...found, metadata, updated: deps.clock.now() };
    await s.refunds.update(next);
    return ok(next);
  });
}

/**
 * Pending refunds whose answer never came: send the very same refund request again (Antom
 * deduplicates on refundRequestId and answers with the refund's current result).
 */
export async function pollDueRefunds(deps: CoreDeps, limit = 20): Promise<number> {
  const due = await deps.store.tx((s) => s.refunds.claimDue(deps.clock.now(), limit, LEASE_MS));
  for (const r of due) {
    try {
      const connector = deps.connector(r.livemode);
      const charge = await deps.store.charges.get({ account_id: r.account_id, livemode: r.livemode }, r.charge_id);
      const attempt = charge && (await deps.store.attempts.get(charge.attempt_id));
      if (!connector || !attempt?.upstream_payment_id) continue;
      const outcome = await connector.refund(refundRequestFor(deps, r, attempt.upstream_payment_id));
      if (outcome.status !== 'unknown') await applyRefundOutcome(deps, systemContext({ account_id: r.account_id, livemode: r.livemode }), r.id, outcome);
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
  }
  return due.length;
}

/** A verified notifyRefund: it must name one of our refunds with its amount. */
export async function applyRefundNotification(
  deps: CoreDeps, n: { refundRequestId: string; amount: { currency: string; amount: number }; outcome: RefundOutcome }, livemode: boolean,
): Promise<{ ok: true; changed: boolean } | { ok: false; reason: string }> {
  const refund = await deps.store.refunds.findById(n.refundRequestId);
  if (!refund || refund.livemode !== livemode) return { ok: false, reason: `no refund with refundRequestId ${n.refundRequestId}` };
  if (refund.amount !== n.amount.amount || refund.currency !== n.amount.currency) {
    return { ok: false, reason: `refund amount ${n.amount.currency} ${n.amount.amount} differs from the ${refund.currency} ${refund.amount} requested` };
  }
  const applied = await applyRefundOutcome(deps, systemContext({ account_id: refund.account_id, livemode }), refund.id, n.outcome);
  return { ok: true, changed: applied.ok && applied.value.status !== refund.status };
}
