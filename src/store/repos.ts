/** SQL behind core's storage port ({@link StoreTx}); the same statements on PGlite and PostgreSQL. */
import { claimWrite } from './idempotency.js';
import { deferOrRun, isUniqueViolation, type Db, type Queryable, type Row, type TxQueryable } from './db.js';
import { SqlValue, type Deferred } from './deferred.js';
import { Batcher } from './batch.js';
import type {
  AttemptRepo, ChargeRepo, DeliveryRepo, DisputeRepo, FileRepo, DueDelivery, EventRepo, ListQuery, NotificationRepo, Page, PaymentIntentRepo,
  PaymentMethodRepo, RefundRepo, Scope, Store, StoreTx, WebhookEndpointRepo,
  CheckoutSessionRepo, LineItemRepo, PriceRepo, ProductRepo,
} from '../core/store.js';
import { StoreConflict, StoreStale } from '../core/store.js';
import { tpRepo } from './tp-repos.js';
import { businessProfile } from './accounts.js';
import { balanceTransactionRepo } from './balances.js';
import type { FileRecord } from '../core/files/file.js';
import type {
  ChargeRecord, DisputeRecord, EventRecord, PaymentAttemptRecord, PaymentIntentRecord, PaymentMethodRecord, RefundRecord,
  WebhookAttemptRecord, WebhookDeliveryRecord, WebhookEndpointRecord,
  CheckoutSessionRecord, LineItemRecord, PriceRecord, ProductRecord,
} from '../core/model.js';

/** A record field ↔ a column; `json` columns are sent as text and cast, so arrays stay JSON. */
interface Column {
  col: string;
  field: string;
  json?: boolean;
}

export interface Table<T> {
  name: string;
  key: string;
  columns: Column[];
  /** Reads name the columns instead of `*`: the table has a column too big to read by default. */
  lean?: boolean;
  /** Only for the record's type; never read at run time. */
  readonly _record?: T;
}

export function table<T>(name: string, columns: (string | [field: string, col: string] | { json: string })[], key = 'id', lean = false): Table<T> {
  return {
    name,
    key,
    lean,
    columns: columns.map((c) =>
      typeof c === 'string' ? { col: c, field: c } : Array.isArray(c) ? { field: c[0], col: c[1] } : { col: c.json, field: c.json, json: true },
    ),
  };
}

export const PAYMENT_INTENTS = table<PaymentIntentRecord>('payment_intents', [
  'id', 'account_id', 'livemode', 'created', 'updated', 'amount', 'currency', 'status', 'client_secret',
  { json: 'payment_method_types' }, { json: 'payment_method_options' }, ['payment_method', 'payment_method_id'],
  'confirmation_method', 'capture_method', 'return_url', 'description', { json: 'metadata' }, 'amount_received',
  ['latest_charge', 'latest_charge_id'], { json: 'last_payment_error' }, 'cancellation_reason', 'canceled_at',
  { json: 'next_action' }, 'receipt_email', 'statement_descriptor', 'statement_descriptor_suffix', 'idempotency_key',
  'checkout_session_id', { json: 'automatic_payment_methods' },
]);

export const PAYMENT_ATTEMPTS = table<PaymentAttemptRecord>('payment_attempts', [
  'id', 'payment_intent_id', 'account_id', 'livemode', 'created', 'updated', 'amount', 'currency', 'method_type',
  'upstream_method', 'payment_method_id', 'description', { json: 'env' }, 'status', 'upstream_payment_id', { json: 'redirect' },
  'failure_code', 'failure_message', 'wallet', 'buyer_id', 'paid_at', 'next_poll_at', 'poll_count',
  'cancel_requested_at', 'cancel_source', 'cancel_reason',
]);

export const PAYMENT_METHODS = table<PaymentMethodRecord>('payment_methods', [
  'id', 'account_id', 'livemode', 'created', 'type', { json: 'details' }, { json: 'billing_details' }, { json: 'metadata' },
]);

export const CHARGES = table<ChargeRecord>('charges', [
  'id', 'account_id', 'livemode', 'created', 'updated', 'payment_intent_id', 'payment_method_id', 'attempt_id', 'amount',
  'currency', 'status', 'amount_refunded', 'failure_code', 'failure_message', { json: 'payment_method_details' },
  'description', { json: 'metadata' }, 'disputed', ['balance_transaction', 'balance_transaction_id'],
]);

export const DISPUTES = table<DisputeRecord>('disputes', [
  'id', 'account_id', 'livemode', 'created', 'updated', 'payment_intent_id', 'charge_id', 'amount', 'currency', 'reason',
  'reason_message', 'status', 'due_by', { json: 'metadata' }, { json: 'evidence' }, 'submission_count', 'upstream_dispute_id', 'judged_result', 'closed_at',
]);

/** A file's description; its bytes (`contents`) are read only by FileRepo.contents. */
export const FILES = table<FileRecord>('files', [
  'id', 'account_id', 'livemode', 'created', 'expires_at', 'filename', 'purpose', 'size', 'title', 'type', 'sha256',
], 'id', true);

export const EVENTS = table<EventRecord>('events', [
  'id', 'account_id', 'livemode', 'created', 'type', 'api_version', 'object_id', { json: 'data' }, 'request_id',
  'idempotency_key', 'served_request_id', 'pending_webhooks',
]);

