/**
 * The balance's running totals (migration 0022, store/balances.ts): GET /v1/balance reads the
 * folded totals plus the transactions not folded yet, so its cost is the recent window, not the
 * account's history. Whatever the order of inserts, releases and folds — and with processes
 * folding side by side on PostgreSQL — the balance is always exactly the sum of the transactions,
 * and each transaction is added to a total once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dropSchema, stores, TEST_DATABASE_URL } from '../helpers/gateway.js';
import { openPglite, openPostgres, type Db } from '../../src/store/db.js';
import { CORE_MIGRATIONS, migrate } from '../../src/store/migrate.js';
import { sqlStore } from '../../src/store/repos.js';
import { resetTestData } from '../../src/store/reset.js';
import { SIMULATOR_MIGRATIONS } from '../../src/simulator/migrations.js';
import { randomToken } from '../../src/core/ids.js';
import type { Scope, Store } from '../../src/core/store.js';
import type { BalanceTotal, BalanceTransactionRecord } from '../../src/core/balances/records.js';

const ACCOUNTS = ['acct_totals_a', 'acct_totals_b'];
const CURRENCIES = ['USD', 'HKD'];

function txn(i: number, o: { account: number; livemode: boolean; currency: number; net: number; pending: boolean; availableOn: number }): BalanceTransactionRecord {
  return {
    id: `txn_t${i}_${randomToken(8)}`, account_id: ACCOUNTS[o.account]!, livemode: o.livemode, created: 1_000 + i,
    available_on: o.availableOn, status: o.pending ? 'pending' : 'available', type: 'charge', reporting_category: 'charge',
    source_id: `ch_t${i}_${randomToken(8)}`, charge_id: `ch_t${i}`, payment_intent_id: `pi_t${i}`,
    amount: o.net, currency: CURRENCIES[o.currency]!, exchange_rate: null, fee: 0, fee_details: [], net: o.net, description: null,
  };
}

/** The balance as the sum of every transaction, the long way. */
async function summed(db: Db, s: Scope): Promise<BalanceTotal[]> {
  const rows = await db.query<{ currency: string; status: 'pending' | 'available'; amount: string }>(
    `SELECT currency, status, sum(net)::text AS amount FROM balance_transactions WHERE account_id = $1 AND livemode = $2
      GROUP BY currency, status ORDER BY currency, status`, [s.account_id, s.livemode]);
  return rows.map((r) => ({ currency: r.currency, status: r.status, amount: Number(r.amount) }));
}

/** totals() with zero lines dropped (a total folded to zero is still a row). */
async function totals(store: Store, s: Scope): Promise<BalanceTotal[]> {
  return (await store.balanceTransactions.totals(s)).filter((t) => t.amount !== 0);
}

const SCOPES: Scope[] = ACCOUNTS.flatMap((account_id) => [false, true].map((livemode) => ({ account_id, livemode })));

async function checkAll(db: Db, store: Store, where: string): Promise<void> {
  for (const s of SCOPES) {
    assert.deepEqual(await totals(store, s), (await summed(db, s)).filter((t) => t.amount !== 0), `${where}: ${s.account_id} livemode=${s.livemode}`);
  }
}

const op = fc.oneof(
  fc.record({
    kind: fc.constant('insert' as const), account: fc.integer({ min: 0, max: 1 }), livemode: fc.boolean(), currency: fc.integer({ min: 0, max: 1 }),
    net: fc.integer({ min: -50_000, max: 100_000 }), pending: fc.boolean(), availableOn: fc.integer({ min: 0, max: 100 }),
  }),
  fc.record({ kind: fc.constant('release' as const), now: fc.integer({ min: 0, max: 100 }), limit: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('fold' as const), limit: fc.integer({ min: 1, max: 4 }) }),
);

