/**
 * Brings a PaymentIntent up to date with Antom now, instead of waiting for a notification or the
 * poller: used when the shopper comes back from the wallet, so the merchant's page sees the result.
 */
import { ok, type Result } from '../errors.js';
import type { PaymentIntentRecord } from '../model.js';
import { systemContext, type CoreDeps } from '../context.js';
import { applyPaymentOutcome } from './apply-outcome.js';

export async function syncPaymentIntent(deps: CoreDeps, pi: PaymentIntentRecord): Promise<Result<PaymentIntentRecord>> {
  const attempt = await deps.store.attempts.open(pi.id);
  const connector = deps.connector(pi.livemode);
  if (!attempt || attempt.status === 'pending' || !connector) return ok(pi);
  const outcome = await connector.inquiryPayment(attempt.id);
  if (outcome.status === 'unknown') return ok(pi);
  return applyPaymentOutcome(deps, systemContext({ account_id: pi.account_id, livemode: pi.livemode }), attempt.id, outcome);
}
