/**
 * The statements that the API's lists and lookups, the idempotency layer and the background
 * workers (webhook outbox, upstream polling, checkout expiry, Trust Payments settlement) run on
 * every request or every tick, on a store filled with 20,000 payments over a year (with attempts,
 * charges, refunds, balance transactions, events, webhook deliveries, idempotency keys, checkout
 * sessions and TP transactions): each is answered through an index, never by reading a whole big table (EXPLAIN). The statements
 * are the store's own (store/repos.ts, store/idempotency.ts, store/tp-repos.ts), run through a
 * wrapper that EXPLAINs each one first, so a change to their SQL is checked as it is.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeOwn, dropSchema, stores, TEST_DATABASE_URL } from '../helpers/gateway.js';
import { fillPayments } from '../helpers/dashboard-fill.js';
import { openPglite, openPostgres, type Db, type Queryable } from '../../src/store/db.js';
import { CORE_MIGRATIONS, migrate } from '../../src/store/migrate.js';
import { sqlStore } from '../../src/store/repos.js';
import { claimKey } from '../../src/store/idempotency.js';
import { randomToken } from '../../src/core/ids.js';
import type { Scope, Store } from '../../src/core/store.js';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function nodes(n: PlanNode, out: PlanNode[] = []): PlanNode[] {
  out.push(n);
  for (const c of n.Plans ?? []) nodes(c, out);
  return out;
}

type Plans = { sql: string; nodes: PlanNode[] }[];

/** Runs every statement, and first EXPLAINs it with the same parameters. */
function explainingQ(q: Queryable, plans: Plans): Queryable {
  return {
    query: async (sql, params) => {
      const [row] = await q.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(`EXPLAIN (FORMAT JSON) ${sql}`, params);
      plans.push({ sql, nodes: nodes(row!['QUERY PLAN'][0]!.Plan) });
      return q.query(sql, params);
    },
  };
}

function explaining(db: Db, plans: Plans): Db {
  return { kind: db.kind, query: explainingQ(db, plans).query, tx: (fn) => db.tx((q) => fn({ ...explainingQ(q, plans), defer: (w) => q.defer(w), waiting: (w) => q.waiting(w) })), close: () => db.close() };
}

const BIG = [
  'payment_intents', 'payment_methods', 'payment_attempts', 'charges', 'events', 'refunds', 'webhook_deliveries',
  'idempotency_keys', 'checkout_sessions', 'tp_transactions', 'balance_transactions',
];

const COUNT = 20_000;