export const REFUNDS = table<RefundRecord>('refunds', [
  'id', 'account_id', 'livemode', 'created', 'updated', 'payment_intent_id', 'charge_id', 'amount', 'currency', 'reason',
  'status', 'failure_reason', 'failure_code', 'description', { json: 'metadata' }, 'upstream_refund_id', 'next_poll_at',
  'poll_count', 'idempotency_key', ['balance_transaction', 'balance_transaction_id'],
]);

export const WEBHOOK_ENDPOINTS = table<WebhookEndpointRecord>('webhook_endpoints', [
  'id', 'account_id', 'livemode', 'created', 'updated', 'url', 'description', { json: 'enabled_events' }, 'api_version',
  'status', { json: 'metadata' }, 'secret', 'deleted', 'failing_since', 'disabled_reason',
]);

export const WEBHOOK_DELIVERIES = table<WebhookDeliveryRecord>('webhook_deliveries', [
  'id', 'account_id', 'livemode', 'event_id', 'endpoint_id', 'created', 'status', 'attempts', 'next_attempt_at',
  'last_attempt_at', 'last_status', 'completed_at',
]);

export const PRODUCTS = table<ProductRecord>('products', [
  'id', 'account_id', 'livemode', 'created', 'updated', 'name', 'active', 'description', 'url', { json: 'images' },
  { json: 'metadata' }, 'default_price_id',
]);

export const PRICES = table<PriceRecord>('prices', [
  'id', 'account_id', 'livemode', 'created', 'updated', 'product_id', 'active', 'currency', 'unit_amount', 'nickname',
  'lookup_key', 'billing_scheme', 'type', { json: 'recurring' }, { json: 'metadata' },
]);

export const CHECKOUT_SESSIONS = table<CheckoutSessionRecord>('checkout_sessions', [
  'id', 'account_id', 'livemode', 'created', 'updated', 'expires_at', 'status', 'payment_status', 'mode', 'currency',
  'amount_subtotal', 'amount_total', 'success_url', 'cancel_url', 'customer_email', 'client_reference_id',
  'billing_address_collection', { json: 'payment_method_types' }, { json: 'payment_method_options' }, { json: 'metadata' },
  'locale', 'payment_intent_id', 'completed_at', 'expired_at', 'idempotency_key',
]);

export const LINE_ITEMS = table<LineItemRecord>('checkout_line_items', [
  'id', 'session_id', 'position', 'price_id', 'quantity', 'currency', 'description', 'amount_subtotal', 'amount_total',
]);

function toParam(c: Column, record: Record<string, unknown>): unknown {
  const v = record[c.field];
  if (v === undefined) return null;
  return c.json ? (v === null ? null : JSON.stringify(v)) : v;
}

function placeholder(c: Column, i: number): string {
  return c.json ? `$${i}::jsonb` : `$${i}`;
}

export function fromRow<T>(t: Table<T>, row: Row): T {
  const out: Record<string, unknown> = {};
  for (const c of t.columns) out[c.field] = row[c.col] ?? null;
  return out as T;
}

function insertStatement<T>(t: Table<T>, record: T): { sql: string; params: unknown[] } {
  const rec = record as Record<string, unknown>;
  const cols = t.columns.map((c) => c.col).join(', ');
  const vals = t.columns.map((c, i) => placeholder(c, i + 1)).join(', ');
  return { sql: `INSERT INTO ${t.name} (${cols}) VALUES (${vals})`, params: t.columns.map((c) => toParam(c, rec)) };
}

export async function insertRecord<T>(q: Queryable, t: Table<T>, record: T): Promise<void> {
  const { sql, params } = insertStatement(t, record);
  await q.query(sql, params);
}

/**
 * An insert whose failure nobody handles on the spot: in a transaction it waits for the next
 * statement or the commit (db.ts), so a transaction of such writes is one round trip.
 */
export async function insertDeferred<T>(q: Queryable, t: Table<T>, record: T): Promise<void> {
  await deferOrRun(q, deferredInsert(t, record));
}

function deferredInsert<T>(t: Table<T>, record: T, extra: { col: string; value: unknown }[] = []): Deferred {
  const rec = record as Record<string, unknown>;
  return {
    kind: 'insert',
    table: t.name,
    columns: [...t.columns.map((c) => c.col), ...extra.map((e) => e.col)],
    values: [...t.columns.map((c) => (c.json ? new SqlValue('$1::jsonb', [toParam(c, rec)]) : toParam(c, rec))), ...extra.map((e) => e.value)],
  };
}

function updateStatement<T>(t: Table<T>, record: T): { sql: string; params: unknown[] } {
  const rec = record as Record<string, unknown>;
  const cols = t.columns.filter((c) => c.col !== t.key);
  const sets = cols.map((c, i) => `${c.col} = ${placeholder(c, i + 2)}`).join(', ');
  return { sql: `UPDATE ${t.name} SET ${sets} WHERE ${t.key} = $1`, params: [rec[t.key], ...cols.map((c) => toParam(c, rec))] };
}

/** SQLSTATE of oc_presumed's refusal (migration 0015). */
const PRESUMPTION_FAILED = 'P0409';

/**
 * The check of a presumed row (migration 0015): lock it, and raise P0409 unless every column is
 * what the record says.
 */