for (const { kind, skip } of await stores()) {
  describe(`balance running totals [${kind}]`, { skip }, () => {
    let db: Db;
    let store: Store;
    const schema = `t_${randomToken(10).toLowerCase()}`;
    let n = 0;

    before(async () => {
      db = kind === 'pglite' ? await openPglite(undefined) : await openPostgres({ connectionString: TEST_DATABASE_URL, schema });
      // The simulator's tables too: reset clears them.
      await migrate(db, [...CORE_MIGRATIONS, ...SIMULATOR_MIGRATIONS]);
      for (const id of ACCOUNTS) await db.query('INSERT INTO accounts (id, name, created) VALUES ($1, $2, $3)', [id, id, 0]);
      store = sqlStore(db);
    });
    after(async () => {
      await db?.close();
      if (kind === 'postgres') await dropSchema(schema);
    });

    test('after every step of a random mix of inserts, releases and folds, the balance is the sum of the transactions', async () => {
      let folded = 0;
      await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        for (const o of ops) {
          if (o.kind === 'insert') await store.tx((s) => s.balanceTransactions.insert(txn(n++, o)));
          else if (o.kind === 'release') await store.tx((s) => s.balanceTransactions.releaseDue(o.now, o.limit));
          else folded += await store.balanceTransactions.fold(o.limit);
          await checkAll(db, store, o.kind);
        }
      }), { numRuns: 25 });
      // The mix did fold (a property that never folds proves nothing about folding).
      assert.ok(folded > 20, `folded ${folded}`);
      while ((await store.balanceTransactions.fold(50)) > 0);
      const [left] = await db.query<{ n: string }>("SELECT count(*)::text AS n FROM balance_transactions WHERE NOT folded AND status = 'available'");
      assert.equal(left!.n, '0', 'folding to the end leaves nothing available unfolded');
      await checkAll(db, store, 'after folding everything');
    });

    // PGlite is one connection: nothing runs side by side there.
    if (kind === 'postgres') test('folds side by side with inserts and releases: each transaction is added to a total once', async () => {
      const inserts = async (w: number) => {
        for (let i = 0; i < 60; i++) {
          await store.tx((s) => s.balanceTransactions.insert(txn(n++, { account: (w + i) % 2, livemode: i % 3 === 0, currency: i % 2, net: 1_000 + w * 100 + i, pending: i % 4 === 0, availableOn: i })));
        }
      };
      const folders = async () => {
        let folded = 0;
        for (let i = 0; i < 40; i++) {
          await store.tx((s) => s.balanceTransactions.releaseDue(i * 2, 3));
          folded += await store.balanceTransactions.fold(3);
        }
        return folded;
      };
      const done = await Promise.all([inserts(0), inserts(1), inserts(2), folders(), folders(), folders()]);
      const folded = (done.slice(3) as number[]).reduce((a, b) => a + b, 0);
      assert.ok(folded > 30, `the folders raced over rows (${folded} folded)`);
      await checkAll(db, store, 'while some are left unfolded');
      await store.tx((s) => s.balanceTransactions.releaseDue(1_000, 10_000));
      while ((await store.balanceTransactions.fold(50)) > 0);
      await checkAll(db, store, 'after folding everything');
    });

    test('reset forgets the test-mode totals with the test transactions; live ones stay', async () => {
      await store.tx((s) => s.balanceTransactions.insert(txn(n++, { account: 0, livemode: false, currency: 0, net: 700, pending: false, availableOn: 0 })));
      await store.tx((s) => s.balanceTransactions.insert(txn(n++, { account: 0, livemode: true, currency: 0, net: 900, pending: false, availableOn: 0 })));
      while ((await store.balanceTransactions.fold(50)) > 0);
      const live = await totals(store, { account_id: ACCOUNTS[0]!, livemode: true });
      assert.ok(live.length > 0);
      const deleted = await resetTestData(db);
      assert.ok(deleted.balance_totals! > 0, JSON.stringify(deleted));
      for (const s of SCOPES.filter((x) => !x.livemode)) assert.deepEqual(await totals(store, s), [], `${s.account_id} test mode is empty`);
      assert.deepEqual(await totals(store, { account_id: ACCOUNTS[0]!, livemode: true }), live);
      await checkAll(db, store, 'after reset');
    });
  });
}
