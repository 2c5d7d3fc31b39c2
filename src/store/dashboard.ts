/**
 * The merchant dashboard's read model: the lists, details and totals its pages show, in SQL,
 * scoped to one account in one mode. Writes never happen here: the dashboard changes things only
 * through core's operations, exactly as the API does.
 *
 * Lists use keyset pagination (an opaque cursor naming the last row seen), never OFFSET, and every
 * query here is served by an index (test/store/dashboard-queries.test.ts checks with EXPLAIN).
 */
import type { Queryable, Row } from './db.js';
import { EVENTS, fromRow, WEBHOOK_DELIVERIES, WEBHOOK_ENDPOINTS } from './repos.js';
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
  const missing = async (): Promise<never> => {
    throw new Error('dashboardQueries: not written yet');
  };
  return {
    payments: missing, payment: missing, refunds: missing, refundTotals: missing, overview: missing, currencies: missing,
    ...tempWebhookQueries(q),
  };
}

// TEMP read-model methods for the webhooks/developers pages, until the read model's own land.

type SeqRow = Row & { seq: number | string };

/** One keyset page over `seq`, newest first; cursors are the seq of the edge rows. */
async function seqPage(q: Queryable, from: string, where: string[], params: unknown[], page: PageRequest): Promise<{ rows: SeqRow[]; next: string | null; prev: string | null }> {
  const cursor = page.after ?? page.before;
  const backwards = page.after === undefined && page.before !== undefined;
  const w = [...where];
  const p = [...params];
  if (cursor !== undefined && /^\d{1,19}$/.test(cursor)) {
    p.push(cursor);
    w.push(`seq ${backwards ? '>' : '<'} $${p.length}`);
  }
  p.push(page.limit + 1);
  const got = await q.query<SeqRow>(`SELECT * FROM ${from} WHERE ${w.join(' AND ')} ORDER BY seq ${backwards ? 'ASC' : 'DESC'} LIMIT $${p.length}`, p);
  const more = got.length > page.limit;
  const rows = got.slice(0, page.limit);
  if (backwards) rows.reverse();
  const first = rows[0];
  const last = rows.at(-1);
  const paged = cursor !== undefined;
  return {
    rows,
    next: last && (backwards ? paged : more) ? String(last.seq) : null,
    prev: first && (backwards ? more : paged) ? String(first.seq) : null,
  };
}

function tempWebhookQueries(q: Queryable): Pick<DashboardQueries, 'endpoints' | 'deliveries' | 'events' | 'eventTypes'> {
  return {
    async endpoints(scope, since) {
      const rows = await q.query(
        `SELECT e.*, d.succeeded, d.failed, d.pending, a.attempts, a.attempts_ok, a.last_attempt_at
           FROM webhook_endpoints e
           CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE status = 'succeeded') AS succeeded, count(*) FILTER (WHERE status = 'failed') AS failed,
                                      count(*) FILTER (WHERE status = 'pending') AS pending
                                 FROM webhook_deliveries WHERE endpoint_id = e.id AND created >= $3) d
           CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE wa.started >= $3) AS attempts,
                                      count(*) FILTER (WHERE wa.started >= $3 AND wa.http_status BETWEEN 200 AND 299) AS attempts_ok,
                                      max(wa.started) AS last_attempt_at
                                 FROM webhook_deliveries wd JOIN webhook_attempts wa ON wa.delivery_id = wd.id WHERE wd.endpoint_id = e.id) a
          WHERE e.account_id = $1 AND e.livemode = $2 AND e.deleted = false
          ORDER BY e.seq DESC`,
        [scope.account_id, scope.livemode, since],
      );
      return rows.map((r) => ({
        endpoint: fromRow(WEBHOOK_ENDPOINTS, r),
        succeeded: Number(r.succeeded), failed: Number(r.failed), pending: Number(r.pending),
        attempts: Number(r.attempts), attempts_ok: Number(r.attempts_ok),
        last_attempt_at: r.last_attempt_at === null ? null : Number(r.last_attempt_at),
      }));
    },

    async deliveries(scope, endpointId, page) {
      const got = await seqPage(q, 'webhook_deliveries', ['endpoint_id = $1', 'account_id = $2', 'livemode = $3'], [endpointId, scope.account_id, scope.livemode], page);
      const deliveries = got.rows.map((r) => fromRow(WEBHOOK_DELIVERIES, r));
      const ids = deliveries.map((d) => d.id);
      const [attempts, events, endpoints] = ids.length === 0 ? [[], [], []] : await Promise.all([
        q.query(`SELECT delivery_id, attempt, started, latency_ms, http_status, error, response_excerpt FROM webhook_attempts WHERE delivery_id = ANY($1::text[]) ORDER BY attempt`, [ids]),
        q.query<{ id: string; type: string }>('SELECT id, type FROM events WHERE id = ANY($1::text[])', [[...new Set(deliveries.map((d) => d.event_id))]]),
        q.query<{ id: string; url: string }>('SELECT id, url FROM webhook_endpoints WHERE id = $1', [endpointId]),
      ]);
      const typeOf = new Map(events.map((e) => [e.id, e.type]));
      const url = endpoints[0]?.url ?? '';
      return {
        rows: deliveries.map((d) => ({
          ...d, endpoint_url: url, event_type: typeOf.get(d.event_id) ?? '',
          attempt_log: (attempts as unknown as WebhookAttemptRecord[]).filter((a) => a.delivery_id === d.id),
        })),
        next: got.next, prev: got.prev,
      };
    },

    async events(scope, filter, page) {
      const where = ['account_id = $1', 'livemode = $2'];
      const params: unknown[] = [scope.account_id, scope.livemode];
      const add = (sql: string, v: unknown) => {
        params.push(v);
        where.push(sql.replace('?', `$${params.length}`));
      };
      if (filter.type) add('type = ?', filter.type);
      if (filter.object) add('object_id = ?', filter.object);
      if (filter.from !== undefined) add('created >= ?', filter.from);
      if (filter.to !== undefined) add('created < ?', filter.to);
      const got = await seqPage(q, 'events', where, params, page);
      return { rows: got.rows.map((r) => fromRow(EVENTS, r)), next: got.next, prev: got.prev };
    },

    async eventTypes(scope) {
      const rows = await q.query<{ type: string }>('SELECT DISTINCT type FROM events WHERE account_id = $1 AND livemode = $2 ORDER BY type', [scope.account_id, scope.livemode]);
      return rows.map((r) => r.type);
    },
  };
}