function presumeStatement<T>(t: Table<T>, record: T): { sql: string; params: unknown[] } {
  const rec = record as Record<string, unknown>;
  const cols = t.columns.filter((c) => c.col !== t.key);
  const id = rec[t.key];
  const seen = cols.map((c, i) => placeholder(c, i + 3)).join(', ');
  return {
    sql: `SELECT oc_presumed(count(*), $2) FROM (SELECT 1 FROM ${t.name} WHERE ${t.key} = $1 AND (${cols.map((c) => c.col).join(', ')}) IS NOT DISTINCT FROM (${seen}) FOR UPDATE) g`,
    params: [id, `${t.name} ${String(id)}`, ...cols.map((c) => toParam(c, rec))],
  };
}

export async function updateRecord<T>(q: Queryable, t: Table<T>, record: T): Promise<void> {
  const { sql, params } = updateStatement(t, record);
  const rows = await q.query(`${sql} RETURNING ${t.key}`, params);
  if (rows.length !== 1) throw new Error(`update of ${t.name} ${String((record as Record<string, unknown>)[t.key])} touched ${rows.length} rows`);
}

/** What a read of `t` selects. */
function selected<T>(t: Table<T>): string {
  return t.lean ? t.columns.map((c) => c.col).join(', ') : '*';
}

export async function one<T>(q: Queryable, t: Table<T>, where: string, params: unknown[], suffix = ''): Promise<T | undefined> {
  const rows = await q.query(`SELECT ${selected(t)} FROM ${t.name} WHERE ${where} ${suffix}`, params);
  return rows[0] ? fromRow(t, rows[0]) : undefined;
}

/**
 * A page of a scoped, `seq`-ordered table, newest first, with Stripe's cursors. `extra` adds
 * conditions on already-numbered parameters.
 */
export async function listPage<T>(
  q: Queryable, t: Table<T>, scope: Scope, query: ListQuery, extra: { sql: string; value: unknown }[] = [],
): Promise<Page<T> | undefined> {
  const params: unknown[] = [scope.account_id, scope.livemode];
  const where = ['account_id = $1', 'livemode = $2'];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replaceAll('?', `$${params.length}`));
  };
  for (const e of extra) add(e.sql, e.value);
  const c = query.created;
  if (c?.gt !== undefined) add('created > ?', c.gt);
  if (c?.gte !== undefined) add('created >= ?', c.gte);
  if (c?.lt !== undefined) add('created < ?', c.lt);
  if (c?.lte !== undefined) add('created <= ?', c.lte);
  const cursor = query.starting_after ?? query.ending_before;
  const backwards = query.starting_after === undefined && query.ending_before !== undefined;
  if (cursor !== undefined) {
    const found = await q.query(`SELECT seq FROM ${t.name} WHERE id = $1 AND account_id = $2 AND livemode = $3`, [cursor, scope.account_id, scope.livemode]);
    if (!found[0]) return undefined;
    add(backwards ? 'seq > ?' : 'seq < ?', found[0].seq);
  }
  params.push(query.limit + 1);
  const rows = await q.query(
    `SELECT ${selected(t)} FROM ${t.name} WHERE ${where.join(' AND ')} ORDER BY seq ${backwards ? 'ASC' : 'DESC'} LIMIT $${params.length}`,
    params,
  );
  const has_more = rows.length > query.limit;
  const page = rows.slice(0, query.limit).map((r) => fromRow(t, r));
  if (backwards) page.reverse();
  return { data: page, has_more };
}

export const scoped = 'id = $1 AND account_id = $2 AND livemode = $3';
export const scopeParams = (s: Scope, id: string) => [id, s.account_id, s.livemode];

/** What every table keyed by id and scoped to an account offers. */
function basics<T>(q: Queryable, t: Table<T>) {
  return {
    get: (s: Scope, id: string) => one(q, t, scoped, scopeParams(s, id)),
    lock: (s: Scope, id: string) => one(q, t, scoped, scopeParams(s, id), 'FOR UPDATE'),
    findById: (id: string) => one(q, t, 'id = $1', [id]),
    lockById: (id: string) => one(q, t, 'id = $1', [id], 'FOR UPDATE'),
    findByIdempotencyKey: (s: Scope, key: string) => one(q, t, 'account_id = $1 AND livemode = $2 AND idempotency_key = $3', [s.account_id, s.livemode, key]),
    insert: (r: T) => insertRecord(q, t, r),
    update: (r: T) => updateRecord(q, t, r),
  };
}

function paymentIntentRepo(q: Queryable, memo?: TxWrites): PaymentIntentRepo {
  const t = PAYMENT_INTENTS;
  const base = basics(q, t);
  return {
    ...base,
    lock: async (s, id) => lockedIn(memo, t, await base.lock(s, id)),
    lockById: async (id) => lockedIn(memo, t, await base.lockById(id)),
    presume: (r) => presumeIn(memo, t, r),
    insert: (r) => (memo ? memo.insert(t, r) : insertDeferred(q, t, r)),
    update: async (r) => {
      if (!memo?.update(t, r)) await base.update(r);
    },
    list: (s, query) => listPage(q, t, s, query),
  };
}

const OPEN_ATTEMPT = ['pending', 'redirected', 'processing'];

