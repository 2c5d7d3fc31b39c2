/**
 * The webhook outbox's claim and record (migrations 0013 and 0024) read the deliveries they claim
 * and record, not the backlog: with 5,000 deliveries pending, claiming 64 and recording them reads
 * a few rows of webhook_deliveries per delivery, however the planner judges the table. Counted by
 * PostgreSQL itself in the transaction (pg_stat_xact_user_tables: rows read by sequential scans and
 * fetched through indexes), before ANALYZE (a PGlite gateway has statistics only from its hourly
 * ANALYZE, and the table fills in seconds) and after. Migration 0013's UPDATE … FROM joins hashed
 * the whole table on each claim and every pending row on each record: about 5,000 rows a call.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeOwn, dropSchema, stores, TEST_DATABASE_URL } from '../helpers/gateway.js';
import { openPglite, openPostgres, type Db, type Queryable, type TxQueryable } from '../../src/store/db.js';
import { CORE_MIGRATIONS, migrate } from '../../src/store/migrate.js';
import { sqlStore } from '../../src/store/repos.js';
import { randomToken } from '../../src/core/ids.js';
import type { DeliveryResult } from '../../src/core/store.js';

const PENDING = 5_000;
const CLAIM = 64;

interface Reads {
  seq_tup_read: number;
  idx_tup_fetch: number;
}

/** Rows of webhook_deliveries read so far in this transaction. */
async function reads(q: Queryable): Promise<number> {
  const [r] = await q.query<Reads & Record<string, unknown>>(
    "SELECT coalesce(seq_tup_read, 0)::int8 AS seq_tup_read, coalesce(idx_tup_fetch, 0)::int8 AS idx_tup_fetch FROM pg_stat_xact_user_tables WHERE relname = 'webhook_deliveries'");
  return Number(r?.seq_tup_read ?? 0) + Number(r?.idx_tup_fetch ?? 0);
}

for (const { kind, skip } of await stores()) {
  describe(`the webhook outbox reads what it claims, not its backlog [${kind}]`, { skip }, () => {
    let db: Db;
    const schema = `t_${randomToken(10).toLowerCase()}`;
    const now = Date.now();

    before(async () => {
      db = kind === 'pglite' ? await openPglite(undefined) : await openPostgres({ connectionString: TEST_DATABASE_URL, schema });
      await migrate(db, CORE_MIGRATIONS);
      await db.query('INSERT INTO accounts (id, name, created) VALUES ($1, $2, $3)', ['acct_outbox', 'Outbox', now]);
      await db.query(`INSERT INTO webhook_endpoints (id, account_id, livemode, created, updated, url, enabled_events, status, secret)
        VALUES ('we_outbox', 'acct_outbox', false, $1, $1, 'https://shop.example/hooks', '["*"]', 'enabled', 'whsec_outbox')`, [now]);
      await db.query(`INSERT INTO events (id, account_id, livemode, created, type, api_version, object_id, data, pending_webhooks)
        SELECT 'evt_outbox' || g, 'acct_outbox', false, $1::int8 + g, 'payment_intent.created', '2024-06-20', 'pi_outbox' || g, '{"object": {}}', 1
          FROM generate_series(1, ${PENDING}) g`, [now]);
      await db.query(`INSERT INTO webhook_deliveries (id, account_id, livemode, event_id, endpoint_id, created, status, attempts, next_attempt_at)
        SELECT 'wd_' || id, account_id, livemode, id, 'we_outbox', created, 'pending', 0, created FROM events`);
    });
    after(async () => {
      await db?.close();
      if (kind === 'postgres') await dropSchema(schema);
    });

    const claimAndRecord = async (at: number) => {
      // The store's own transaction, and its connection for the counters.
      let q!: TxQueryable;
      const seen: Db = { kind: db.kind, query: (sql, params) => db.query(sql, params), tx: (fn) => db.tx((t) => fn((q = t))), close: async () => undefined };
      await sqlStore(seen).tx(async (s) => {
        const before = await reads(q);
        const claimed = await s.deliveries.claimDue(at, CLAIM, 30_000, new Map([['we_outbox', CLAIM]]), 4);
        const afterClaim = await reads(q);
        assert.equal(claimed.length, CLAIM);
        assert.deepEqual(claimed.map((d) => d.event.id), claimed.map((d) => d.event.id).sort((a, b) => Number(a.slice(10)) - Number(b.slice(10))),
          'sent in the order they were made');
        const results: DeliveryResult[] = claimed.map((d, i) => ({
          delivery_id: d.delivery.id, endpoint_id: d.endpoint.id, attempt: d.delivery.attempts, started: at, latency_ms: 3,
          http_status: i % 8 === 0 ? 500 : 200, error: null, response_excerpt: null,
          outcome: i % 8 === 0 ? 'retry' : 'succeeded', next_attempt_at: i % 8 === 0 ? at + 60_000 : null,
        }));
        assert.deepEqual(await s.deliveries.recordResults(results, at, 86_400_000), []);
        const afterRecord = await reads(q);
        // A handful of reads per row (the claim's index scan, its update, reading it back; the
        // record's lookup, its attempt's foreign key, its update), against 5,000 a call before.
        assert.ok(afterClaim - before <= 6 * CLAIM, `the claim of ${CLAIM} read ${afterClaim - before} rows of webhook_deliveries`);
        assert.ok(afterRecord - afterClaim <= 6 * CLAIM, `the record of ${CLAIM} read ${afterRecord - afterClaim} rows of webhook_deliveries`);
        const states = await q.query<{ status: string; n: number }>(
          'SELECT status, count(*)::int AS n FROM webhook_deliveries WHERE id = ANY($1::text[]) GROUP BY status ORDER BY status', [claimed.map((d) => d.delivery.id)]);
        assert.deepEqual(states.map((r) => [r.status, r.n]), [['pending', CLAIM / 8], ['succeeded', CLAIM - CLAIM / 8]]);
        const events = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE id = ANY($1::text[]) AND pending_webhooks = 0', [claimed.map((d) => d.event.id)]);
        assert.equal(events[0]!.n, CLAIM - CLAIM / 8, 'each ended delivery leaves its event with no webhook pending');
      });
    };

    test(`${PENDING} pending, no statistics: claiming ${CLAIM} and recording them reads a few rows each`, async () => {
      await claimAndRecord(now + PENDING);
    });

    test('after ANALYZE: the same', async () => {
      await analyzeOwn(db);
      await claimAndRecord(now + PENDING + 60_000);
    });
  });
}
