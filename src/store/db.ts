/**
 * One SQL dialect (PostgreSQL) over two engines: embedded PGlite (a data folder, zero set-up) and
 * an external PostgreSQL server through `pg`. Everything above this file sees only {@link Db}.
 *
 * `int8` columns come back as JS numbers: money is stored as `bigint` minor units, and every amount
 * is checked to be a safe integer on the way in, so the conversion is exact.
 */
import { mkdirSync } from 'node:fs';
import { lockDataFolder } from './data-lock.js';

export type Row = Record<string, unknown>;

/** Something that runs SQL: the database itself or an open transaction. */
export interface Queryable {
  query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /**
   * Runs `fn` in one transaction (READ COMMITTED), committing on return and rolling back on
   * throw. Keep transactions short: never call the network inside one.
   */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

function toSafeNumber(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`int8 value ${text} is outside the safe integer range`);
  return n;
}

/** `as` names this process in the data folder's lock, for another process's refusal (data-lock.ts). */
export async function openPglite(dataDir: string | undefined, as = 'a process'): Promise<Db> {
  const { PGlite } = await import('@electric-sql/pglite');
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const unlock = dataDir ? lockDataFolder(dataDir, as) : () => undefined;
  let pg: InstanceType<typeof PGlite>;
  try {
    pg = new PGlite(dataDir, { parsers: { [INT8_OID]: toSafeNumber } });
    await pg.waitReady;
  } catch (err) {
    unlock();
    throw err;
  }
  const run = async <T extends Row>(q: { query: typeof pg.query }, sql: string, params?: readonly unknown[]) =>
    (await q.query<T>(sql, params as unknown[] | undefined)).rows;
  return {
    kind: 'pglite',
    query: (sql, params) => run(pg, sql, params),
    // PGlite has one connection: a transaction holds it until it ends, so concurrent callers queue.
    tx: (fn) => pg.transaction((t) => fn({ query: (sql, params) => run(t, sql, params) })),
    close: async () => {
      await pg.close();
      unlock();
    },
  };
}

export interface PostgresOptions {
  connectionString: string;
  /** Sets search_path for every connection; tests use one schema each. */
  schema?: string;
  max?: number;
}

export async function openPostgres(opts: PostgresOptions): Promise<Db> {
  const pgmod = await import('pg');
  const pg = pgmod.default;
  const types = {
    getTypeParser: (oid: number, format?: string) =>
      oid === INT8_OID ? toSafeNumber : oid === NUMERIC_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text'),
  };
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.max ?? 10,
    types: types as never,
    ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
  });
  // An idle client that errors (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  if (opts.schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${opts.schema}`);
  return {
    kind: 'postgres',
    query: async (sql, params) => (await pool.query(sql, params as unknown[] | undefined)).rows,
    tx: async (fn) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn({ query: async (sql, params) => (await client.query(sql, params as unknown[] | undefined)).rows });
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

export async function openDb(opts: { databaseUrl?: string; dataDir?: string; schema?: string; as?: string }): Promise<Db> {
  if (opts.databaseUrl) return openPostgres({ connectionString: opts.databaseUrl, schema: opts.schema });
  return openPglite(opts.dataDir, opts.as);
}

/** PostgreSQL's unique_violation, raised alike by both engines. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string } | undefined;
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint);
}