function attemptRepo(q: Queryable, memo?: TxWrites): AttemptRepo {
  const t = PAYMENT_ATTEMPTS;
  return {
    get: (id) => one(q, t, 'id = $1', [id]),
    lock: async (id) => lockedIn(memo, t, await one(q, t, 'id = $1', [id], 'FOR UPDATE')),
    presume: (a) => presumeIn(memo, t, a),
    open: async (piId) => {
      // A PaymentIntent this transaction made has only the attempts it made.
      if (memo?.has(PAYMENT_INTENTS, piId)) return memo.inserted(t, (a) => a.payment_intent_id === piId && OPEN_ATTEMPT.includes(a.status));
      return one(q, t, "payment_intent_id = $1 AND status IN ('pending', 'redirected', 'processing')", [piId]);
    },
    insert: (a) => (memo ? memo.insert(t, a) : insertDeferred(q, t, a)),
    update: async (a) => {
      if (!memo?.update(t, a)) await updateRecord(q, t, a);
    },
    ...pollClaims(q, t),
  };
}

/**
 * The poll claims of the tables with a `next_poll_at` (attempts, refunds). `claimDue` pushes the due
 * rows a lease ahead (SKIP LOCKED), so no other process takes them meanwhile; `releaseClaims` hands
 * claimed rows that were not polled back, due now, unless something moved them on meanwhile (their
 * `next_poll_at` is no longer the claim's, or `only` no longer holds).
 */
function pollClaims<T extends { id: string; next_poll_at: number | null }>(q: Queryable, t: Table<T>, only = 'true') {
  return {
    claimDue: async (now: number, limit: number, leaseMs: number): Promise<T[]> => {
      const rows = await q.query(
        `UPDATE ${t.name} SET next_poll_at = $2
          WHERE id IN (SELECT id FROM ${t.name} WHERE next_poll_at <= $1 AND ${only} ORDER BY next_poll_at LIMIT $3 FOR UPDATE SKIP LOCKED)
          RETURNING *`,
        [now, now + leaseMs, limit],
      );
      return rows.map((r) => fromRow(t, r));
    },
    releaseClaims: async (claimed: readonly T[], now: number): Promise<void> => {
      if (claimed.length === 0) return;
      await q.query(
        `UPDATE ${t.name} SET next_poll_at = $3 FROM unnest($1::text[], $2::int8[]) AS c(id, at)
          WHERE ${t.name}.id = c.id AND ${t.name}.next_poll_at = c.at AND ${only}`,
        [claimed.map((r) => r.id), claimed.map((r) => r.next_poll_at), now],
      );
    },
  };
}

function paymentMethodRepo(q: Queryable, memo?: TxWrites): PaymentMethodRepo {
  const t = PAYMENT_METHODS;
  return {
    get: async (s, id) => {
      const mine = memo?.get(t, id);
      if (mine && mine.account_id === s.account_id && mine.livemode === s.livemode) return mine;
      return one(q, t, scoped, scopeParams(s, id));
    },
    insert: (pm) => (memo ? memo.insert(t, pm) : insertDeferred(q, t, pm)),
    update: async (pm) => {
      if (!memo?.update(t, pm)) await updateRecord(q, t, pm);
    },
  };
}

function chargeRepo(q: Queryable): ChargeRepo {
  const t = CHARGES;
  return {
    get: (s, id) => one(q, t, scoped, scopeParams(s, id)),
    lock: (s, id) => one(q, t, scoped, scopeParams(s, id), 'FOR UPDATE'),
    lockById: (id) => one(q, t, 'id = $1', [id], 'FOR UPDATE'),
    lockLatestOf: (s, piId) => one(q, t,
      `id = (SELECT latest_charge_id FROM payment_intents WHERE ${scoped} AND status = 'succeeded') AND account_id = $2 AND livemode = $3`,
      scopeParams(s, piId), 'FOR UPDATE'),
    byAttempt: (attemptId) => one(q, t, 'attempt_id = $1', [attemptId]),
    insert: (c) => insertDeferred(q, t, c),
    update: (c) => updateRecord(q, t, c),
    list: (s, query) => listPage(q, t, s, query, query.payment_intent ? [{ sql: 'payment_intent_id = ?', value: query.payment_intent }] : []),
  };
}

/** An event's columns but its count of pending webhooks, which the store works out (EventRepo.record). */
const EVENTS_RECORDED = { ...EVENTS, columns: EVENTS.columns.filter((c) => c.col !== 'pending_webhooks') } as Table<Omit<EventRecord, 'pending_webhooks'>>;

function eventRepo(q: Queryable): EventRepo {
  const t = EVENTS;
  return {
    insert: (e) => insertDeferred(q, t, e),
    record: async (e) => {
      // oc_enqueue_deliveries (migration 0014) inserts the outbox rows and answers their number, in
      // the statement that inserts the event: the two cannot disagree.
      const deliveries = new SqlValue('oc_enqueue_deliveries($1, $2, $3, $4, $5)', [e.account_id, e.livemode, e.type, e.id, e.created]);
      await deferOrRun(q, deferredInsert(EVENTS_RECORDED, e, [{ col: 'pending_webhooks', value: deliveries }]));
    },
    adjustPending: async (id, delta) => {
      await q.query('UPDATE events SET pending_webhooks = GREATEST(pending_webhooks + $2, 0) WHERE id = $1', [id, delta]);
    },
    get: (s, id) => one(q, t, scoped, scopeParams(s, id)),
    list: (s, query) => {
      const extra: { sql: string; value: unknown }[] = [];
      if (query.type?.includes('*')) extra.push({ sql: "type LIKE ? ESCAPE '!'", value: query.type.replace(/[!%_]/g, '!$&').replaceAll('*', '%') });
      else if (query.type) extra.push({ sql: 'type = ?', value: query.type });
      if (query.types) extra.push({ sql: 'type = ANY(?::text[])', value: query.types });
      if (query.object_id) extra.push({ sql: 'object_id = ?', value: query.object_id });
      return listPage(q, t, s, query, extra);
    },
  };
}