/** Beside fillPayments: the outbox, idempotency keys, checkout sessions, TP transactions, and a few rows due for each worker. */
async function fillRest(db: Db, accountId: string, now: number): Promise<void> {
  await db.query(`INSERT INTO webhook_endpoints (id, account_id, livemode, created, updated, url, enabled_events, status, secret)
    VALUES ('we_hot', $1, false, $2, $2, 'https://shop.example/hooks', '["*"]', 'enabled', 'whsec_hot')`, [accountId, now]);
  // Every event delivered; one in a hundred pending (due in an hour), one in a thousand due now.
  await db.query(`INSERT INTO webhook_deliveries (id, account_id, livemode, event_id, endpoint_id, created, status, attempts, next_attempt_at,
      last_attempt_at, last_status, completed_at)
    SELECT 'wd_' || id, account_id, livemode, id, 'we_hot', created,
           CASE WHEN seq % 100 = 0 THEN 'pending' ELSE 'succeeded' END, 1,
           CASE WHEN seq % 1000 = 0 THEN $1::int8 - 1000 WHEN seq % 100 = 0 THEN $1::int8 + 3600000 END,
           created + 100, 200, CASE WHEN seq % 100 <> 0 THEN created + 100 END
      FROM events`, [now]);
  // Attempts waiting for the shopper are polled: one in ten due now, the rest later.
  await db.query(`UPDATE payment_attempts SET next_poll_at = CASE WHEN right(id, 1) = '0' THEN $1::int8 - 1000 ELSE $1::int8 + 3600000 END
    WHERE status = 'redirected'`, [now]);
  // fillPayments refunds one succeeded payment in ten; a store that has taken 20,000 payments holds more.
  await db.query(`INSERT INTO refunds (id, account_id, livemode, created, updated, payment_intent_id, charge_id, amount, currency, status)
    SELECT 're_more_' || c.id, c.account_id, c.livemode, c.created + 120000, c.created + 120000, c.payment_intent_id, c.id, 1, c.currency,
           CASE WHEN right(c.id, 2) = '07' THEN 'pending' ELSE 'succeeded' END
      FROM charges c`);
  await db.query(`UPDATE refunds SET next_poll_at = CASE WHEN right(id, 1) = '0' THEN $1::int8 - 1000 ELSE $1::int8 + 3600000 END WHERE status = 'pending'`, [now]);
  await db.query(`INSERT INTO idempotency_keys (account_id, livemode, key, request_hash, method, path, state, locked_at, created, response_status, response_body)
    SELECT $1, false, 'key-' || g, md5(g::text), 'POST', '/v1/payment_intents', 'done', $2::int8 - g * 1000, $2::int8 - g * 1000, 200, '{}'
      FROM generate_series(1, ${COUNT}) g`, [accountId, now]);
  // A checkout session for every other payment: complete or expired, two in a hundred still open (half of them due to expire).
  await db.query(`INSERT INTO checkout_sessions (id, account_id, livemode, created, updated, expires_at, status, payment_status, mode, currency,
      amount_subtotal, amount_total, success_url, billing_address_collection, payment_method_types, payment_intent_id)
    SELECT 'cs_' || id, account_id, livemode, created, created, CASE WHEN seq % 100 = 0 THEN $1::int8 - 1000 ELSE created + 86400000 END,
           CASE WHEN seq % 50 = 0 THEN 'open' WHEN status = 'succeeded' THEN 'complete' ELSE 'expired' END,
           CASE WHEN status = 'succeeded' AND seq % 50 <> 0 THEN 'paid' ELSE 'unpaid' END, 'payment', currency, amount, amount,
           'https://shop.example/ok', 'auto', payment_method_types, id
      FROM payment_intents WHERE seq % 2 = 0`, [now]);
  await db.query(`INSERT INTO tp_sites (site_reference, account_id, livemode, number, merchant_name, partner_id, created)
    VALUES ('hot_site', $1, false, 77, 'Hot', '2088000000000000', $2)`, [accountId, now]);
  // An AUTH for every other payment: settled, except one in a hundred due to settle and one in a hundred still pending.
  await db.query(`INSERT INTO tp_transactions (reference, account_id, livemode, site_reference, request_type, payment_intent_id, order_reference,
      base_amount, currency, settle_status, settle_due_date, error_code, fields, authorised_at, settled_at, created, updated)
    SELECT '1-77-' || seq, account_id, livemode, 'hot_site', 'AUTH', id, 'ORD-' || seq, amount, currency,
           CASE WHEN seq % 100 = 1 THEN 0 WHEN seq % 100 = 3 THEN 10 ELSE 100 END, '2026-01-01', '0', '{}',
           CASE WHEN seq % 100 = 3 THEN NULL ELSE created + 1000 END,
           CASE WHEN seq % 100 IN (1, 3) THEN NULL ELSE created + 86400000 END, created, created
      FROM payment_intents WHERE seq % 2 = 1`);
  // The availability job has folded every available balance transaction into the running totals
  // (migration 0022); since then a tenth of the pending ones became available, not folded yet.
  while ((await sqlStore(db).balanceTransactions.fold(5_000)) > 0);
  await db.query("UPDATE balance_transactions SET status = 'available' WHERE status = 'pending' AND seq % 10 = 0");
}

