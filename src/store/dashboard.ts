/**
 * The merchant dashboard's read model: the lists, details and totals its pages show, in SQL,
 * scoped to one account in one mode. Writes never happen here: the dashboard changes things only
 * through core's operations, exactly as the API does.
 *
 * Lists use keyset pagination (an opaque cursor naming the last row seen), never OFFSET, and every
 * query here is served by an index (test/store/dashboard-queries.test.ts checks with EXPLAIN).
 */
import type { Queryable } from './db.js';
import type { Scope } from '../core/store.js';
import type {
  ChargeRecord, EventRecord, PaymentAttemptRecord, PaymentIntentRecord, RefundRecord, WebhookAttemptRecord,
  WebhookDeliveryRecord, WebhookEndpointRecord,
} from '../core/model.js';
import type { TpNotificationRecord, TpTransactionRecord } from '../core/settlement/records.js';

/** Which front door made a payment. */
export type PaymentSource = 'api' | 'checkout' | 'trust_payments';

/** One line of the payments list: a PaymentIntent, with what its Trust Payments AUTH adds when it has one. */
export interface PaymentRow {
  id: string;
  created: number;
  amount: number;
  currency: string;
  status: PaymentIntentRecord['status'];
  amount_received: number;
  /** Succeeded refunds (the charge's amount_refunded). */
  amount_refunded: number;
  /** 'alipay' | 'alipayplus' as confirmed (the payment method's type), else null. */
  method: string | null;
  /** The wallet the shopper paid with or was sent to (attempt's upstream method, e.g. 'GCASH', 'ALIPAY_CN'), else null. */
  wallet: string | null;
  description: string | null;
  metadata: Record<string, string>;
  source: PaymentSource;
  /** The Trust Payments AUTH's transactionreference and orderreference, when it came through that door. */
  tp_reference: string | null;
  order_reference: string | null;
  /** The last failure's message (last_payment_error), for failed and retried payments. */
  failure_message: string | null;
}

export interface PaymentFilter {
  status?: PaymentIntentRecord['status'];
  /** 'alipay' | 'alipayplus'. */
  method?: string;
  /** Lower-case ISO code. */
  currency?: string;
  /** Created at or after (ms). */
  from?: number;
  /** Created before (ms). */
  to?: number;
  /** An id (pi_, ch_, re_, a TP transactionreference), an order reference, or a metadata value: exact match. */
  search?: string;
}

export interface PageRequest {
  limit: number;
  /** Rows older than this cursor (the next page). */
  after?: string;
  /** Rows newer than this cursor (the previous page). */
  before?: string;
}

export interface KeysetPage<T> {
  rows: T[];
  /** Cursor for the next (older) page, or null at the end. */
  next: string | null;
  /** Cursor for the previous (newer) page, or null at the start. */
  prev: string | null;
}

export interface NotificationRow {
  id: number;
  received: number;
  path: string;
  verdict: 'applied' | 'duplicate' | 'refused';
  reason: string | null;
  /** The notify type from the body (notifyPayment / notifyRefund …), or null when unreadable. */
  notify_type: string | null;
  result_code: string | null;
}

export interface DeliveryWithAttempts extends WebhookDeliveryRecord {
  endpoint_url: string;
  attempt_log: WebhookAttemptRecord[];
}

export interface PaymentDetail {
  payment: PaymentRow;
  intent: PaymentIntentRecord;
  charge: ChargeRecord | null;
  refunds: RefundRecord[];
  /** Requests to Antom's pay, oldest first (each is one paymentRequestId). */
  attempts: PaymentAttemptRecord[];
  /** Notifications from Antom about this payment's attempts and refunds, oldest first. */
  notifications: NotificationRow[];
  /** Events about the payment, its charge and its refunds, in the order they were committed. */
  events: (EventRecord & { deliveries: DeliveryWithAttempts[] })[];
  /** Its Trust Payments AUTH and REFUND rows, and their URL notifications. */
  tp: { transactions: TpTransactionRecord[]; notifications: TpNotificationRecord[] };
  checkout_session_id: string | null;
}

export interface RefundRow extends RefundRecord {
  payment_description: string | null;
  payment_metadata: Record<string, string>;
  payment_amount: number;
  order_reference: string | null;
}

export interface RefundFilter {
  status?: RefundRecord['status'];
  currency?: string;
  from?: number;
  to?: number;
}

export interface CurrencyTotal {
  currency: string;
  count: number;
  amount: number;
}

/** One day (UTC) of one currency in the overview. */
export interface DayTotals {
  /** YYYY-MM-DD, UTC. */
  day: string;
  currency: string;
  succeeded_count: number;
  succeeded_amount: number;
  failed_count: number;
  refunded_count: number;
  refunded_amount: number;
}

export interface EndpointStats {
  endpoint: WebhookEndpointRecord;
  /** Deliveries created since `since`, by outcome. */
  succeeded: number;
  failed: number;
  pending: number;
  /** Attempts since `since` and how many got a 2xx (the success rate is their ratio). */
  attempts: number;
  attempts_ok: number;
  last_attempt_at: number | null;
}

export interface EventFilter {
  type?: string;
  /** An object id the event is about. */
  object?: string;
  from?: number;
  to?: number;
}

export interface DashboardQueries {
  payments(scope: Scope, filter: PaymentFilter, page: PageRequest): Promise<KeysetPage<PaymentRow>>;
  payment(scope: Scope, id: string): Promise<PaymentDetail | undefined>;
  refunds(scope: Scope, filter: RefundFilter, page: PageRequest): Promise<KeysetPage<RefundRow>>;
  /** Succeeded refunds per currency (count and amount) matching the filter, and pending ones apart. */
  refundTotals(scope: Scope, filter: RefundFilter): Promise<{ succeeded: CurrencyTotal[]; pending: CurrencyTotal[] }>;
  /** The last `days` days up to `now`, UTC days, only days and currencies with something in them. */
  overview(scope: Scope, now: number, days: number): Promise<DayTotals[]>;
  endpoints(scope: Scope, since: number): Promise<EndpointStats[]>;
  /** An endpoint's deliveries, newest first, each with its attempts. */
  deliveries(scope: Scope, endpointId: string, page: PageRequest): Promise<KeysetPage<DeliveryWithAttempts & { event_type: string }>>;
  events(scope: Scope, filter: EventFilter, page: PageRequest): Promise<KeysetPage<EventRecord>>;
  /** The event types this account has recorded (for the filter's choices). */
  eventTypes(scope: Scope): Promise<string[]>;
  /** The currencies this account has payments in (for the filter's choices). */
  currencies(scope: Scope): Promise<string[]>;
}

export function dashboardQueries(q: Queryable): DashboardQueries {
  void q;
  const missing = async (): Promise<never> => {
    throw new Error('dashboardQueries: not written yet');
  };
  return {
    payments: missing, payment: missing, refunds: missing, refundTotals: missing, overview: missing, endpoints: missing,
    deliveries: missing, events: missing, eventTypes: missing, currencies: missing,
  };
}