/** Lock class of pg_advisory_xact_lock(class, hashtext(source)): one source's refusals are counted one at a time. */
const REFUSALS_LOCK_CLASS = 71_062;

function notificationRepo(q: Queryable): NotificationRepo {
  return {
    seen: async (fp) => (await q.query("SELECT 1 FROM upstream_notifications WHERE fingerprint = $1 AND verdict <> 'refused'", [fp])).length > 0,
    record: async (n) => {
      await q.query(
        `INSERT INTO upstream_notifications (received, path, headers, body, verdict, reason, payment_request_id, fingerprint, source, body_bytes)
         VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, $9, $10)`,
        [n.received, n.path, JSON.stringify(n.headers), n.body, n.verdict, n.reason ?? null, n.payment_request_id ?? null,
          n.verdict === 'refused' ? null : (n.fingerprint ?? null), n.source ?? null, n.body_bytes ?? null],
      );
    },
    recordRefused: async (n, b) => {
      await q.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [REFUSALS_LOCK_CLASS, n.source]);
      // A separate statement after the lock, so its snapshot sees what the previous holder committed.
      const kept = await q.query(
        `INSERT INTO upstream_notifications (received, path, headers, body, verdict, reason, payment_request_id, source, body_bytes)
         SELECT $1, $2, $3::jsonb, $4, 'refused', $5, $6, $7, $8
          WHERE (SELECT count(*) FROM upstream_notifications WHERE verdict = 'refused' AND source = $7 AND received > $9) < $10
            AND (SELECT count(*) FROM (SELECT 1 FROM upstream_notifications WHERE verdict = 'refused' AND received > $9 LIMIT $11) x) < $11
         RETURNING id`,
        [n.received, n.path, JSON.stringify(n.headers), n.body, n.reason ?? null, n.payment_request_id ?? null, n.source, n.body_bytes ?? null,
          b.since, b.perSource, b.total],
      );
      return kept.length === 1;
    },
    pruneRefused: async (olderThan) => {
      const rows = await q.query<{ n: number }>(
        "WITH d AS (DELETE FROM upstream_notifications WHERE verdict = 'refused' AND received < $1 RETURNING 1) SELECT count(*)::int AS n FROM d", [olderThan]);
      return rows[0]?.n ?? 0;
    },
  };
}

/** A dispute that still holds the charge's funds (Antom froze them): no refund while one is. */
const DISPUTE_OPEN = "status IN ('needs_response', 'under_review')";

function refundRepo(q: Queryable): RefundRepo {
  const t = REFUNDS;
  return {
    ...basics(q, t),
    standing: async (chargeId, attemptId) => {
      const rows = await q.query<{ reserved: number | string | null; upstream_payment_id: string | null; disputed: boolean }>(
        `SELECT (SELECT sum(amount)::int8 FROM refunds WHERE charge_id = $1 AND status IN ('pending', 'succeeded')) AS reserved,
                (SELECT upstream_payment_id FROM payment_attempts WHERE id = $2) AS upstream_payment_id,
                EXISTS (SELECT 1 FROM disputes WHERE charge_id = $1 AND ${DISPUTE_OPEN}) AS disputed`,
        [chargeId, attemptId]);
      const r = rows[0]!;
      return { reserved: Number(r.reserved ?? 0), upstreamPaymentId: r.upstream_payment_id, disputed: r.disputed === true };
    },
    list: (s, query) => {
      const extra: { sql: string; value: unknown }[] = [];
      if (query.payment_intent) extra.push({ sql: 'payment_intent_id = ?', value: query.payment_intent });
      if (query.charge) extra.push({ sql: 'charge_id = ?', value: query.charge });
      return listPage(q, t, s, query, extra);
    },
    ...pollClaims(q, t, "status = 'pending'"),
  };
}

function disputeRepo(q: Queryable): DisputeRepo {
  const t = DISPUTES;
  return {
    get: (s, id) => one(q, t, scoped, scopeParams(s, id)),
    lockByUpstreamId: (livemode, upstreamId) => one(q, t, 'livemode = $1 AND upstream_dispute_id = $2', [livemode, upstreamId], 'FOR UPDATE'),
    openFor: (chargeId) => one(q, t, `charge_id = $1 AND ${DISPUTE_OPEN}`, [chargeId]),
    insert: (d) => insertRecord(q, t, d),
    update: (d) => updateRecord(q, t, d),
    list: (s, query) => {
      const extra: { sql: string; value: unknown }[] = [];
      if (query.payment_intent) extra.push({ sql: 'payment_intent_id = ?', value: query.payment_intent });
      if (query.charge) extra.push({ sql: 'charge_id = ?', value: query.charge });
      return listPage(q, t, s, query, extra);
    },
  };
}

