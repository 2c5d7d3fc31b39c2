/**
 * PGlite runs no autovacuum: the background worker vacuums every table of the store each minute
 * (store/vacuum.ts). Rows updated again and again — as the outbox and poll queues are — keep their
 * table and indexes near their size with it, and grow with every round of updates without it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PGlite } from '@electric-sql/pglite';
import { Worker } from '../../src/jobs/worker.js';
import { vacuumEachTable } from '../../src/store/vacuum.js';
import type { Queryable } from '../../src/store/db.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const ROWS = 2_000;
const ROUNDS = 20;

/** A table whose every row is updated each round, an index on the changed column (no HOT updates). */
async function makeProbe(q: Queryable): Promise<void> {
  await q.query('CREATE TABLE vacuum_probe (id int PRIMARY KEY, v int NOT NULL, pad text NOT NULL)');
  await q.query('CREATE INDEX vacuum_probe_v ON vacuum_probe (v)');
  await q.query(`INSERT INTO vacuum_probe SELECT g, g, repeat('x', 100) FROM generate_series(1, ${ROWS}) g`);
}

async function probeBytes(q: Queryable): Promise<number> {
  const [r] = await q.query<{ n: string | number }>(
    "SELECT pg_relation_size('vacuum_probe') + pg_relation_size('vacuum_probe_pkey') + pg_relation_size('vacuum_probe_v') AS n");
  return Number(r!.n);
}

async function churn(q: Queryable, between: () => Promise<unknown>): Promise<number> {
  const before = await probeBytes(q);
  for (let i = 0; i < ROUNDS; i++) {
    await q.query('UPDATE vacuum_probe SET v = v + 1');
    await between();
  }
  return (await probeBytes(q)) / before;
}

describe('PGlite: dead row versions are vacuumed by the background worker', () => {
  let g: TestGateway;
  before(async () => {
    // No background worker of its own: only the rounds each test runs vacuum.
    g = await startGateway({ store: 'pglite', workers: false });
  });
  after(async () => {
    await g?.stop();
  });

  test(`${ROWS} rows updated ${ROUNDS} times stay under 3× their size when a worker round follows each update`, async () => {
    const db = g.gateway.db;
    await makeProbe(db);
    // A worker's first round vacuums (then once a minute): one new worker per update.
    const growth = await churn(db, () => new Worker(g.gateway.core, db, 100, { delayMs: g.gateway.config.tp.settleDelayMs }).runOnce());
    assert.ok(growth < 3, `the probe grew ${growth.toFixed(1)}× with a worker round after each update`);
    // Every table of the store's schema, the gateway's own among them, in turn.
    const tables = await vacuumEachTable(db);
    assert.ok(tables > 20, `vacuumed ${tables} tables`);
  });

  test('a worker vacuums once a minute, not every round', async () => {
    const db = g.gateway.db;
    await db.query('DROP TABLE vacuum_probe');
    await makeProbe(db);
    const worker = new Worker(g.gateway.core, db, 100, { delayMs: g.gateway.config.tp.settleDelayMs });
    await worker.runOnce();
    // The same worker's later rounds, within the minute, leave the dead versions.
    const growth = await churn(db, () => worker.runOnce());
    assert.ok(growth > 5, `the probe grew only ${growth.toFixed(1)}×: something vacuumed within the minute`);
  });

  test('control: without a VACUUM the same updates grow the probe past 5× (so the bound above can fail)', async () => {
    const pg = new PGlite();
    try {
      const q: Queryable = { query: async (sql, params) => (await pg.query(sql, params as unknown[])).rows as never };
      await makeProbe(q);
      const growth = await churn(q, async () => undefined);
      assert.ok(growth > 5, `the probe grew only ${growth.toFixed(1)}× without a VACUUM`);
    } finally {
      await pg.close();
    }
  });
});
