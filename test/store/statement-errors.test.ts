/**
 * The store's errors name what went wrong (SQLSTATE, constraint, table) and carry none of the
 * values: not the statement's parameters (PGlite attaches them), not PostgreSQL's `detail` (the
 * clashing key, the failing row), not the value a data error quotes in its message.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { openPglite, openPostgres, StatementError, isUniqueViolation, type Db } from '../../src/store/db.js';
import { randomToken } from '../../src/core/ids.js';
import { dropSchema, stores, TEST_DATABASE_URL } from '../helpers/gateway.js';

/** Everything a logger or a careless `String(err)` could print. */
function everything(err: unknown): string {
  return [inspect(err, { depth: 5, showHidden: true }), JSON.stringify(err), String(err), (err as Error).stack ?? ''].join('\n');
}

async function failure(run: () => Promise<unknown>): Promise<StatementError> {
  try {
    await run();
  } catch (err) {
    assert.ok(err instanceof StatementError, `a StatementError, not ${inspect(err)}`);
    return err;
  }
  assert.fail('the statement did not fail');
}

for (const { kind, skip } of await stores()) {
  describe(`statement errors [${kind}]`, { skip }, () => {
    let db: Db;
    const schema = `t_${randomToken(10).toLowerCase()}`;
    before(async () => {
      db = kind === 'pglite' ? await openPglite(undefined) : await openPostgres({ connectionString: TEST_DATABASE_URL, schema });
      await db.query("CREATE TABLE vault (id text PRIMARY KEY, secret text NOT NULL UNIQUE, n integer, note text CHECK (note IS DISTINCT FROM 'no'))");
    });
    after(async () => {
      await db?.close();
      if (kind === 'postgres') await dropSchema(schema);
    });

    test('a unique clash, a check violation and a data error keep their code and names, and lose every value', async () => {
      const secret = `whsec_${randomToken(32)}`;
      const other = `whsec_${randomToken(32)}`;
      const bad = `pi_x_secret_${randomToken(24)}`;
      await db.query('INSERT INTO vault (id, secret) VALUES ($1, $2)', ['we_1', secret]);

      const clash = await failure(() => db.query('INSERT INTO vault (id, secret) VALUES ($1, $2)', ['we_2', secret]));
      assert.equal(clash.code, '23505');
      assert.equal(clash.constraint, 'vault_secret_key');
      assert.equal(clash.table, 'vault');
      assert.ok(isUniqueViolation(clash, 'vault_secret_key'));

      const check = await failure(() => db.tx((q) => q.query('INSERT INTO vault (id, secret, note) VALUES ($1, $2, $3)', ['we_3', other, 'no'])));
      assert.equal(check.code, '23514');
      assert.equal(check.constraint, 'vault_note_check');

      const data = await failure(() => db.query('INSERT INTO vault (id, secret, n) VALUES ($1, $2, $3)', ['we_4', other, bad]));
      assert.equal(data.code, '22P02');
      assert.match(data.message, /invalid input syntax for type integer/);

      for (const err of [clash, check, data]) {
        const text = everything(err);
        for (const value of [secret, other, bad]) assert.ok(!text.includes(value), `${err.code} carries ${value}:\n${text}`);
        for (const prop of ['params', 'detail', 'query', 'where']) assert.equal(prop in err, false, `${err.code} has ${prop}`);
      }
      // The transaction that failed was rolled back, and the store still works.
      assert.deepEqual((await db.query<{ id: string }>('SELECT id FROM vault ORDER BY id')).map((r) => r.id), ['we_1']);
    });
  });
}