function fileRepo(q: Queryable): FileRepo {
  const t = FILES;
  return {
    get: (s, id) => one(q, t, scoped, scopeParams(s, id)),
    contents: async (s, id) => {
      const rows = await q.query(`SELECT ${selected(t)}, contents FROM files WHERE ${scoped}`, scopeParams(s, id));
      return rows[0] ? { file: fromRow(t, rows[0]), bytes: rows[0].contents as Uint8Array } : undefined;
    },
    insert: async (f, bytes) => {
      const cols = t.columns.map((c) => c.col);
      const params = [...t.columns.map((c) => toParam(c, f as unknown as Record<string, unknown>)), bytes];
      await q.query(`INSERT INTO files (${cols.join(', ')}, contents) VALUES (${params.map((_p, i) => `$${i + 1}`).join(', ')})`, params);
    },
    list: (s, query) => listPage(q, t, s, query, query.purpose ? [{ sql: 'purpose = ?', value: query.purpose }] : []),
  };
}

/**
 * Which scopes have an enabled endpoint, remembered for a second: the hint that wakes the delivery
 * worker after an event (recordEvent). Changes made through this process clear it at once; another
 * process's new endpoint is seen within the second, and the worker's own interval sends anyway.
 */
export class EndpointHints {
  private readonly known = new Map<string, { any: boolean; at: number }>();
  private readonly refreshing = new Set<string>();
  constructor(private readonly db: Queryable, private readonly ttlMs = 1_000) {}

  /**
   * Never waits for the store: a transaction calls it, and on PGlite a statement outside that
   * transaction would wait for it to end. A stale answer is refreshed in the background; an
   * unknown scope answers true (a needless wake-up costs one claim).
   */
  mayDeliver(s: Scope): boolean {
    const k = `${s.account_id}:${s.livemode}`;
    const hit = this.known.get(k);
    if (!hit || Date.now() - hit.at >= this.ttlMs) this.refresh(k, s);
    return hit?.any ?? true;
  }

  private refresh(k: string, s: Scope): void {
    if (this.refreshing.has(k)) return;
    this.refreshing.add(k);
    const at = Date.now();
    this.db.query("SELECT 1 FROM webhook_endpoints WHERE account_id = $1 AND livemode = $2 AND status = 'enabled' AND deleted = false LIMIT 1", [s.account_id, s.livemode])
      .then((rows) => {
        if (this.known.size > 10_000) this.known.clear();
        this.known.set(k, { any: rows.length > 0, at });
      }, () => this.known.delete(k))
      .finally(() => this.refreshing.delete(k));
  }

  forget(): void {
    this.known.clear();
  }
}

function webhookEndpointRepo(q: Queryable, hints: EndpointHints): WebhookEndpointRepo {
  const t = WEBHOOK_ENDPOINTS;
  const live = 'AND deleted = false';
  return {
    get: (s, id) => one(q, t, `${scoped} ${live}`, scopeParams(s, id)),
    lock: (s, id) => one(q, t, `${scoped} ${live}`, scopeParams(s, id), 'FOR UPDATE'),
    lockById: (id) => one(q, t, 'id = $1', [id], 'FOR UPDATE'),
    insert: async (w) => {
      await insertRecord(q, t, w);
      hints.forget();
    },
    update: async (w) => {
      await updateRecord(q, t, w);
      hints.forget();
    },
    mayDeliver: async (s) => hints.mayDeliver(s),
    list: (s, query) => listPage(q, t, s, query, [{ sql: 'deleted = ?', value: false }]),
    enabled: async (s) => {
      const rows = await q.query("SELECT * FROM webhook_endpoints WHERE account_id = $1 AND livemode = $2 AND status = 'enabled' AND deleted = false", [s.account_id, s.livemode]);
      return rows.map((r) => fromRow(t, r));
    },
  };
}

const ATTEMPT_COLUMNS = ['delivery_id', 'attempt', 'started', 'latency_ms', 'http_status', 'error', 'response_excerpt'] as const;

