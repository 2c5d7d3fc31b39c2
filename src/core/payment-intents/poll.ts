/**
 * When no notification arrives: ask Antom. Attempts whose pay got no answer are resent (same
 * paymentRequestId); redirected ones are inquired on a schedule kept as data (config); when the
 * schedule runs out, the attempt is closed at Antom so it can never be paid later.
 * Claimed with SKIP LOCKED, so any number of gateway processes may run this.
 */
import type { CoreDeps } from '../context.js';
import { systemContext } from '../context.js';
import type { PaymentAttemptRecord } from '../model.js';
import { applyPaymentOutcome } from './apply-outcome.js';
import { payRequestFor } from './confirm.js';

const LEASE_MS = 60_000;
const OPEN = ['pending', 'redirected', 'processing'];

/** Polls what is due; returns how many attempts were looked at. */
export async function pollDueAttempts(deps: CoreDeps, limit = 20): Promise<number> {
  const due = await deps.store.tx((s) => s.attempts.claimDue(deps.clock.now(), limit, LEASE_MS));
  for (const attempt of due) {
    try {
      await pollAttempt(deps, attempt);
    } catch (err) {
      deps.log.error({ err, attempt: attempt.id }, 'polling an attempt failed; it will be retried after its lease');
    }
  }
  return due.length;
}

async function pollAttempt(deps: CoreDeps, claimed: PaymentAttemptRecord): Promise<void> {
  if (!OPEN.includes(claimed.status)) {
    await deps.store.tx(async (s) => {
      const cur = await s.attempts.lock(claimed.id);
      if (cur) await s.attempts.update({ ...cur, next_poll_at: null });
    });
    return;
  }
  const connector = deps.connector(claimed.livemode);
  if (!connector) return;
  const ctx = systemContext({ account_id: claimed.account_id, livemode: claimed.livemode });
  const exhausted = deps.pollScheduleMs[claimed.poll_count + 1] === undefined;

  if (exhausted) {
    // Nobody paid within the schedule: close it at Antom first, so it cannot be paid afterwards.
    const closed = await connector.cancel(claimed.id);
    if (closed.status === 'canceled') {
      await applyPaymentOutcome(deps, ctx, claimed.id, { status: 'canceled' });
      return;
    }
    // Refused means it reached a final state meanwhile: the inquiry below tells which.
  }
  const outcome = claimed.status === 'pending'
    ? await connector.pay(payRequestFor(deps, claimed))
    : await connector.inquiryPayment(claimed.id);
  if (outcome.status !== 'unknown') await applyPaymentOutcome(deps, ctx, claimed.id, outcome);

  await deps.store.tx(async (s) => {
    const cur = await s.attempts.lock(claimed.id);
    if (!cur || !OPEN.includes(cur.status)) return;
    const count = cur.poll_count + 1;
    const delay = deps.pollScheduleMs[count] ?? deps.pollScheduleMs[deps.pollScheduleMs.length - 1] ?? 60_000;
    const at = Math.max(cur.created + delay, deps.clock.now() + 100);
    await s.attempts.update({ ...cur, poll_count: Math.min(count, deps.pollScheduleMs.length), next_poll_at: at });
  });
}