for (const { kind, skip } of await stores()) {
  describe(`hot queries use indexes at 20,000 payments [${kind}]`, { skip }, () => {
    let db: Db;
    const schema = `t_${randomToken(10).toLowerCase()}`;
    const scope: Scope = { account_id: 'acct_hot', livemode: false };
    const now = Date.now();

    before(async () => {
      db = kind === 'pglite' ? await openPglite(undefined) : await openPostgres({ connectionString: TEST_DATABASE_URL, schema });
      await migrate(db, CORE_MIGRATIONS);
      await db.query('INSERT INTO accounts (id, name, created) VALUES ($1, $2, $3)', [scope.account_id, 'Hot', now]);
      await fillPayments(db, { accountId: scope.account_id, count: COUNT, now, prefix: 'hot', days: 365 });
      await fillRest(db, scope.account_id, now);
    });
    after(async () => {
      await db?.close();
      if (kind === 'postgres') await dropSchema(schema);
    });

    /**
     * `at` moves the workers' clock past the leases the previous pass took. First as filled (no
     * statistics: a PGlite gateway runs no autovacuum, and PostgreSQL's may not have run yet),
     * then after ANALYZE.
     */
    const check = async (at: number) => {
      const mid = `pi_hot${COUNT / 2}`;
      const succeeded = (await db.query<{ id: string; latest_charge_id: string }>(
        "SELECT id, latest_charge_id FROM payment_intents WHERE status = 'succeeded' AND id LIKE 'pi_hot%0' ORDER BY seq LIMIT 1"))[0]!;
      const presence = { id: 'lite:1', alive: async () => true, exclusive: async <T>(_name: string, task: () => Promise<T>) => task(), close: async () => undefined };
      const cases: [string, (s: Store, q: Queryable) => Promise<unknown>, (result: any) => boolean][] = [
        ['GET /v1/payment_intents, first page', (s) => s.paymentIntents.list(scope, { limit: 10 }), (r) => r.data.length === 10],
        ['GET /v1/payment_intents, starting_after halfway', (s) => s.paymentIntents.list(scope, { limit: 10, starting_after: mid }), (r) => r.data.length === 10],
        ['GET /v1/payment_intents, ending_before halfway', (s) => s.paymentIntents.list(scope, { limit: 10, ending_before: mid }), (r) => r.data.length === 10],
        ['GET /v1/payment_intents, created range', (s) => s.paymentIntents.list(scope, { limit: 10, created: { gte: now - 2 * 86_400_000, lt: now - 86_400_000 } }), (r) => r.data.length === 10],
        ['GET /v1/payment_intents/:id', (s) => s.paymentIntents.get(scope, mid), (r) => r?.id === mid],
        ['GET /v1/payment_intents/:id, 8 at once (one shared statement)', (s) => Promise.all(Array.from({ length: 8 }, (_v, i) => s.paymentIntents.get(scope, `pi_hot${COUNT / 2 + i}`))), (r) => r.every((p: unknown) => p !== undefined)],
        ['a PaymentIntent by id, locked', (s) => s.tx((t) => t.paymentIntents.lock(scope, mid)), (r) => r?.id === mid],
        ['a PaymentIntent by idempotency key', (s) => s.paymentIntents.findByIdempotencyKey(scope, 'no-such-key'), (r) => r === undefined],
        ['the open attempt of a PaymentIntent', (s) => s.attempts.open(mid), () => true],
        ['a charge by attempt', (s) => s.charges.byAttempt(`pa_${succeeded.id.slice(3)}`), (r) => r?.id === succeeded.latest_charge_id],
        ['GET /v1/charges', (s) => s.charges.list(scope, { limit: 10 }), (r) => r.data.length === 10],
        ['GET /v1/charges?payment_intent=', (s) => s.charges.list(scope, { limit: 10, payment_intent: succeeded.id }), (r) => r.data.length === 1],
        ['GET /v1/refunds', (s) => s.refunds.list(scope, { limit: 10 }), (r) => r.data.length === 10],
        ['GET /v1/refunds?payment_intent=', (s) => s.refunds.list(scope, { limit: 10, payment_intent: succeeded.id }), (r) => r.data.length === 2],
        ['GET /v1/refunds?charge=', (s) => s.refunds.list(scope, { limit: 10, charge: succeeded.latest_charge_id }), (r) => r.data.length === 2],
        ['a refund\'s standing: refunded so far of a charge, its Antom paymentId, an open dispute', (s) => s.refunds.standing(succeeded.latest_charge_id, `pa_${succeeded.id.slice(3)}`), (r) => r.reserved > 0 && r.disputed === false],
        ['a succeeded PaymentIntent\'s charge, locked', (s) => s.tx((t) => t.charges.lockLatestOf(scope, succeeded.id)), (r) => r?.id === succeeded.latest_charge_id],
        ['GET /v1/events', (s) => s.events.list(scope, { limit: 10 }), (r) => r.data.length === 10],
        ['GET /v1/events?type=', (s) => s.events.list(scope, { limit: 10, type: 'payment_intent.succeeded' }), (r) => r.data.length === 10],
        ['GET /v1/events about an object', (s) => s.events.list(scope, { limit: 10, object_id: mid }), (r) => r.data.length >= 1],
        ['GET /v1/webhook_deliveries', (s) => s.deliveries.list(scope, { limit: 10 }), (r) => r.data.length === 10],
        ['GET /v1/webhook_deliveries?webhook_endpoint=', (s) => s.deliveries.list(scope, { limit: 10, webhook_endpoint: 'we_hot' }), (r) => r.data.length === 10],
        ['GET /v1/webhook_deliveries?event=', (s) => s.deliveries.list(scope, { limit: 10, event: `evt_hot${COUNT / 2}_0` }), (r) => r.data.length === 1],
        ['GET /v1/webhook_deliveries?status=pending', (s) => s.deliveries.list(scope, { limit: 10, status: 'pending' }), (r) => r.data.length === 10],
        ['a delivery\'s attempts', (s) => s.deliveries.attempts(`wd_evt_hot${COUNT / 2}_0`), () => true],
        ['webhook deliveries due (the outbox claim)', (s) => s.tx((t) => t.deliveries.claimDue(at, 32, 30_000, new Map(), 4)), (r) => r.length > 0],
        ['an endpoint\'s pending deliveries', (s) => s.deliveries.pendingFor('we_hot'), (r) => r.length > 0],
        ['payment attempts due for polling', (s) => s.tx((t) => t.attempts.claimDue(at, 32, 30_000)), (r) => r.length > 0],
        ['refunds due for polling', (s) => s.tx((t) => t.refunds.claimDue(at, 32, 30_000)), (r) => r.length > 0],
        ['checkout sessions due to expire', (s) => s.checkoutSessions.dueToExpire(at, 32), (r) => r.length > 0],
        ['GET /v1/checkout/sessions?payment_intent=', (s) => s.checkoutSessions.list(scope, { limit: 10, payment_intent: `pi_hot${COUNT / 2}` }), (r) => r.data.length === 1],
        ['a checkout session by id', (s) => s.checkoutSessions.findById(`cs_pi_hot${COUNT / 2}`), (r) => r?.id === `cs_pi_hot${COUNT / 2}`],
        ['an Idempotency-Key already used', (_s, q) => claimKey(q, { ...scope, key: `key-${COUNT / 2}`, request_hash: 'h', method: 'POST', path: '/v1/payment_intents', request_id: 'req_1', owner: presence.id, at: now }, 60_000, presence), (r) => r.claimed === false],
        ['TP transactions due to settle', (s) => s.tx((t) => t.tp.claimDueToSettle(false, at, 32)), (r) => r.length > 0],
        ['TP transactions overdue', (s) => s.tx((t) => t.tp.claimOverdue(at, 32)), (r) => r.length > 0],
        ['GET /v1/balance (the running totals and what is not folded yet)', (s) => s.balanceTransactions.totals(scope), (r) => r.some((t: any) => t.status === 'available' && t.amount > 0) && r.some((t: any) => t.status === 'pending' && t.amount > 0)],
        ['GET /v1/balance_transactions', (s) => s.balanceTransactions.list(scope, { limit: 10 }), (r) => r.data.length === 10],
        ['GET /v1/balance_transactions?source=', (s) => s.balanceTransactions.list(scope, { limit: 10, source: succeeded.latest_charge_id }), (r) => r.data.length === 1],
        ['the balance transactions of a charge', (s) => s.balanceTransactions.forSource(succeeded.latest_charge_id), (r) => r.length === 1],
        ['the settlement report of a day', (s) => s.balanceTransactions.report(scope, now - 3 * 86_400_000, now - 2 * 86_400_000), (r) => r.length > 0],
        ['balance transactions due to become available', (s) => s.tx((t) => t.balanceTransactions.releaseDue(at + 3 * 86_400_000, 32)), (r) => r > 0],
        ['available balance transactions to fold', (s) => s.balanceTransactions.fold(32), (r) => r > 0],
        ['the TP AUTH of a PaymentIntent', (s) => s.tp.authOf(`pi_hot${COUNT / 2 + 1}`), (r) => r !== undefined],
      ];
      const failures: string[] = [];
      for (const [name, run, found] of cases) {
        const plans: Plans = [];
        const wrapped = explaining(db, plans);
        const result = await run(sqlStore(wrapped), wrapped);
        // What the case found is what the fill holds (a plan over nothing proves nothing).
        assert.ok(found(result), `${name}: unexpected result ${JSON.stringify(result)?.slice(0, 300)}`);
        assert.ok(plans.length > 0, name);
        for (const p of plans) {
          const seq = p.nodes.filter((n) => n['Node Type'] === 'Seq Scan' && BIG.includes(n['Relation Name'] ?? ''));
          if (seq.length > 0) {
            failures.push(`${name} reads a whole table (${seq.map((n) => n['Relation Name']).join(', ')}):\n  ${p.sql.replace(/\s+/g, ' ')}\n  ${JSON.stringify(p.nodes.map((n) => [n['Node Type'], n['Relation Name'], n['Index Name']]))}`);
          }
        }
      }
      assert.deepEqual(failures, []);
    };

    test('as filled, without statistics: API lists and lookups, idempotency keys and the workers\' claims read through indexes, no Seq Scan on a big table', async () => {
      await check(now);
    });

    test('after ANALYZE: the same', async () => {
      await analyzeOwn(db);
      await check(now + 60_000);
    });
  });
}
