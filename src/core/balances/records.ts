/** A balance transaction (`txn_…`): one change of the account's balance in its settlement currency. */
export type BalanceTransactionType = 'charge' | 'refund' | 'adjustment';
/** Stripe's reporting categories for what we write: a charge, a refund, a dispute's withdrawal and its reversal. */
export type ReportingCategory = 'charge' | 'refund' | 'dispute' | 'dispute_reversal';

export interface FeeDetail {
  amount: number;
  currency: string;
  type: string;
  description: string;
}

export interface BalanceTransactionRecord {
  id: string;
  account_id: string;
  livemode: boolean;
  created: number;
  /** When the funds become available (ms); `status` is pending until the availability job passes it. */
  available_on: number;
  status: 'pending' | 'available';
  type: BalanceTransactionType;
  reporting_category: ReportingCategory;
  source_id: string;
  charge_id: string;
  payment_intent_id: string;
  /** Settlement currency, minor units; negative for money leaving the balance. */
  amount: number;
  currency: string;
  /** The quote's rate (units of `currency` per unit of the payment's currency), as Antom wrote it; null when no conversion. */
  exchange_rate: string | null;
  fee: number;
  fee_details: FeeDetail[];
  net: number;
  description: string | null;
}

/** One line of the balance: the sum of `net` of one currency and status. */
export interface BalanceTotal {
  currency: string;
  status: 'pending' | 'available';
  amount: number;
}

/** A balance transaction with its payment's merchant references, for the settlement report. */
export interface SettlementReportRow extends BalanceTransactionRecord {
  payment_currency: string;
  payment_amount: number;
  payment_description: string | null;
  payment_metadata: Record<string, string>;
}

/** Stripe's `balance_transaction`: what the API answers and what a dispute's events carry. */
export function balanceTransactionPublic(t: BalanceTransactionRecord) {
  return {
    id: t.id,
    object: 'balance_transaction' as const,
    amount: t.amount,
    available_on: t.available_on,
    created: t.created,
    currency: t.currency,
    description: t.description,
    exchange_rate: t.exchange_rate === null ? null : Number(t.exchange_rate),
    fee: t.fee,
    fee_details: t.fee_details.map((f) => ({ amount: f.amount, application: null, currency: f.currency, description: f.description, type: f.type })),
    net: t.net,
    reporting_category: t.reporting_category,
    source: t.source_id as string | Record<string, unknown>,
    status: t.status,
    type: t.type,
  };
}
