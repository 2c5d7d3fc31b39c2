/**
 * What the Trust Payments front door shows of a payment (seed 004): a transaction with a
 * `settlestatus`. Underneath, an AUTH is a PaymentIntent and a REFUND is a refund; this record
 * adds only what Trust Payments' merchants see and core does not otherwise keep: the site, the
 * dash-separated reference, the order reference and where settlement stands.
 */

/**
 * settlestatus values (specs/trustpayments.md §5). An Alipay AUTH starts at 10 and stays there
 * while the shopper pays and the wallet authorises; settlement moves it to 100. A declined,
 * failed or cancelled AUTH is 3; 2 is suspended (the merchant holds it back from settlement); 0
 * and 1 are "pending settlement" as set by a TRANSACTIONUPDATE that lifts a suspension.
 */
export const SETTLE = {
  pending: 0,
  pendingManual: 1,
  suspended: 2,
  cancelled: 3,
  inProgress: 10,
  settled: 100,
} as const;
export type SettleStatus = (typeof SETTLE)[keyof typeof SETTLE];

/** A Trust Payments site: the merchant's account for one shop, in one mode. */
export interface TpSiteRecord {
  site_reference: string;
  account_id: string;
  livemode: boolean;
  number: number;
  merchant_name: string;
  partner_id: string;
  notification_password: string | null;
  created: number;
}

export type NotificationTrigger = 'authorisation' | 'settlement' | 'refund';

export interface TpNotificationRuleRecord {
  id: string;
  site_reference: string;
  trigger: NotificationTrigger;
  url: string;
  /** The fields the notification carries; notificationreference is always added. */
  fields: string[];
  created: number;
  deleted: number | null;
}

export interface TpTransactionRecord {
  reference: string;
  account_id: string;
  livemode: boolean;
  site_reference: string;
  request_type: 'AUTH' | 'REFUND';
  payment_intent_id: string;
  refund_id: string | null;
  parent_reference: string | null;
  order_reference: string | null;
  base_amount: number;
  currency: string;
  settle_status: SettleStatus;
  /** YYYY-MM-DD. */
  settle_due_date: string;
  /** The transaction's own errorcode: "0", or "70000" for a decline. */
  error_code: string;
  operator_name: string | null;
  application_type: string | null;
  return_url: string | null;
  /** Request fields kept to echo back (billing names, country, customfields). */
  fields: Record<string, string>;
  /** When the wallet authorised the payment (the PaymentIntent succeeded). */
  authorised_at: number | null;
  settled_at: number | null;
  /** Set when the AUTH was still pending settlement after 7 days: someone must look at it. */
  investigate_at: number | null;
  created: number;
  updated: number;
}

export interface TpNotificationRecord {
  id: string;
  account_id: string;
  livemode: boolean;
  site_reference: string;
  rule_id: string;
  transaction_reference: string;
  notification_reference: string;
  url: string;
  body: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  next_attempt_at: number | null;
  last_attempt_at: number | null;
  last_status: number | null;
  created: number;
  completed_at: number | null;
}

/** What a Trust Payments request adds to the context of the core operation it becomes. */
export interface WebservicesOrigin {
  site_reference: string;
  operator_name: string;
  order_reference?: string;
  application_type?: string;
  return_url?: string;
  fields?: Record<string, string>;
}

/** Filters of TRANSACTIONQUERY / TRANSACTIONUPDATE, values within one field OR-ed. */
export interface TransactionFilter {
  site_references: string[];
  references?: string[];
  order_references?: string[];
  /** Milliseconds, inclusive. */
  start?: number;
  end?: number;
  parent_references?: string[];
  request_types?: ('AUTH' | 'REFUND')[];
  settle_statuses?: number[];
}

export interface TpRepo {
  site(siteReference: string): Promise<TpSiteRecord | undefined>;
  rules(siteReference: string, trigger: NotificationTrigger): Promise<TpNotificationRuleRecord[]>;
  /** The next number of the transaction sequence (the last part of a transactionreference). */
  nextNumber(): Promise<number>;
  insert(t: TpTransactionRecord): Promise<void>;
  update(t: TpTransactionRecord): Promise<void>;
  get(reference: string): Promise<TpTransactionRecord | undefined>;
  lock(reference: string): Promise<TpTransactionRecord | undefined>;
  /** The AUTH of a PaymentIntent, locked. */
  lockAuthOf(paymentIntentId: string): Promise<TpTransactionRecord | undefined>;
  authOf(paymentIntentId: string): Promise<TpTransactionRecord | undefined>;
  lockByRefund(refundId: string): Promise<TpTransactionRecord | undefined>;
  byRefund(refundId: string): Promise<TpTransactionRecord | undefined>;
  /** Oldest first, at most `limit`. */
  find(accountId: string, livemode: boolean, f: TransactionFilter, limit: number): Promise<TpTransactionRecord[]>;
  /** Authorised AUTHs of one mode due to settle (authorised before `before`), locked, SKIP LOCKED. */
  claimDueToSettle(livemode: boolean, before: number, limit: number): Promise<TpTransactionRecord[]>;
  /** AUTHs still at settlestatus 10 created before `before` and not yet flagged, locked, SKIP LOCKED. */
  claimOverdue(before: number, limit: number): Promise<TpTransactionRecord[]>;
  enqueueNotification(n: TpNotificationRecord): Promise<void>;
}
