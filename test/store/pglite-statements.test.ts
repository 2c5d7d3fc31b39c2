/**
 * PGlite's statements through pglite-statements.ts answer exactly what PGlite's own `query()`
 * answers — the same rows, typed the same, the same errors — while preparing each text once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PGlite } from '@electric-sql/pglite';
import { PgliteStatements } from '../../src/store/pglite-statements.js';
import { openPglite, openPostgres, StatementError, type Db } from '../../src/store/db.js';
import { randomToken } from '../../src/core/ids.js';
import { dropSchema, stores, TEST_DATABASE_URL } from '../helpers/gateway.js';

describe('PGlite prepared statements', () => {
  let pg: PGlite;
  let statements: PgliteStatements;
  before(async () => {
    pg = new PGlite(undefined, { parsers: { 20: (t: string) => Number(t) } });
    await pg.waitReady;
    statements = new PgliteStatements(pg, 5);
    await pg.exec(`CREATE TABLE t (
      seq bigserial PRIMARY KEY, id text UNIQUE NOT NULL, n integer, big bigint, ok boolean, doc jsonb,
      tags text[], ns int[], price numeric, at timestamptz, note text
    )`);
  });
  after(async () => {
    await pg.close();
  });

  const row = (i: number): unknown[] => [
    `r${i}`, i % 3 === 0 ? null : i * 7, 9_007_199_254_740_000 + i, i % 2 === 0, { i, nested: { s: `é "${i}"\\` }, list: [1, null, 'x'] },
    [`a${i}`, 'b,c', 'd"e', ''], [i, -i], `${i}.25`, new Date(1_700_000_000_000 + i), i % 4 === 0 ? null : `note ${i}`,
  ];
  const INSERT = 'INSERT INTO t (id, n, big, ok, doc, tags, ns, price, at, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING seq, id';

  test('rows and their types are those of query(), for every column type the store uses', async () => {
    for (let i = 0; i < 20; i++) {
      const via = i % 2 === 0 ? await statements.query(INSERT, row(i)) : (await pg.query(INSERT, row(i))).rows;
      assert.equal(via.length, 1);
    }
    for (const sql of ['SELECT * FROM t ORDER BY seq', 'SELECT id, doc->\'nested\' AS nested, tags[2] AS second, cardinality(ns) AS c FROM t WHERE ok = $1 ORDER BY id', 'SELECT count(*) AS n, sum(price) AS total FROM t WHERE n > $1']) {
      const params = sql.includes('$1') ? [sql.includes('ok') ? true : 10] : [];
      for (let round = 0; round < 8; round++) {
        // Past five runs PostgreSQL may switch to a generic plan: the answer must not change.
        assert.deepEqual(await statements.query(sql, params), (await pg.query(sql, params)).rows, sql);
      }
    }
  });

  test('null, undefined and array parameters bind as query() binds them', async () => {
    const sql = 'SELECT $1::text AS a, $2::int[] AS b, $3::jsonb AS c, $4::text[] AS d';
    const params = [undefined, [1, 2, 3], ['x', { y: 1 }], ['p', null, 'q r']];
    assert.deepEqual(await statements.query(sql, params), (await pg.query(sql, params)).rows);
  });

  test('errors are PostgreSQL\'s, with their SQLSTATE and constraint, and the statement can run again', async () => {
    const err = await statements.query(INSERT, row(0)).then(() => undefined, (e: unknown) => e as { code: string; constraint: string });
    assert.equal(err?.code, '23505');
    assert.equal(err?.constraint, 't_id_key');
    assert.equal((await statements.query(INSERT, row(1000)))[0]!.id, 'r1000');
    const syntax = await statements.query('SELECT FROM WHERE', []).then(() => undefined, (e: unknown) => e as { code: string });
    assert.equal(syntax?.code, '42601');
    const wrongCount = await statements.query('SELECT $1::int AS x', []).then(() => undefined, (e: unknown) => e as { code: string });
    assert.equal(wrongCount?.code, '08P01');
  });

  test('a table changed under a prepared SELECT * is prepared again', async () => {
    await statements.query('SELECT * FROM t WHERE id = $1', ['r2']);
    await pg.exec('ALTER TABLE t ADD COLUMN extra text DEFAULT \'x\'');
    const [r] = await statements.query('SELECT * FROM t WHERE id = $1', ['r2']);
    assert.equal(r!.extra, 'x');
  });

  test('a text run once is not kept prepared (group commits make one-off texts); from its second run it is', async () => {
    const before = statements.size;
    const named = async () => (await pg.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name <> ''")).rows[0]!.n;
    const heldBefore = await named();
    const text = `SELECT 'once ${randomToken(8)}' AS v, $1::int AS w`;
    assert.deepEqual(await statements.query(text, [1]), [{ v: text.slice(8, 21), w: 1 }]);
    assert.equal(statements.size, before, 'not kept after one run');
    assert.equal(await named(), heldBefore, 'and PostgreSQL holds no named statement for it');
    assert.deepEqual(await statements.query(text, [2]), [{ v: text.slice(8, 21), w: 2 }]);
    assert.equal(statements.size, Math.min(before + 1, 5), 'kept from the second run');
    assert.deepEqual(await statements.query(text, [3]), [{ v: text.slice(8, 21), w: 3 }]);
  });

  test('beyond its limit the least recently used statement is closed, and runs again when asked', async () => {
    for (let i = 0; i < 12; i++) {
      for (const run of [1, 2]) assert.deepEqual(await statements.query(`SELECT ${i} AS v, $1::int AS w`, [i * run]), [{ v: i, w: i * run }]);
    }
    assert.equal(statements.size, 5, `${statements.size} prepared`);
    const prepared = (await pg.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_prepared_statements')).rows[0]!.n;
    assert.ok(prepared <= 6, `PostgreSQL holds ${prepared} prepared statements`);
    assert.deepEqual(await statements.query('SELECT 0 AS v, $1::int AS w', [0]), [{ v: 0, w: 0 }]);
  });

  test('DDL and other statements go through query()', async () => {
    await statements.query('CREATE TABLE u (x int)');
    await statements.query('INSERT INTO u VALUES ($1)', [4]);
    assert.deepEqual(await statements.query('SELECT x FROM u'), [{ x: 4 }]);
  });
});

describe('PGlite store: a statement outside a transaction waits for the open one', () => {
  let db: Db;
  before(async () => {
    db = await openPglite(undefined);
    await db.query('CREATE TABLE w (id int PRIMARY KEY)');
  });
  after(async () => {
    await db.close();
  });

  test('it sees the transaction\'s rows only once committed, and a rolled back one never', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let inside!: () => void;
    const started = new Promise<void>((r) => (inside = r));
    const tx = db.tx(async (q) => {
      await q.query('INSERT INTO w VALUES (1) RETURNING id');
      inside();
      await held;
    });
    await started;
    let answered = false;
    const outside = db.query<{ n: number }>('SELECT count(*)::int AS n FROM w').then((r) => {
      answered = true;
      return r[0]!.n;
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(answered, false, 'answered while the transaction was open');
    release();
    await tx;
    assert.equal(await outside, 1);

    const failed = db.tx(async (q) => {
      await q.query('INSERT INTO w VALUES (2) RETURNING id');
      await q.query('INSERT INTO w VALUES (2) RETURNING id');
    });
    await assert.rejects(failed, (e) => e instanceof StatementError && e.code === '23505');
    assert.deepEqual(await db.query('SELECT id FROM w ORDER BY id'), [{ id: 1 }]);
  });
});

for (const { kind, skip } of await stores()) {
  describe(`prepared statements after another process changed a table [${kind}]`, { skip }, () => {
    let db: Db;
    let other: Db | undefined;
    const schema = `t_${randomToken(10).toLowerCase()}`;
    before(async () => {
      db = kind === 'pglite' ? await openPglite(undefined) : await openPostgres({ connectionString: TEST_DATABASE_URL, schema, max: 1 });
      // On PostgreSQL the change comes from another connection, as a migration run by another process would.
      other = kind === 'postgres' ? await openPostgres({ connectionString: TEST_DATABASE_URL, schema }) : undefined;
      await db.query('CREATE TABLE grown (id text PRIMARY KEY, n int)');
      await db.query("INSERT INTO grown VALUES ('a', 1)");
    });
    after(async () => {
      await db?.close();
      await other?.close();
      if (kind === 'postgres') await dropSchema(schema);
    });

    test('a SELECT * prepared before a column was added answers with the new column, outside and then inside a transaction', async () => {
      for (let i = 0; i < 3; i++) assert.deepEqual(await db.query('SELECT * FROM grown WHERE id = $1', ['a']), [{ id: 'a', n: 1 }]);
      await (other ?? db).query("ALTER TABLE grown ADD COLUMN note text DEFAULT 'x'");
      assert.deepEqual(await db.query('SELECT * FROM grown WHERE id = $1', ['a']), [{ id: 'a', n: 1, note: 'x' }]);
      await db.tx(async (q) => assert.deepEqual(await q.query('SELECT * FROM grown WHERE id = $1 FOR UPDATE', ['a']), [{ id: 'a', n: 1, note: 'x' }]));
      await (other ?? db).query('ALTER TABLE grown ADD COLUMN more int DEFAULT 2');
      // Inside a transaction a stale plan fails that transaction once; the next one prepares afresh.
      const first = await db.tx(async (q) => q.query('SELECT * FROM grown WHERE id = $1 FOR UPDATE', ['a'])).catch((e: { code?: string }) => e.code);
      if (first !== '0A000') assert.deepEqual(first, [{ id: 'a', n: 1, note: 'x', more: 2 }]);
      await db.tx(async (q) => assert.deepEqual(await q.query('SELECT * FROM grown WHERE id = $1 FOR UPDATE', ['a']), [{ id: 'a', n: 1, note: 'x', more: 2 }]));
    });
  });
}