function deliveryRepo(q: Queryable): DeliveryRepo {
  const t = WEBHOOK_DELIVERIES;
  return {
    insert: (d) => insertRecord(q, t, d),
    get: (s, id) => one(q, t, scoped, scopeParams(s, id)),
    lock: (id) => one(q, t, 'id = $1', [id], 'FOR UPDATE'),
    update: (d) => updateRecord(q, t, d),
    list: (s, query) => {
      const extra: { sql: string; value: unknown }[] = [];
      if (query.event) extra.push({ sql: 'event_id = ?', value: query.event });
      if (query.webhook_endpoint) extra.push({ sql: 'endpoint_id = ?', value: query.webhook_endpoint });
      if (query.status) extra.push({ sql: 'status = ?', value: query.status });
      return listPage(q, t, s, query, extra);
    },
    attempts: async (deliveryId) => {
      const rows = await q.query(`SELECT ${ATTEMPT_COLUMNS.join(', ')} FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt`, [deliveryId]);
      return rows as unknown as WebhookAttemptRecord[];
    },
    recordAttempt: async (a) => {
      await q.query(
        `INSERT INTO webhook_attempts (${ATTEMPT_COLUMNS.join(', ')}) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        ATTEMPT_COLUMNS.map((c) => a[c]),
      );
    },
    // Both statements are functions of migration 0013 (there is why): one claims many deliveries
    // with their events and endpoints, one records many sends.
    claimDue: async (now, limit, leaseMs, room, perEndpoint) => {
      const rows = await q.query<{ delivery: Row; event: Row; endpoint: Row }>(
        'SELECT delivery, event, endpoint FROM webhook_claim($1, $2, $3, $4::text[], $5::int[], $6)',
        [now, now + leaseMs, limit, [...room.keys()], [...room.values()], perEndpoint],
      );
      return rows.map((r): DueDelivery => ({ delivery: fromRow(t, r.delivery), event: fromRow(EVENTS, r.event), endpoint: fromRow(WEBHOOK_ENDPOINTS, r.endpoint) }));
    },
    recordResults: async (results, now, disableAfterMs) => {
      if (results.length === 0) return [];
      const col = <K extends keyof (typeof results)[number]>(k: K) => results.map((r) => r[k]);
      const rows = await q.query<{ endpoint_id: string }>(
        `SELECT endpoint_id FROM webhook_record($1::text[], $2::int[], $3::int8[], $4::int[], $5::int[], $6::text[], $7::text[], $8::text[], $9::int8[], $10, $11)`,
        [col('delivery_id'), col('attempt'), col('started'), col('latency_ms'), col('http_status'), col('error'), col('response_excerpt'),
          col('outcome'), col('next_attempt_at'), now, disableAfterMs],
      );
      return rows.map((r) => r.endpoint_id);
    },
    pendingFor: async (endpointId) => {
      const rows = await q.query("SELECT * FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'pending'", [endpointId]);
      return rows.map((r) => fromRow(t, r));
    },
  };
}

async function many<T>(q: Queryable, t: Table<T>, ids: readonly string[]): Promise<T[]> {
  if (ids.length === 0) return [];
  const rows = await q.query(`SELECT * FROM ${t.name} WHERE id = ANY($1::text[])`, [[...ids]]);
  return rows.map((r) => fromRow(t, r));
}

function productRepo(q: Queryable): ProductRepo {
  const t = PRODUCTS;
  return {
    get: (s, id) => one(q, t, scoped, scopeParams(s, id)),
    getMany: (ids) => many(q, t, ids),
    insert: (p) => insertRecord(q, t, p),
    update: (p) => updateRecord(q, t, p),
    list: (s, query) => listPage(q, t, s, query, query.active === undefined ? [] : [{ sql: 'active = ?', value: query.active }]),
  };
}

function priceRepo(q: Queryable): PriceRepo {
  const t = PRICES;
  return {
    get: (s, id) => one(q, t, scoped, scopeParams(s, id)),
    getMany: (ids) => many(q, t, ids),
    insert: (p) => insertRecord(q, t, p),
    update: (p) => updateRecord(q, t, p),
    list: (s, query) => {
      const extra: { sql: string; value: unknown }[] = [];
      if (query.product) extra.push({ sql: 'product_id = ?', value: query.product });
      if (query.active !== undefined) extra.push({ sql: 'active = ?', value: query.active });
      if (query.currency) extra.push({ sql: 'currency = ?', value: query.currency.toUpperCase() });
      if (query.type) extra.push({ sql: 'type = ?', value: query.type });
      if (query.lookup_keys) extra.push({ sql: 'lookup_key = ANY(?::text[])', value: query.lookup_keys });
      return listPage(q, t, s, query, extra);
    },
  };
}

function checkoutSessionRepo(q: Queryable): CheckoutSessionRepo {
  const t = CHECKOUT_SESSIONS;
  return {
    ...basics(q, t),
    list: (s, query) => {
      const extra: { sql: string; value: unknown }[] = [];
      if (query.payment_intent) extra.push({ sql: 'payment_intent_id = ?', value: query.payment_intent });
      if (query.status) extra.push({ sql: 'status = ?', value: query.status });
      return listPage(q, t, s, query, extra);
    },
    dueToExpire: async (now, limit) => {
      const rows = await q.query("SELECT * FROM checkout_sessions WHERE status = 'open' AND expires_at <= $1 ORDER BY expires_at LIMIT $2", [now, limit]);
      return rows.map((r) => fromRow(t, r));
    },
  };
}

function lineItemRepo(q: Queryable): LineItemRepo {
  const t = LINE_ITEMS;
  return {
    insert: (li) => insertRecord(q, t, li),
    forSession: async (sessionId) => {
      const rows = await q.query('SELECT * FROM checkout_line_items WHERE session_id = $1 ORDER BY position', [sessionId]);
      return rows.map((r) => fromRow(t, r));
    },
  };
}

/**
 * What a transaction inserted, by table and id, while it is open: a record this transaction wrote
 * is read back from here (nobody else can see or change it before the commit), and updating a
 * record whose insert still waits rewrites the insert instead of sending both.
 */
class TxWrites {
  private readonly records = new Map<string, { record: unknown; write: Deferred | undefined; inserted: boolean }>();
  constructor(readonly q: TxQueryable) {}

  async insert<T>(t: Table<T>, record: T): Promise<void> {
    const write = deferredInsert(t, record);
    this.q.defer(write);
    this.records.set(`${t.name}:${(record as { id: string }).id}`, { record, write, inserted: true });
  }

  get<T>(t: Table<T>, id: string): T | undefined {
    return this.records.get(`${t.name}:${id}`)?.record as T | undefined;
  }

  /**
   * Keeps the record read back here current. True when the update waits with the transaction's
   * other writes: folded into the waiting insert, or as an UPDATE of a row this transaction
   * inserted or locked (it is there and nobody else can change it until the commit). False when
   * the record is not one of those, and the caller must send the update.
   */
  update<T>(t: Table<T>, record: T): boolean {
    const found = this.records.get(`${t.name}:${(record as { id: string }).id}`);
    if (!found) return false;
    found.record = record;
    if (found.write?.kind === 'insert' && this.q.waiting(found.write)) {
      found.write.values = (deferredInsert(t, record) as { values: unknown[] }).values;
      return true;
    }
    // A second update while the first still waits replaces it.
    const { sql, params } = updateStatement(t, record);
    if (found.write?.kind === 'sql' && this.q.waiting(found.write)) {
      found.write.params = params;
      return true;
    }
    found.write = { kind: 'sql', sql, params };
    this.q.defer(found.write);
    return true;
  }

  /** A row this transaction locked: until it ends, only this transaction can change it. */
  locked<T>(t: Table<T>, record: T): void {
    const k = `${t.name}:${(record as { id: string }).id}`;
    if (!this.records.has(k)) this.records.set(k, { record, write: undefined, inserted: false });
  }

  /**
   * A row as the caller last saw it: the check that locks it and finds it unchanged goes first
   * with the writes (so presumed rows are locked in the order they were presumed, before anything
   * is written), and its updates then wait like a locked row's.
   */
  presume<T>(t: Table<T>, record: T): void {
    const k = `${t.name}:${(record as { id: string }).id}`;
    if (this.records.has(k)) throw new Error(`${k} is already part of this transaction; presume a row before anything else touches it`);
    this.q.defer({ kind: 'guard', ...presumeStatement(t, record) });
    this.records.set(k, { record, write: undefined, inserted: false });
  }

  /** Inserted here, so nothing but this transaction's own rows can refer to it yet. */
  has<T>(t: Table<T>, id: string): boolean {
    return this.records.get(`${t.name}:${id}`)?.inserted === true;
  }

  inserted<T>(t: Table<T>, match: (r: T) => boolean): T | undefined {
    const prefix = `${t.name}:`;
    for (const [k, v] of this.records) if (v.inserted && k.startsWith(prefix) && match(v.record as T)) return v.record as T;
    return undefined;
  }
}

function presumeIn<T>(memo: TxWrites | undefined, t: Table<T>, record: T): void {
  if (!memo) throw new Error(`presuming a row of ${t.name} needs a transaction`);
  memo.presume(t, record);
}

/** Notes a locked row in the transaction's memo (its updates may then wait); answers the row. */
function lockedIn<T>(memo: TxWrites | undefined, t: Table<T>, record: T | undefined): T | undefined {
  if (memo && record) memo.locked(t, record);
  return record;
}

function repos(q: Queryable, hints: EndpointHints): StoreTx {
  const memo = 'defer' in q ? new TxWrites(q as TxQueryable) : undefined;
  return {
    paymentIntents: paymentIntentRepo(q, memo),
    attempts: attemptRepo(q, memo),
    paymentMethods: paymentMethodRepo(q, memo),
    charges: chargeRepo(q),
    events: eventRepo(q),
    notifications: notificationRepo(q),
    refunds: refundRepo(q),
    disputes: disputeRepo(q),
    balanceTransactions: balanceTransactionRepo(q),
    files: fileRepo(q),
    webhookEndpoints: webhookEndpointRepo(q, hints),
    deliveries: deliveryRepo(q),
    products: productRepo(q),
    prices: priceRepo(q),
    checkoutSessions: checkoutSessionRepo(q),
    lineItems: lineItemRepo(q),
    tp: tpRepo(q),
    idempotencyKeys: { claim: (c, answer) => deferOrRun(q, claimWrite(c, answer)) },
    accounts: { businessProfile: (accountId) => businessProfile(q, accountId) },
  };
}

/**
 * `get` by id and scope outside a transaction, for the objects clients poll (GET
 * /v1/payment_intents/:id): the reads that arrive while one is running share the next statement,
 * `WHERE id = ANY(…)`, as writes share a group commit. Each still sees every commit acknowledged
 * before its request came, since its statement is sent after. Alone, a read is the one-row SELECT.
 */
function sharedGet<T extends { id: string; account_id: string; livemode: boolean }>(db: Db, t: Table<T>): (s: Scope, id: string) => Promise<T | undefined> {
  const batcher = new Batcher<{ scope: Scope; id: string }, T | undefined>(async (items) => {
    if (items.length === 1) return [await one(db, t, scoped, scopeParams(items[0]!.scope, items[0]!.id))];
    const rows = await db.query(`SELECT ${selected(t)} FROM ${t.name} WHERE id = ANY($1::text[])`, [[...new Set(items.map((i) => i.id))]]);
    const byId = new Map(rows.map((r) => [String(r.id), fromRow(t, r)]));
    return items.map(({ scope, id }) => {
      const found = byId.get(id);
      return found && found.account_id === scope.account_id && found.livemode === scope.livemode ? found : undefined;
    });
  }, { concurrency: db.kind === 'pglite' ? 1 : 2, maxBatch: 100, gather: db.kind === 'pglite' });
  return (scope, id) => batcher.add({ scope, id });
}

export function sqlStore(db: Db): Store {
  const hints = new EndpointHints(db);
  const base = repos(db, hints);
  return {
    ...base,
    paymentIntents: { ...base.paymentIntents, get: sharedGet(db, PAYMENT_INTENTS) },
    tx: async (fn) => {
      try {
        return await db.tx((q) => fn(repos(q, hints)));
      } catch (err) {
        if (isUniqueViolation(err)) throw new StoreConflict((err as { constraint?: string }).constraint);
        if ((err as { code?: string }).code === PRESUMPTION_FAILED) throw new StoreStale();
        throw err;
      }
    },
  };
}
