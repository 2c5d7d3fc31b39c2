/**
 * Writes that wait (db.ts's lazy transactions): what a transaction defers, and how deferred writes
 * become one statement.
 *
 * A PGlite statement costs mostly what it takes to plan it and to open the tables and indexes it
 * touches, little what it writes; a PostgreSQL statement costs a round trip. So deferred writes go
 * out as one statement — inserts into the same table as one multi-row INSERT, in the order they
 * were deferred (so `seq` keeps that order) — and transactions made only of deferred writes that
 * commit at the same moment share that statement ({@link GroupCommit}).
 */
import { Batcher } from './batch.js';
import { StoreUnavailable } from '../core/store.js';

/** An SQL expression as an insert's value, with parameters numbered from $1 (a cast, a function call). */
export class SqlValue {
  constructor(readonly sql: string, readonly params: readonly unknown[]) {}
}

export type Deferred =
  | { kind: 'sql'; sql: string; params: readonly unknown[] }
  /** A SELECT of one row that checks (and raises) rather than writes: a presumed row's lock and check. */
  | { kind: 'guard'; sql: string; params: readonly unknown[] }
  /** `conflict`: what follows the VALUES (an ON CONFLICT clause); inserts merge only with the same one. */
  | { kind: 'insert'; table: string; columns: readonly string[]; values: unknown[]; conflict?: string };

export interface Statement {
  sql: string;
  params: unknown[];
}

function renumber(sql: string, offset: number): string {
  return offset === 0 ? sql : sql.replace(/\$(\d+)/g, (_m, n: string) => `$${Number(n) + offset}`);
}

/**
 * One statement for all the writes. Inserts into the same table with the same columns merge into
 * one INSERT of many rows, at the place of the first; every part is a data-modifying CTE, counted
 * in the outer SELECT from left to right so the parts run in that order.
 */
export function combineWrites(writes: readonly Deferred[]): Statement {
  const parts: ({ kind: 'sql' | 'guard'; sql: string; params: readonly unknown[] } | { kind: 'insert'; table: string; columns: readonly string[]; conflict?: string; rows: (readonly unknown[])[] })[] = [];
  const inserts = new Map<string, { rows: (readonly unknown[])[] }>();
  for (const w of writes) {
    if (w.kind !== 'insert') {
      parts.push(w);
      continue;
    }
    const k = `${w.table}(${w.columns.join(',')})${w.conflict ?? ''}`;
    const found = inserts.get(k);
    if (found) found.rows.push(w.values);
    else {
      const part = { kind: 'insert' as const, table: w.table, columns: w.columns, conflict: w.conflict, rows: [w.values] };
      inserts.set(k, part);
      parts.push(part);
    }
  }
  const params: unknown[] = [];
  const value = (v: unknown): string => {
    if (v instanceof SqlValue) {
      const sql = renumber(v.sql, params.length);
      params.push(...v.params);
      return sql;
    }
    params.push(v);
    return `$${params.length}`;
  };
  const sqls = parts.map((p) => {
    if (p.kind !== 'insert') {
      const sql = renumber(p.sql, params.length);
      params.push(...p.params);
      return sql;
    }
    const rows = p.rows.map((r) => `(${r.map(value).join(', ')})`);
    return `INSERT INTO ${p.table} (${p.columns.join(', ')}) VALUES ${rows.join(', ')}${p.conflict ? ` ${p.conflict}` : ''}`;
  });
  if (sqls.length === 1) return { sql: sqls[0]!, params };
  const ctes = sqls.map((sql, i) => `w${i} AS (${sql}${parts[i]!.kind === 'guard' ? '' : ' RETURNING 1'})`);
  return { sql: `WITH ${ctes.join(', ')} SELECT ${sqls.map((_s, i) => `(SELECT count(*) FROM w${i})`).join(' + ')} AS n`, params };
}

/**
 * Transactions of deferred writes alone, committed together: those that finish while a statement
 * runs go in the next one. Each resolves once its writes are committed. When the shared statement
 * fails (one of them broke a constraint), each runs again alone, so only the culprit fails. But
 * not when the connection was lost (StoreUnavailable): the statement may have committed before its
 * answer was lost, and running it again would write twice (or, on a unique key, fail with a
 * conflict that is not the client's). Then every transaction of the batch fails as unavailable,
 * as a lost COMMIT does, and is retried by its client under its Idempotency-Key.
 */
export class GroupCommit {
  private readonly batcher: Batcher<readonly Deferred[], { error?: unknown }>;

  constructor(run: (s: Statement) => Promise<unknown>, concurrency: number, gather = false) {
    this.batcher = new Batcher(async (txs) => {
      if (txs.length > 1) {
        try {
          await run(combineWrites(txs.flat()));
          return txs.map(() => ({}));
        } catch (error) {
          if (error instanceof StoreUnavailable) return txs.map(() => ({ error }));
          // Nothing was written: one by one, each with its own outcome.
        }
      }
      return Promise.all(txs.map((w) => run(combineWrites(w)).then(() => ({}), (error: unknown) => ({ error }))));
    }, { concurrency, maxBatch: 64, gather });
  }

  async commit(writes: readonly Deferred[]): Promise<void> {
    const { error } = await this.batcher.add(writes);
    if (error) throw error;
  }
}
