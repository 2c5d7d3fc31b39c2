/**
 * The one place balance transactions are written, each in the store transaction of the change that
 * causes it:
 *
 * - a charge that succeeded: its grossSettlementAmount (the quote's conversion), less the fee of the
 *   account's schedule for its method or wallet (`type` charge);
 * - a refund, when it succeeds (not at creation): minus its share of the charge, converted at the
 *   charge's rate cumulatively (amounts.ts), so refunds that add up to the charge add up to exactly
 *   its settled amount. A pending refund holds its amount on the charge but not the balance; a failed
 *   one never touched it, so it needs no reversal (`type` refund);
 * - a dispute that opens (Antom freezes the funds): minus the disputed amount at the charge's rate
 *   (`type` adjustment, category `dispute`); and when the dispute is won (or withdrawn), the same
 *   amount back (category `dispute_reversal`). A lost one stays withdrawn.
 *
 * Every transaction is pending until `available_on` (its creation plus the mode's delay), then the
 * availability job (available.ts) makes it available. Refunds and disputes carry no fees. A source has
 * one transaction per category (a unique rule), so a change applied twice writes once.
 */
import { newId } from '../ids.js';
import { formatAmount } from '../money.js';
import { requestFields, type CoreDeps, type RequestContext } from '../context.js';
import type { SettlementQuote } from '../connector.js';
import type { ChargeRecord, DisputeRecord, RefundRecord } from '../model.js';
import type { StoreTx } from '../store.js';
import { convert, convertShare } from './amounts.js';
import { feeOn, feeRuleFor } from './settings.js';
import type { BalanceTransactionRecord, FeeDetail, ReportingCategory } from './records.js';

type Deps = Pick<CoreDeps, 'clock' | 'balances' | 'log'>;

function base(deps: Deps, c: ChargeRecord, category: ReportingCategory, sourceId: string): Omit<BalanceTransactionRecord, 'amount' | 'currency' | 'exchange_rate' | 'fee' | 'fee_details' | 'net' | 'description'> {
  const now = deps.clock.now();
  return {
    id: newId('balanceTransaction'),
    account_id: c.account_id,
    livemode: c.livemode,
    created: now,
    available_on: now + (c.livemode ? deps.balances.availableAfterMs.live : deps.balances.availableAfterMs.test),
    status: 'pending',
    type: category === 'charge' ? 'charge' : category === 'refund' ? 'refund' : 'adjustment',
    reporting_category: category,
    source_id: sourceId,
    charge_id: c.id,
    payment_intent_id: c.payment_intent_id,
  };
}

/**
 * The charge's transaction, for a charge about to be written as succeeded; returns its id (kept
 * on the charge). Without a quote a payment in another currency than the settlement currency
 * is kept in its own currency (the real Antom sends one; the log says when it did not).
 */
export async function recordChargeBalance(
  s: StoreTx, deps: Deps, ctx: Pick<RequestContext, 'request_id' | 'served_request_id'>, c: ChargeRecord, quote: SettlementQuote | undefined,
): Promise<string> {
  const target = deps.balances.settlementCurrency;
  let amount = c.amount;
  let currency = c.currency;
  let rate: string | null = null;
  if (c.currency !== target && quote?.rate && quote.currency === target) {
    amount = quote.amount;
    currency = target;
    rate = quote.rate;
  } else if (c.currency !== target) {
    deps.log.warn({ ...requestFields(ctx), charge: c.id, currency: c.currency, settlement_currency: target }, 'no settlement quote for a payment in another currency; its balance transaction is in the payment currency');
  }
  const method = String((c.payment_method_details as { type?: unknown }).type ?? '');
  const wallet = (c.payment_method_details[method] as { wallet?: string | null } | undefined)?.wallet ?? null;
  const found = feeRuleFor(deps.balances.fees, method, wallet);
  const fee = found ? feeOn(amount, found.rule) : 0;
  const fee_details: FeeDetail[] = fee > 0
    ? [{ amount: fee, currency, type: 'stripe_fee', description: `Antom processing fees (${found!.key}: ${found!.rule.percent}% + ${formatAmount(found!.rule.fixed, currency)})` }]
    : [];
  const txn: BalanceTransactionRecord = {
    ...base(deps, c, 'charge', c.id), amount, currency, exchange_rate: rate, fee, fee_details, net: amount - fee, description: c.description,
  };
  await s.balanceTransactions.insert(txn);
  return txn.id;
}

/** The charge's own transaction: the currency and rate its refunds and disputes are converted at. */
async function chargeTxn(s: StoreTx, c: ChargeRecord): Promise<BalanceTransactionRecord | undefined> {
  return (await s.balanceTransactions.forSource(c.id)).find((t) => t.reporting_category === 'charge');
}

function atChargeRate(ct: BalanceTransactionRecord, c: ChargeRecord, before: number, amount: number): number {
  return ct.exchange_rate === null ? amount : convertShare(before, amount, c.currency, ct.currency, ct.exchange_rate);
}

/**
 * A refund that is now succeeded, with its charge as it was before the refund was counted; returns
 * the transaction's id (kept on the refund), or null for a charge made before balances existed.
 */
export async function recordRefundBalance(s: StoreTx, deps: Deps, r: RefundRecord, chargeBefore: ChargeRecord): Promise<string | null> {
  const ct = await chargeTxn(s, chargeBefore);
  if (!ct) return null;
  const amount = -atChargeRate(ct, chargeBefore, chargeBefore.amount_refunded, r.amount);
  const txn: BalanceTransactionRecord = {
    ...base(deps, chargeBefore, 'refund', r.id), amount, currency: ct.currency, exchange_rate: ct.exchange_rate, fee: 0, fee_details: [], net: amount,
    description: `REFUND FOR CHARGE (${chargeBefore.description ?? chargeBefore.id})`,
  };
  await s.balanceTransactions.insert(txn);
  return txn.id;
}

/**
 * What a dispute moved so far, brought up to date with its status: the withdrawal once it is a
 * chargeback (not a retrieval request, `warning_*`), the reinstatement once it is won. Safe to call
 * after every change of the dispute.
 */
export async function recordDisputeBalance(s: StoreTx, deps: Deps, d: DisputeRecord, c: ChargeRecord): Promise<void> {
  if (d.status.startsWith('warning_')) return;
  const ct = await chargeTxn(s, c);
  if (!ct) return;
  const done = await s.balanceTransactions.forSource(d.id);
  let withdrawal = done.find((t) => t.reporting_category === 'dispute');
  if (!withdrawal) {
    const amount = -(ct.exchange_rate === null ? d.amount : convert(d.amount, c.currency, ct.currency, ct.exchange_rate));
    withdrawal = {
      ...base(deps, c, 'dispute', d.id), amount, currency: ct.currency, exchange_rate: ct.exchange_rate, fee: 0, fee_details: [], net: amount,
      description: `Chargeback withdrawal for ${c.id}`,
    };
    await s.balanceTransactions.insert(withdrawal);
  }
  if (d.status === 'won' && !done.some((t) => t.reporting_category === 'dispute_reversal')) {
    const amount = -withdrawal.amount;
    await s.balanceTransactions.insert({
      ...base(deps, c, 'dispute_reversal', d.id), amount, currency: ct.currency, exchange_rate: ct.exchange_rate, fee: 0, fee_details: [], net: amount,
      description: `Chargeback reversal for ${c.id}`,
    });
  }
}
