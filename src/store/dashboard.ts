/**
 * The merchant dashboard's read model: the lists, details and totals its pages show, in SQL,
 * scoped to one account in one mode. Writes never happen here: the dashboard changes things only
 * through core's operations, exactly as the API does.
 *
 * Lists use keyset pagination (an opaque cursor naming the last row seen), never OFFSET, and every
 * query here is served by an index (test/store/dashboard-queries.test.ts checks with EXPLAIN).
 */
import type { Queryable, Row } from './db.js';
import { CHARGES, DISPUTES, EVENTS, fromRow, PAYMENT_ATTEMPTS, PAYMENT_INTENTS, REFUNDS, WEBHOOK_DELIVERIES, WEBHOOK_ENDPOINTS } from './repos.js';
import { TP_NOTIFICATIONS, TP_TRANSACTIONS } from './tp-repos.js';
import { BALANCE_TRANSACTIONS } from './balances.js';
import type { Scope } from '../core/store.js';
import type { BalanceTransactionRecord, BalanceTransactionType } from '../core/balances/records.js';
import type {
  ChargeRecord, DisputeRecord, DisputeStatus, EventRecord, PaymentAttemptRecord, PaymentIntentRecord, RefundRecord, WebhookAttemptRecord,
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
  /** ISO code, either case (stored upper-case, as core keeps it). */
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
  /** Disputes of its charge, oldest first. */
  disputes: DisputeRecord[];
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

/** One line of the disputes list: the dispute, with what the merchant knows its payment by. */
export interface DisputeRow extends DisputeRecord {
  payment_description: string | null;
  payment_amount: number;
  order_reference: string | null;
}

export interface DisputeFilter {
  status?: DisputeStatus;
}

/** A dispute's page: the dispute, its payment's line, and the events about it in commit order. */
export interface DisputeDetail {
  dispute: DisputeRow;
  events: EventRecord[];
}

/** One line of the balance page: a balance transaction, with what the merchant knows its payment by. */
export interface BalanceRow extends BalanceTransactionRecord {
  payment_description: string | null;
}

export interface BalanceFilter {
  type?: BalanceTransactionType;
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
  disputes(scope: Scope, filter: DisputeFilter, page: PageRequest): Promise<KeysetPage<DisputeRow>>;
  /** Disputes awaiting the merchant's answer (needs_response, warning_needs_response), soonest due first. */
  disputesAwaiting(scope: Scope, limit: number): Promise<DisputeRow[]>;
  dispute(scope: Scope, id: string): Promise<DisputeDetail | undefined>;
  /** Balance transactions, newest first. */
  balanceTransactions(scope: Scope, filter: BalanceFilter, page: PageRequest): Promise<KeysetPage<BalanceRow>>;
  endpoints(scope: Scope, since: number): Promise<EndpointStats[]>;
  /** An endpoint's deliveries, newest first, each with its attempts. */
  deliveries(scope: Scope, endpointId: string, page: PageRequest): Promise<KeysetPage<DeliveryWithAttempts & { event_type: string }>>;
  events(scope: Scope, filter: EventFilter, page: PageRequest): Promise<KeysetPage<EventRecord>>;
  /** The event types this account has recorded (for the filter's choices). */
  eventTypes(scope: Scope): Promise<string[]>;
  /** The currencies this account has payments in (for the filter's choices). */
  currencies(scope: Scope): Promise<string[]>;
}


const DAY_MS = 86_400_000;
/** The most rows one page may ask for: a page is rendered whole. */
const MAX_LIMIT = 1000;

/** Where a row stands in a newest-first list: (created, seq) is unique, since seq is. */
interface Position {
  created: number;
  seq: number;
}

export function encodeCursor(p: Position): string {
  return Buffer.from(`${p.created}.${p.seq}`, 'utf8').toString('base64url');
}

/** A cursor made by {@link encodeCursor}, or undefined for anything else: a mangled link shows the first page rather than an error. */
export function decodeCursor(cursor: string | undefined): Position | undefined {
  if (!cursor) return undefined;
  const m = /^(\d{1,16})\.(\d{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) return undefined;
  const created = Number(m[1]);
  const seq = Number(m[2]);
  return Number.isSafeInteger(created) && Number.isSafeInteger(seq) ? { created, seq } : undefined;
}

/** Conditions joined by AND, on numbered parameters. Immutable, so a base can be extended twice. */
interface Where {
  conds: string[];
  params: unknown[];
}

/** Adds a condition; each `?` in it takes the next of `values`. */
function and(w: Where, sql: string, ...values: unknown[]): Where {
  const params = [...w.params];
  let i = 0;
  const text = sql.replace(/\?/g, () => {
    params.push(values[i++]);
    return `$${params.length}`;
  });
  return { conds: [...w.conds, text], params };
}

function scoped(alias: string, s: Scope): Where {
  return and(and({ conds: [], params: [] }, `${alias}.account_id = ?`, s.account_id), `${alias}.livemode = ?`, s.livemode);
}

function createdBetween(w: Where, alias: string, from: number | undefined, to: number | undefined): Where {
  let out = w;
  if (from !== undefined) out = and(out, `${alias}.created >= ?`, from);
  if (to !== undefined) out = and(out, `${alias}.created < ?`, to);
  return out;
}

type Keyed = Row & { created: number; seq: number };
type Direction = 'ASC' | 'DESC';
/** Up to `limit` rows matching `w`, ordered by (created, seq) in `dir`. */
type Fetch<R extends Keyed> = (w: Where, dir: Direction, limit: number) => Promise<R[]>;

/**
 * One keyset page, newest first. `before` reads the rows just newer than the cursor in ascending
 * order (so the index serves it) and turns them round. Whether a newer or older row exists is asked
 * of the index with a one-row read rather than guessed from the cursor, so `prev` is null exactly
 * at the start and `next` exactly at the end, whatever filter the cursor is used with.
 */
async function keyset<R extends Keyed, T>(base: Where, alias: string, page: PageRequest, fetch: Fetch<R>, map: (r: R) => T): Promise<KeysetPage<T>> {
  const limit = Math.min(Math.max(Math.trunc(page.limit) || 1, 1), MAX_LIMIT);
  const key = `(${alias}.created, ${alias}.seq)`;
  const older = (p: Position) => and(base, `${key} < (?, ?)`, p.created, p.seq);
  const newer = (p: Position) => and(base, `${key} > (?, ?)`, p.created, p.seq);
  const exists = async (w: Where, dir: Direction) => (await fetch(w, dir, 1)).length > 0;
  const after = decodeCursor(page.after);
  const before = after ? undefined : decodeCursor(page.before);
  let rows: R[];
  let hasOlder: boolean;
  let hasNewer: boolean;
  let first: Position | undefined;
  if (before) {
    const got = await fetch(newer(before), 'ASC', limit + 1);
    // Nothing is newer than the cursor: the reader is back at the start.
    if (got.length === 0) return keyset(base, alias, { limit }, fetch, map);
    hasNewer = got.length > limit;
    rows = got.slice(0, limit).reverse();
    hasOlder = await exists(older(rows[rows.length - 1]!), 'DESC');
    first = rows[0];
  } else {
    const got = await fetch(after ? older(after) : base, 'DESC', limit + 1);
    hasOlder = got.length > limit;
    rows = got.slice(0, limit);
    // From an empty page past `after` (its rows were deleted: a reset), back leads to the page
    // whose oldest row is the one the cursor names, hence a position just older than that row.
    first = rows[0] ?? (after && { created: after.created, seq: after.seq - 1 });
    hasNewer = after !== undefined && first !== undefined && (await exists(newer(first), 'ASC'));
  }
  const last = rows[rows.length - 1];
  return {
    rows: rows.map(map),
    next: hasOlder && last ? encodeCursor(last) : null,
    prev: hasNewer && first ? encodeCursor(first) : null,
  };
}

const sqlWhere = (w: Where) => w.conds.join(' AND ');

// ---------------------------------------------------------------------------------------------
// Payments

/** A payments-list row as the query returns it: the row before `source` is decided, with its keyset position. */
interface PaymentRowDb extends Row, Omit<PaymentRow, 'source'> {
  seq: number;
  checkout_session_id: string | null;
}

/**
 * The payments list's row around `inner`, a query of payment_intents aliased `p` that already
 * filters, orders and limits: the joins run for the page's rows only. The wallet is the one the
 * latest attempt was paid with (Antom names it once paid), else the one the shopper was sent to
 * (the attempt's upstream method: ALIPAY_CN, a wallet picked on the hosted page, or CONNECT_WALLET).
 */
function paymentRowSql(inner: string, dir: Direction): string {
  return `
    SELECT pi.id, pi.created, pi.seq, pi.amount, pi.currency, pi.status, pi.amount_received, pi.description, pi.metadata,
           pi.checkout_session_id, pi.last_payment_error->>'message' AS failure_message,
           coalesce(ch.amount_refunded, 0) AS amount_refunded, pm.type AS method, la.wallet,
           tp.reference AS tp_reference, tp.order_reference
      FROM (${inner}) pi
      LEFT JOIN payment_methods pm ON pm.id = pi.payment_method_id
      LEFT JOIN charges ch ON ch.id = pi.latest_charge_id
      LEFT JOIN tp_transactions tp ON tp.payment_intent_id = pi.id AND tp.request_type = 'AUTH'
      LEFT JOIN LATERAL (SELECT coalesce(a.wallet, a.upstream_method) AS wallet FROM payment_attempts a
                          WHERE a.payment_intent_id = pi.id ORDER BY a.created DESC, a.id DESC LIMIT 1) la ON true
     ORDER BY pi.created ${dir}, pi.seq ${dir}`;
}

function toPaymentRow(r: PaymentRowDb): PaymentRow {
  return {
    id: r.id,
    created: r.created,
    amount: r.amount,
    currency: r.currency,
    status: r.status,
    amount_received: r.amount_received,
    amount_refunded: r.amount_refunded,
    method: r.method,
    wallet: r.wallet,
    description: r.description,
    metadata: r.metadata,
    source: r.tp_reference !== null ? 'trust_payments' : r.checkout_session_id !== null ? 'checkout' : 'api',
    tp_reference: r.tp_reference,
    order_reference: r.order_reference,
    failure_message: r.failure_message,
  };
}

/**
 * Exact search: the ids that name a payment (its own, a charge's, a refund's, a Trust Payments
 * transactionreference or orderreference) each through its table's unique or plain index, OR a
 * metadata value through the GIN index on metadata_values(metadata) (migration 0010). The ids are
 * gathered into one array first so that the OR is two index scans combined (a BitmapOr), not a
 * semi-join the planner could only evaluate row by row.
 */
function searchCondition(w: Where, term: string): Where {
  return and(w, `(p.id = ANY(ARRAY(
      SELECT ?::text
      UNION ALL SELECT payment_intent_id FROM charges WHERE id = ?
      UNION ALL SELECT payment_intent_id FROM refunds WHERE id = ?
      UNION ALL SELECT payment_intent_id FROM tp_transactions WHERE reference = ?
      UNION ALL SELECT payment_intent_id FROM tp_transactions WHERE order_reference = ?))
    OR metadata_values(p.metadata) @> ARRAY[?::text])`, term, term, term, term, term, term);
}

function paymentWhere(s: Scope, f: PaymentFilter): Where {
  let w = scoped('p', s);
  if (f.status) w = and(w, 'p.status = ?', f.status);
  if (f.currency) w = and(w, 'p.currency = ?', f.currency.toUpperCase());
  // The method lives on payment_methods, so no index of payment_intents serves it: with statistics
  // the planner walks the list index and looks each method up until the page is full; without
  // them (a PGlite never ANALYZEd: it runs no autovacuum) it reads every payment of the account.
  if (f.method) w = and(w, 'EXISTS (SELECT 1 FROM payment_methods m WHERE m.id = p.payment_method_id AND m.type = ?)', f.method);
  w = createdBetween(w, 'p', f.from, f.to);
  const term = f.search?.trim();
  if (term) w = searchCondition(w, term);
  return w;
}

function parseBody(body: string): { notify_type: string | null; result_code: string | null } {
  try {
    const b = JSON.parse(body) as unknown;
    if (!b || typeof b !== 'object') return { notify_type: null, result_code: null };
    const o = b as { notifyType?: unknown; disputeNotificationType?: unknown; result?: { resultCode?: unknown } | null };
    const result = o.result && typeof o.result === 'object' ? o.result.resultCode : undefined;
    return {
      // notifyDispute names its kind in disputeNotificationType (DISPUTE_CREATED, DISPUTE_JUDGED, …).
      notify_type: typeof o.notifyType === 'string' ? o.notifyType : typeof o.disputeNotificationType === 'string' ? o.disputeNotificationType : null,
      result_code: typeof result === 'string' ? result : null,
    };
  } catch {
    // A refused notification may be anything anyone posted, or an excerpt cut at 2 KiB.
    return { notify_type: null, result_code: null };
  }
}

const ATTEMPT_COLUMNS = 'delivery_id, attempt, started, latency_ms, http_status, error, response_excerpt';

// ---------------------------------------------------------------------------------------------

export function dashboardQueries(q: Queryable): DashboardQueries {
  const fetchPayments: Fetch<PaymentRowDb> = (w, dir, limit) => {
    const params = [...w.params, limit];
    const inner = `SELECT * FROM payment_intents p WHERE ${sqlWhere(w)} ORDER BY p.created ${dir}, p.seq ${dir} LIMIT $${params.length}`;
    return q.query<PaymentRowDb>(paymentRowSql(inner, dir), params);
  };

  const fetchRefunds: Fetch<Keyed> = (w, dir, limit) => {
    const params = [...w.params, limit];
    return q.query<Keyed>(`
      SELECT r.*, p.description AS payment_description, p.metadata AS payment_metadata, p.amount AS payment_amount,
             tp.order_reference
        FROM (SELECT * FROM refunds r WHERE ${sqlWhere(w)} ORDER BY r.created ${dir}, r.seq ${dir} LIMIT $${params.length}) r
        JOIN payment_intents p ON p.id = r.payment_intent_id
        LEFT JOIN tp_transactions tp ON tp.payment_intent_id = r.payment_intent_id AND tp.request_type = 'AUTH'
       ORDER BY r.created ${dir}, r.seq ${dir}`, params);
  };

  /** Disputes with their payment's description and order reference, around `inner` (aliased `d`). */
  const disputeRows = (inner: string, order: string, params: unknown[]) => q.query<Keyed>(`
      SELECT d.*, p.description AS payment_description, p.amount AS payment_amount, tp.order_reference
        FROM (${inner}) d
        JOIN payment_intents p ON p.id = d.payment_intent_id
        LEFT JOIN tp_transactions tp ON tp.payment_intent_id = d.payment_intent_id AND tp.request_type = 'AUTH'
       ORDER BY ${order}`, params);
  const fetchDisputes: Fetch<Keyed> = (w, dir, limit) => {
    const params = [...w.params, limit];
    return disputeRows(`SELECT * FROM disputes d WHERE ${sqlWhere(w)} ORDER BY d.created ${dir}, d.seq ${dir} LIMIT $${params.length}`,
      `d.created ${dir}, d.seq ${dir}`, params);
  };
  const toDisputeRow = (r: Row): DisputeRow => ({
    ...fromRow(DISPUTES, r), payment_description: (r.payment_description as string | null) ?? null, payment_amount: Number(r.payment_amount),
    order_reference: (r.order_reference as string | null) ?? null,
  });

  const fetchBalance: Fetch<Keyed> = (w, dir, limit) => {
    const params = [...w.params, limit];
    return q.query<Keyed>(`
      SELECT b.*, p.description AS payment_description
        FROM (SELECT * FROM balance_transactions b WHERE ${sqlWhere(w)} ORDER BY b.created ${dir}, b.seq ${dir} LIMIT $${params.length}) b
        JOIN payment_intents p ON p.id = b.payment_intent_id
       ORDER BY b.created ${dir}, b.seq ${dir}`, params);
  };

  const fetchEvents: Fetch<Keyed> = (w, dir, limit) => {
    const params = [...w.params, limit];
    return q.query<Keyed>(`SELECT * FROM events e WHERE ${sqlWhere(w)} ORDER BY e.created ${dir}, e.seq ${dir} LIMIT $${params.length}`, params);
  };

  const fetchDeliveries: Fetch<Keyed> = (w, dir, limit) => {
    const params = [...w.params, limit];
    return q.query<Keyed>(`
      SELECT d.*, ev.type AS event_type, we.url AS endpoint_url
        FROM (SELECT * FROM webhook_deliveries d WHERE ${sqlWhere(w)} ORDER BY d.created ${dir}, d.seq ${dir} LIMIT $${params.length}) d
        JOIN events ev ON ev.id = d.event_id
        JOIN webhook_endpoints we ON we.id = d.endpoint_id
       ORDER BY d.created ${dir}, d.seq ${dir}`, params);
  };

  const attemptsOf = async (deliveryIds: string[]): Promise<Map<string, WebhookAttemptRecord[]>> => {
    const byDelivery = new Map<string, WebhookAttemptRecord[]>();
    if (deliveryIds.length === 0) return byDelivery;
    const rows = await q.query<Row & WebhookAttemptRecord>(
      `SELECT ${ATTEMPT_COLUMNS} FROM webhook_attempts WHERE delivery_id = ANY($1::text[]) ORDER BY delivery_id, attempt`, [deliveryIds]);
    for (const r of rows) {
      const a: WebhookAttemptRecord = {
        delivery_id: r.delivery_id, attempt: r.attempt, started: r.started, latency_ms: r.latency_ms, http_status: r.http_status,
        error: r.error, response_excerpt: r.response_excerpt,
      };
      byDelivery.set(a.delivery_id, [...(byDelivery.get(a.delivery_id) ?? []), a]);
    }
    return byDelivery;
  };

  /** The distinct values of an indexed column, one index probe per value (a loose index scan) rather than a read of every row. */
  const distinct = async (table: string, column: string, s: Scope): Promise<string[]> => {
    const rows = await q.query<{ v: string | null }>(`
      WITH RECURSIVE t(v) AS (
        (SELECT ${column} FROM ${table} WHERE account_id = $1 AND livemode = $2 ORDER BY ${column} LIMIT 1)
        UNION ALL
        SELECT (SELECT ${column} FROM ${table} WHERE account_id = $1 AND livemode = $2 AND ${column} > t.v ORDER BY ${column} LIMIT 1)
          FROM t WHERE t.v IS NOT NULL)
      SELECT v FROM t WHERE v IS NOT NULL`, [s.account_id, s.livemode]);
    return rows.map((r) => r.v!);
  };

  const refundWhere = (s: Scope, f: RefundFilter): Where => {
    let w = scoped('r', s);
    if (f.status) w = and(w, 'r.status = ?', f.status);
    if (f.currency) w = and(w, 'r.currency = ?', f.currency.toUpperCase());
    return createdBetween(w, 'r', f.from, f.to);
  };

  return {
    payments: (s, f, page) => keyset(paymentWhere(s, f), 'p', page, fetchPayments, toPaymentRow),

    disputes: (s, f, page) => keyset(f.status ? and(scoped('d', s), 'd.status = ?', f.status) : scoped('d', s), 'd', page, fetchDisputes, toDisputeRow),

    balanceTransactions: (s, f, page) => keyset(f.type ? and(scoped('b', s), 'b.type = ?', f.type) : scoped('b', s), 'b', page, fetchBalance,
      (r): BalanceRow => ({ ...fromRow(BALANCE_TRANSACTIONS, r), payment_description: (r.payment_description as string | null) ?? null })),

    disputesAwaiting: async (s, limit) => (await disputeRows(
      `SELECT * FROM disputes d WHERE d.account_id = $1 AND d.livemode = $2 AND d.status IN ('needs_response', 'warning_needs_response')
        ORDER BY d.due_by LIMIT $3`, 'd.due_by, d.seq', [s.account_id, s.livemode, Math.min(Math.max(Math.trunc(limit) || 1, 1), MAX_LIMIT)],
    )).map(toDisputeRow),

    dispute: async (s, id) => {
      const [row] = await disputeRows('SELECT * FROM disputes d WHERE d.id = $1 AND d.account_id = $2 AND d.livemode = $3', 'd.seq', [id, s.account_id, s.livemode]);
      if (!row) return undefined;
      const dispute = toDisputeRow(row);
      const events = (await q.query('SELECT * FROM events WHERE object_id = $1 AND account_id = $2 AND livemode = $3 ORDER BY seq', [id, s.account_id, s.livemode]))
        .map((r) => fromRow(EVENTS, r));
      return { dispute, events };
    },

    payment: async (s, id) => {
      const intentRow = (await q.query('SELECT * FROM payment_intents WHERE id = $1 AND account_id = $2 AND livemode = $3', [id, s.account_id, s.livemode]))[0];
      if (!intentRow) return undefined;
      const intent = fromRow(PAYMENT_INTENTS, intentRow);
      const [rowDb] = await fetchPayments(and(scoped('p', s), 'p.id = ?', id), 'DESC', 1);
      const charges = (await q.query('SELECT * FROM charges WHERE payment_intent_id = $1 ORDER BY created, seq', [id])).map((r) => fromRow(CHARGES, r));
      const refunds = (await q.query('SELECT * FROM refunds WHERE payment_intent_id = $1 ORDER BY created, seq', [id])).map((r) => fromRow(REFUNDS, r));
      const attempts = (await q.query('SELECT * FROM payment_attempts WHERE payment_intent_id = $1 ORDER BY created, id', [id])).map((r) => fromRow(PAYMENT_ATTEMPTS, r));
      const disputes = (await q.query('SELECT * FROM disputes WHERE payment_intent_id = $1 ORDER BY created, seq', [id])).map((r) => fromRow(DISPUTES, r));
      const requestIds = [...attempts.map((a) => a.id), ...refunds.map((r) => r.id)];
      const notifications = (await q.query<Row & { id: number; received: number; path: string; verdict: NotificationRow['verdict']; reason: string | null; body: string }>(
        `SELECT id, received, path, verdict, reason, body FROM upstream_notifications WHERE payment_request_id = ANY($1::text[]) ORDER BY id`, [requestIds],
      )).map((n): NotificationRow => ({ id: n.id, received: n.received, path: n.path, verdict: n.verdict, reason: n.reason, ...parseBody(n.body) }));

      // Events about one object are written while that object's row is locked, so their seq order
      // is the order they were committed in; across the payment, its charges, its refunds and its
      // Checkout Session it is the order the gateway made them. (A seq is taken at insert, not at
      // commit: on PostgreSQL an event committed late can show up on a later read ahead of one
      // already shown.)
      const objectIds = [id, ...charges.map((c) => c.id), ...refunds.map((r) => r.id), ...disputes.map((d) => d.id), ...(intent.checkout_session_id ? [intent.checkout_session_id] : [])];
      const events = (await q.query('SELECT * FROM events WHERE object_id = ANY($1::text[]) AND account_id = $2 AND livemode = $3 ORDER BY seq',
        [objectIds, s.account_id, s.livemode])).map((r) => fromRow(EVENTS, r));
      const deliveryRows = events.length === 0 ? [] : await q.query<Row & { endpoint_url: string }>(
        `SELECT d.*, we.url AS endpoint_url FROM webhook_deliveries d JOIN webhook_endpoints we ON we.id = d.endpoint_id
          WHERE d.event_id = ANY($1::text[]) ORDER BY d.seq`, [events.map((e) => e.id)]);
      const attemptLog = await attemptsOf(deliveryRows.map((d) => d.id as string));
      const deliveries = new Map<string, DeliveryWithAttempts[]>();
      for (const r of deliveryRows) {
        const d: DeliveryWithAttempts = { ...fromRow(WEBHOOK_DELIVERIES, r), endpoint_url: r.endpoint_url, attempt_log: attemptLog.get(r.id as string) ?? [] };
        deliveries.set(d.event_id, [...(deliveries.get(d.event_id) ?? []), d]);
      }

      const transactions = (await q.query('SELECT * FROM tp_transactions WHERE payment_intent_id = $1 ORDER BY created, reference', [id]))
        .map((r) => fromRow(TP_TRANSACTIONS, r));
      const tpNotifications = transactions.length === 0 ? [] : (await q.query(
        'SELECT * FROM tp_notifications WHERE transaction_reference = ANY($1::text[]) ORDER BY created, id', [transactions.map((t) => t.reference)],
      )).map((r) => fromRow(TP_NOTIFICATIONS, r));

      return {
        payment: toPaymentRow(rowDb!),
        intent,
        charge: charges.find((c) => c.id === intent.latest_charge) ?? null,
        refunds,
        disputes,
        attempts,
        notifications,
        events: events.map((e) => ({ ...e, deliveries: deliveries.get(e.id) ?? [] })),
        tp: { transactions, notifications: tpNotifications },
        checkout_session_id: intent.checkout_session_id,
      };
    },

    refunds: (s, f, page) => keyset(refundWhere(s, f), 'r', page, fetchRefunds, (r): RefundRow => ({
      ...fromRow(REFUNDS, r),
      payment_description: (r.payment_description as string | null) ?? null,
      payment_metadata: r.payment_metadata as Record<string, string>,
      payment_amount: r.payment_amount as number,
      order_reference: (r.order_reference as string | null) ?? null,
    })),

    refundTotals: async (s, f) => {
      const w = and(refundWhere(s, f), "r.status IN ('succeeded', 'pending')");
      const rows = await q.query<{ status: string; currency: string; n: number; amount: number }>(
        `SELECT r.status, r.currency, count(*)::int8 AS n, sum(r.amount)::int8 AS amount FROM refunds r
          WHERE ${sqlWhere(w)} GROUP BY r.status, r.currency ORDER BY r.currency`, w.params);
      const of = (status: string) => rows.filter((r) => r.status === status).map((r): CurrencyTotal => ({ currency: r.currency, count: r.n, amount: r.amount }));
      return { succeeded: of('succeeded'), pending: of('pending') };
    },

    /**
     * Succeeded payments by the day they were created (amount_received), failed payments as the
     * payments with an attempt that failed that day (by the attempt's created day, so a payment
     * declined twice on one day counts once, and one declined and then paid counts as failed on the
     * day of the decline and succeeded on its created day), refunds that succeeded by the day they
     * were created.
     */
    overview: async (s, now, days) => {
      const firstDay = Math.floor(now / DAY_MS) - Math.max(1, Math.trunc(days)) + 1;
      const rows = await q.query<{ day: number; currency: string; sn: number; sa: number; fn: number; rn: number; ra: number }>(`
        WITH s AS (
          SELECT created / ${DAY_MS} AS day, currency, count(*) AS n, sum(amount_received) AS amount FROM payment_intents
           WHERE account_id = $1 AND livemode = $2 AND status = 'succeeded' AND created >= $3 AND created <= $4 GROUP BY 1, 2
        ), f AS (
          SELECT created / ${DAY_MS} AS day, currency, count(DISTINCT payment_intent_id) AS n FROM payment_attempts
           WHERE account_id = $1 AND livemode = $2 AND status = 'failed' AND created >= $3 AND created <= $4 GROUP BY 1, 2
        ), r AS (
          SELECT created / ${DAY_MS} AS day, currency, count(*) AS n, sum(amount) AS amount FROM refunds
           WHERE account_id = $1 AND livemode = $2 AND status = 'succeeded' AND created >= $3 AND created <= $4 GROUP BY 1, 2
        )
        SELECT day::int8 AS day, currency, sum(sn)::int8 AS sn, sum(sa)::int8 AS sa, sum(fn)::int8 AS fn, sum(rn)::int8 AS rn, sum(ra)::int8 AS ra
          FROM (SELECT day, currency, n AS sn, amount AS sa, 0 AS fn, 0 AS rn, 0 AS ra FROM s
                UNION ALL SELECT day, currency, 0, 0, n, 0, 0 FROM f
                UNION ALL SELECT day, currency, 0, 0, 0, n, amount FROM r) x
         GROUP BY day, currency ORDER BY day, currency`, [s.account_id, s.livemode, firstDay * DAY_MS, now]);
      return rows.map((r): DayTotals => ({
        day: new Date(r.day * DAY_MS).toISOString().slice(0, 10),
        currency: r.currency,
        succeeded_count: r.sn,
        succeeded_amount: r.sa,
        failed_count: r.fn,
        refunded_count: r.rn,
        refunded_amount: r.ra,
      }));
    },

    endpoints: async (s, since) => {
      const endpoints = (await q.query('SELECT * FROM webhook_endpoints WHERE account_id = $1 AND livemode = $2 AND deleted = false ORDER BY created, seq',
        [s.account_id, s.livemode])).map((r) => fromRow(WEBHOOK_ENDPOINTS, r));
      if (endpoints.length === 0) return [];
      const ids = endpoints.map((e) => e.id);
      const deliveries = await q.query<{ endpoint_id: string; status: string; n: number }>(
        `SELECT endpoint_id, status, count(*)::int8 AS n FROM webhook_deliveries WHERE endpoint_id = ANY($1::text[]) AND created >= $2
          GROUP BY endpoint_id, status`, [ids, since]);
      const attempts = await q.query<{ endpoint_id: string; n: number; ok: number }>(
        `SELECT d.endpoint_id, count(*)::int8 AS n, count(*) FILTER (WHERE a.http_status BETWEEN 200 AND 299)::int8 AS ok
           FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
          WHERE a.started >= $2 AND d.endpoint_id = ANY($1::text[]) GROUP BY d.endpoint_id`, [ids, since]);
      // The delivery's last_attempt_at is stamped when an attempt is claimed, just before it is sent.
      const last = await q.query<{ id: string; at: number | null }>(
        `SELECT e.id, (SELECT max(d.last_attempt_at) FROM webhook_deliveries d WHERE d.endpoint_id = e.id) AS at
           FROM unnest($1::text[]) AS e(id)`, [ids]);
      return endpoints.map((endpoint): EndpointStats => {
        const count = (status: string) => deliveries.find((d) => d.endpoint_id === endpoint.id && d.status === status)?.n ?? 0;
        const a = attempts.find((x) => x.endpoint_id === endpoint.id);
        return {
          endpoint,
          succeeded: count('succeeded'),
          failed: count('failed'),
          pending: count('pending'),
          attempts: a?.n ?? 0,
          attempts_ok: a?.ok ?? 0,
          last_attempt_at: last.find((l) => l.id === endpoint.id)?.at ?? null,
        };
      });
    },

    deliveries: async (s, endpointId, page) => {
      const got = await keyset(and(scoped('d', s), 'd.endpoint_id = ?', endpointId), 'd', page, fetchDeliveries, (r) => r);
      const log = await attemptsOf(got.rows.map((r) => r.id as string));
      return {
        ...got,
        rows: got.rows.map((r) => ({
          ...fromRow(WEBHOOK_DELIVERIES, r),
          event_type: r.event_type as string,
          endpoint_url: r.endpoint_url as string,
          attempt_log: log.get(r.id as string) ?? [],
        })),
      };
    },

    events: (s, f, page) => {
      let w = scoped('e', s);
      if (f.type) w = and(w, 'e.type = ?', f.type);
      if (f.object) w = and(w, 'e.object_id = ?', f.object);
      return keyset(createdBetween(w, 'e', f.from, f.to), 'e', page, fetchEvents, (r) => fromRow(EVENTS, r));
    },

    eventTypes: (s) => distinct('events', 'type', s),
    currencies: (s) => distinct('payment_intents', 'currency', s),
  };
}
