/**
 * When no notification arrives: ask Antom. Attempts whose pay got no answer are resent (same
 * paymentRequestId); redirected ones are inquired on a schedule kept as data (config); when the
 * schedule runs out, the attempt is closed at Antom so it can never be paid later.
 * Claimed with SKIP LOCKED, so any number of gateway processes may run this.
 */
import type { CoreDeps } from '../context.js';
import { systemContext } from '../context.js';
import type { PaymentAttemptRecord } from '../model.js';
import type { PaymentOutcome } from '../connector.js';
import { recordReversal } from './reverse.js';
import { applyPaymentOutcome, paidFactsOf } from './apply-outcome.js';
import { payRequestFor } from './confirm.js';
import { CANCEL_RETRY_MS, requestCancel, settleCancel } from './cancel.js';
import { pollClaimed } from '../polls.js';

const OPEN = ['pending', 'redirected', 'processing'];

/**
 * Polls what is due; returns how many attempts were looked at. Once `stopping` says so (the
 * process is shutting down), the claimed attempts not yet polled are handed back, due at once for
 * whichever process polls next, instead of waiting out their lease.
 */
export async function pollDueAttempts(deps: CoreDeps, limit = 20, stopping: () => boolean = () => false): Promise<number> {
  const claimedAt = deps.clock.now();
  const due = await deps.store.tx((s) => s.attempts.claimDue(claimedAt, limit, deps.pollLeaseMs));
  return pollClaimed(deps, claimedAt, due, (rest, now) => deps.store.attempts.releaseClaims(rest, now), async (attempt) => {
    try {
      await pollAttempt(deps, attempt);
    } catch (err) {
      deps.log.error({ err, payment_intent: attempt.payment_intent_id }, 'polling an attempt failed; it will be retried after its lease');
    }
  }, stopping);
}

async function pollAttempt(deps: CoreDeps, claimed: PaymentAttemptRecord): Promise<void> {
  if (claimed.cancel_requested_at !== null) return pollCancel(deps, claimed);
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
    // Written down before asking, like any cancel, so a success arriving meanwhile is held.
    await deps.store.tx(async (s) => {
      const cur = await s.attempts.lock(claimed.id);
      if (cur && OPEN.includes(cur.status)) await requestCancel(s, deps, cur, 'expiry', null);
    });
    await pollCancel(deps, claimed);
    return;
  }
  let outcome = claimed.status === 'pending'
    ? await connector.pay(payRequestFor(deps, claimed))
    : await connector.inquiryPayment(claimed.id);
  // A resend without a usable answer (Antom may hold the first send under another body): ask
  // what Antom has under the id instead.
  if (outcome.status === 'unknown' && claimed.status === 'pending') outcome = await connector.inquiryPayment(claimed.id);
  if (outcome.status !== 'unknown') await applyPaymentOutcome(deps, ctx, claimed.id, outcome, claimed.payment_intent_id);

  await deps.store.tx(async (s) => {
    const cur = await s.attempts.lock(claimed.id);
    if (!cur || !OPEN.includes(cur.status)) return;
    const count = cur.poll_count + 1;
    const delay = deps.pollScheduleMs[count] ?? deps.pollScheduleMs[deps.pollScheduleMs.length - 1] ?? 60_000;
    const at = Math.max(cur.created + delay, deps.clock.now() + 100);
    await s.attempts.update({ ...cur, poll_count: Math.min(count, deps.pollScheduleMs.length), next_poll_at: at });
  });
}

/**
 * A cancel was decided for this attempt but not settled (no answer, or its process died), or Antom
 * holds a payment for an attempt we had closed: ask Antom to cancel, until it answers.
 */
async function pollCancel(deps: CoreDeps, claimed: PaymentAttemptRecord): Promise<void> {
  let settled: boolean;
  if (OPEN.includes(claimed.status)) {
    const r = await settleCancel(deps, claimed.id);
    settled = r.ok;
  } else {
    const connector = deps.connector(claimed.livemode);
    const answer = connector ? await connector.cancel(claimed.id) : { status: 'unknown' as const };
    if (answer.status === 'refused') {
      // Too late to cancel: Antom kept the money for a payment we closed. It goes back by refund.
      const truth = await connector!.inquiryPayment(claimed.id);
      if (truth.status === 'succeeded') await reverseLateSuccess(deps, claimed.id, truth);
      settled = truth.status !== 'unknown';
    } else {
      settled = answer.status === 'canceled';
    }
  }
  await deps.store.tx(async (s) => {
    const cur = await s.attempts.lock(claimed.id);
    if (!cur) return;
    const next_poll_at = settled && !OPEN.includes(cur.status) ? null : deps.clock.now() + CANCEL_RETRY_MS;
    if (cur.next_poll_at !== next_poll_at) await s.attempts.update({ ...cur, next_poll_at });
  });
}

async function reverseLateSuccess(deps: CoreDeps, attemptId: string, truth: Extract<PaymentOutcome, { status: 'succeeded' }>): Promise<void> {
  await deps.store.tx(async (s) => {
    const peek = await s.attempts.get(attemptId);
    const pi = peek && (await s.paymentIntents.lockById(peek.payment_intent_id));
    const a = pi && (await s.attempts.lock(attemptId));
    if (!pi || !a) return;
    const paid = { ...a, ...paidFactsOf(a, truth, deps.clock.now()) };
    await s.attempts.update(paid);
    await recordReversal(s, deps, systemContext({ account_id: pi.account_id, livemode: pi.livemode }), pi, paid, 'refund_needed', truth.settlement);
  });
}
