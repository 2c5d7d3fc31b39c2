/**
 * Brings a PaymentIntent up to date with Antom now, instead of waiting for a notification or the
 * poller: used when the shopper comes back from the wallet, so the merchant's page sees the result.
 * Returns undefined when no attempt has that id. `servedBy`: the id of the shopper's request, for the log.
 */
import { ok, type Result } from '../errors.js';
import type { PaymentIntentRecord } from '../model.js';
import { requestFields, systemContext, type CoreDeps } from '../context.js';
import { applyPaymentOutcome } from './apply-outcome.js';

export async function syncAttempt(deps: CoreDeps, attemptId: string, servedBy?: string): Promise<Result<PaymentIntentRecord> | undefined> {
  const attempt = await deps.store.attempts.get(attemptId);
  const pi = attempt && (await deps.store.paymentIntents.findById(attempt.payment_intent_id));
  if (!attempt || !pi) return undefined;
  const connector = deps.connector(pi.livemode);
  if (!['redirected', 'processing'].includes(attempt.status) || !connector) return ok(pi);
  const ctx = systemContext({ account_id: pi.account_id, livemode: pi.livemode }, servedBy);
  const outcome = await connector.inquiryPayment(attempt.id, requestFields(ctx));
  if (outcome.status === 'unknown') return ok(pi);
  return applyPaymentOutcome(deps, ctx, attempt.id, outcome, pi.id);
}
