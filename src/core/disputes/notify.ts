/**
 * notifyDispute, verified by the connector, checked against the payment it names and applied once,
 * in the transaction that keeps it (acceptOnce, core/notifications.ts). The charge row is locked
 * first, so notifications about one charge (a retried DISPUTE_CREATED racing the DISPUTE_JUDGED
 * after it) are applied one at a time.
 * Order does not matter: a judgement for a dispute we never heard of opens it first, and a late
 * DISPUTE_CREATED for a closed dispute changes nothing.
 */
import type { DisputeNotification } from '../connector.js';
import type { NotificationCheck } from '../notifications.js';
import { recordEvent, systemContext, type CoreDeps } from '../context.js';
import { newId } from '../ids.js';
import { formatAmount } from '../money.js';
import { disputePublic, type DisputeRecord } from '../model.js';
import type { StoreTx } from '../store.js';
import { disputeReason } from './reason.js';
import { disputeWithBalance } from './read.js';
import { recordDisputeBalance } from '../balances/record.js';
import { disputeTransitionEvents, messageTransition, nextDisputeStatus, openingTransition, type DisputeTransition } from './states.js';

const refuse = (reason: string): NotificationCheck => ({ ok: false, reason });

export async function checkDisputeNotification(s: StoreTx, deps: CoreDeps, n: DisputeNotification, livemode: boolean, servedBy: string): Promise<NotificationCheck> {
  const attempt = await s.attempts.get(n.paymentRequestId);
  if (!attempt || attempt.livemode !== livemode) return refuse(`no payment with paymentRequestId ${n.paymentRequestId}`);
  if (attempt.upstream_payment_id && n.paymentId && n.paymentId !== attempt.upstream_payment_id) {
    return refuse(`paymentId ${n.paymentId} is not the payment ${attempt.upstream_payment_id} of ${attempt.id}`);
  }
  const peek = await s.charges.byAttempt(attempt.id);
  const charge = peek && (await s.charges.lockById(peek.id));
  if (!charge || charge.status !== 'succeeded') return refuse(`the payment ${attempt.id} has no successful charge to dispute`);
  if (n.amount.currency !== charge.currency || n.amount.amount <= 0 || n.amount.amount > charge.amount) {
    return refuse(`dispute amount ${n.amount.currency} ${n.amount.amount} does not fit the charge of ${formatAmount(charge.amount, charge.currency)}`);
  }
  let dispute = await s.disputes.lockByUpstreamId(livemode, n.disputeId);
  if (dispute && dispute.charge_id !== charge.id) return refuse(`disputeId ${n.disputeId} belongs to another payment`);
  if (dispute && (dispute.amount !== n.amount.amount || dispute.currency !== n.amount.currency)) {
    return refuse(`dispute amount ${n.amount.currency} ${n.amount.amount} differs from the ${dispute.currency} ${dispute.amount} of ${dispute.id}`);
  }
  const ctx = systemContext({ account_id: charge.account_id, livemode: charge.livemode }, servedBy);
  const now = deps.clock.now();
  let changed = false;
  if (!dispute) {
    const opening = openingTransition(n);
    dispute = {
      id: newId('dispute'),
      account_id: charge.account_id,
      livemode: charge.livemode,
      created: now,
      updated: now,
      payment_intent_id: charge.payment_intent_id,
      charge_id: charge.id,
      amount: n.amount.amount,
      currency: n.amount.currency,
      reason: disputeReason(n.reasonMessage),
      reason_message: n.reasonMessage ?? null,
      status: nextDisputeStatus('new', opening)!,
      due_by: n.defenseDueAt ?? null,
      metadata: {},
      evidence: {},
      submission_count: 0,
      upstream_dispute_id: n.disputeId,
      judged_result: null,
      closed_at: null,
    };
    await s.disputes.insert(dispute);
    if (!charge.disputed) await s.charges.update({ ...charge, disputed: true, updated: now });
    await recordDisputeBalance(s, deps, dispute, charge);
    await recordAll(s, deps, ctx, opening, dispute, now);
    changed = true;
  }
  const name = messageTransition(n, dispute.status);
  const to = name ? nextDisputeStatus(dispute.status, name) : undefined;
  if (name && to) {
    const before = dispute;
    const closing = to === 'won' || to === 'lost' || to === 'warning_closed';
    dispute = {
      ...dispute, status: to, updated: now,
      // An escalated retrieval request is a chargeback with a defence window of its own.
      due_by: n.defenseDueAt ?? dispute.due_by,
      ...(n.judgedResult ? { judged_result: n.judgedResult } : {}),
      ...(closing ? { closed_at: n.judgedAt ?? now } : {}),
    };
    await s.disputes.update(dispute);
    // The balance first, so that the events carry what this change withdrew or reinstated.
    await recordDisputeBalance(s, deps, dispute, charge);
    const previous = before.due_by === dispute.due_by ? { status: before.status } : { status: before.status, evidence_details: disputePublic(before, now).evidence_details };
    await recordAll(s, deps, ctx, name, dispute, now, previous);
    changed = true;
  }
  // DEFENSE_DUE_ALERT changes nothing, but it is news, not a repeat: kept as applied.
  return { ok: true, verdict: changed || n.type === 'DEFENSE_DUE_ALERT' ? 'applied' : 'duplicate', object: dispute.id };
}

async function recordAll(
  s: StoreTx, deps: CoreDeps, ctx: ReturnType<typeof systemContext>, name: DisputeTransition, d: DisputeRecord, now: number,
  previous?: Record<string, unknown>,
): Promise<void> {
  for (const type of disputeTransitionEvents(name)) {
    const withPrevious = type === 'charge.dispute.closed' || type === 'charge.dispute.updated';
    await recordEvent(s, deps, ctx, type, await disputeWithBalance(s, d, now), withPrevious ? previous : undefined);
  }
}
