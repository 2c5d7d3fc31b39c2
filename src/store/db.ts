/**
 * One SQL dialect (PostgreSQL) over two engines: embedded PGlite (a data folder, zero set-up) and
 * an external PostgreSQL server through `pg`. Everything above this file sees only {@link Db}.
 *
 * `int8` columns come back as JS numbers: money is stored as `bigint` minor units, and every amount
 * is checked to be a safe integer on the way in, so the conversion is exact.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import type { PoolClient } from 'pg';
import { StoreUnavailable } from '../core/store.js';
import { lockDataFolder } from './data-lock.js';
import { combineWrites, GroupCommit, type Deferred, type Statement } from './deferred.js';
import { PgliteStatements, PREPARABLE } from './pglite-statements.js';

export type Row = Record<string, unknown>;

/** Something that runs SQL: the database itself or an open transaction. */
export interface Queryable {
  query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

/**
 * An open transaction. Writes whose result nobody reads (an INSERT without RETURNING) may be
 * deferred: they are sent just before the transaction's next statement, or at its end. A
 * transaction that only deferred writes never sends BEGIN: its writes go as one statement, which
 * PostgreSQL runs atomically on its own — one round trip instead of one per write plus two.
 */
export interface TxQueryable extends Queryable {
  defer(write: Deferred): void;
  /** True while a deferred write waits: until then, changing it changes what will be written. */
  waiting(write: Deferred): boolean;
}

/** Runs a write in a transaction when it can wait (deferred.ts), or at once. */
export async function deferOrRun(q: Queryable, write: Deferred): Promise<void> {
  if ('defer' in q && typeof (q as TxQueryable).defer === 'function') return (q as TxQueryable).defer(write);
  const { sql, params } = combineWrites([write]);
  await q.query(sql, params);
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /**
   * Runs `fn` in one transaction (READ COMMITTED), committing on return and rolling back on
   * throw. Keep transactions short: never call the network inside one. BEGIN is sent with the
   * first statement that is not deferred ({@link TxQueryable}); a transaction of deferred writes
   * alone is one statement.
   */
  tx<T>(fn: (q: TxQueryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** PostgreSQL: the connection pool as it is now (metrics.ts); PGlite has no pool. */
  pool?(): { max: number; open: number; idle: number; waiting: number };
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * A failed statement as the rest of the program sees it: PostgreSQL's SQLSTATE and the names of
 * what it ran into, never the values. Both engines put row data on their errors — PGlite attaches
 * the statement's parameters, PostgreSQL's `detail` quotes the clashing key or the whole failing
 * row, and data errors quote the offending value in the message — and those values are new
 * webhook secrets, client secrets, checkout session ids. Whoever logs or rethrows an error from
 * the store can therefore not leak them.
 */
export class StatementError extends Error {
  override readonly name = 'StatementError';
  constructor(
    message: string,
    readonly code: string,
    readonly constraint?: string,
    readonly table?: string,
    readonly column?: string,
  ) {
    super(message);
  }
}

/** PostgreSQL's error classes (a Node error code such as EPIPE is not one). */
const SQLSTATE = /^(?:[0-9]{2}|F0|HV|P0|XX)[0-9A-Z]{3}$/;

/** Values shorter than this are left in messages: they are not secrets, and replacing them would garble the text. */
const MIN_REDACTED_LENGTH = 4;

function paramText(p: unknown): string | undefined {
  if (p === null || p === undefined) return undefined;
  const text = typeof p === 'object' ? (p instanceof Date ? p.toISOString() : Buffer.isBuffer(p) ? undefined : JSON.stringify(p)) : String(p);
  return text !== undefined && text.length >= MIN_REDACTED_LENGTH ? text : undefined;
}

/** Node's errors for a connection that could not be made or was lost. */
const CONNECTION_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED']);
/**
 * PostgreSQL's: class 08 (connection exception), the server shutting down or terminating the
 * session (57P01–57P03), and too many connections (53300).
 */
const UNAVAILABLE_SQLSTATE = /^(?:08...|57P0[123]|53300)$/;
/** `pg`'s own words for a connection it lost or could not get in time. */
const PG_CONNECTION_MESSAGE = /^(?:Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

/** Why the store cannot be reached, when that is what `err` says; undefined for any other error. */
function unavailableReason(err: unknown): string | undefined {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return undefined;
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (CONNECTION_ERRNO.has(code)) return `the database could not be reached (${code})`;
  if (UNAVAILABLE_SQLSTATE.test(code)) return `the database refused or ended the session (SQLSTATE ${code})`;
  if (PG_CONNECTION_MESSAGE.test(message)) return 'the connection to the database was lost or timed out';
  return undefined;
}

/**
 * The store's view of an engine error: {@link StoreUnavailable} when the database cannot be
 * reached, a {@link StatementError} for a statement's failure, or the error itself otherwise.
 */
export function statementError(err: unknown, params?: readonly unknown[]): unknown {
  if (err instanceof StoreUnavailable) return err;
  const unavailable = unavailableReason(err);
  if (unavailable) return new StoreUnavailable(unavailable);
  const e = err as { code?: unknown; message?: unknown; constraint?: unknown; table?: unknown; column?: unknown } | null;
  if (err instanceof StatementError || !e || typeof e !== 'object' || typeof e.code !== 'string' || !SQLSTATE.test(e.code)) return err;
  let message = typeof e.message === 'string' ? e.message : 'statement failed';
  (params ?? []).forEach((p, i) => {
    const text = paramText(p);
    if (text) message = message.split(text).join(`$${i + 1}`);
  });
  // Class 22 (data exception) messages quote the value they could not take, maybe part of a parameter.
  if (e.code.startsWith('22')) message = message.replace(/"(?:[^"]|"")*"/g, '"…"');
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return new StatementError(`${message} (SQLSTATE ${e.code})`, e.code, str(e.constraint), str(e.table), str(e.column));
}

async function guarded<T>(params: readonly unknown[] | undefined, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw statementError(err, params);
  }
}

function toSafeNumber(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`int8 value ${text} is outside the safe integer range`);
  return n;
}

/**
 * The transaction logic both engines share: `begin` opens the real transaction (and gives its
 * Queryable) the first time a statement must be sent at once; `finish` commits it, or sends the
 * deferred writes alone when nothing opened it.
 */
function lazyTx(
  begin: () => Promise<Queryable>, group: GroupCommit,
): { q: TxQueryable; finish(): Promise<'committed' | 'opened'>; opened(): boolean } {
  let open: Promise<Queryable> | undefined;
  let pending: Deferred[] = [];
  const flush = async (t: Queryable) => {
    while (pending.length > 0) {
      const writes = pending;
      pending = [];
      const w = combineWrites(writes);
      await t.query(w.sql, w.params);
    }
  };
  const q: TxQueryable = {
    query: async (sql, params) => {
      open ??= begin();
      const t = await open;
      await flush(t);
      return t.query(sql, params);
    },
    defer: (write) => {
      pending.push(write);
    },
    waiting: (write) => pending.includes(write),
  };
  return {
    q,
    opened: () => open !== undefined,
    finish: async () => {
      if (open) {
        await flush(await open);
        return 'opened';
      }
      if (pending.length > 0) {
        const writes = pending;
        pending = [];
        await group.commit(writes);
      }
      return 'committed';
    },
  };
}

/** A data folder PGlite has initialised (its own test before it runs initdb). */
export function isPgliteFolder(dataDir: string): boolean {
  return existsSync(join(dataDir, 'PG_VERSION'));
}

/** The data folder could not be created: what the child said, for a person. */
export class PgliteInitError extends Error {
  override readonly name = 'PgliteInitError';
}

const INIT_SCRIPT = fileURLToPath(new URL('./pglite-init.js', import.meta.url));

/**
 * Creates a new data folder in a short-lived child process (pglite-init.ts). initdb inside the
 * gateway would leave it at about 780 MB for its whole life instead of about 300 MB; the child's
 * memory goes back to the system when it exits. Returns the child's pid.
 */
export function initPgliteFolder(dataDir: string): Promise<number> {
  return new Promise((resolvePid, reject) => {
    // The IPC channel is the child's lifeline: a parent killed meanwhile takes the child with it.
    const child = spawn(process.execPath, [INIT_SCRIPT, dataDir], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += String(d)));
    child.on('error', (err) => reject(new PgliteInitError(`Could not start a process to create the database in ${dataDir}: ${err.message}`)));
    child.on('exit', (code, signal) => {
      if (code === 0 && isPgliteFolder(dataDir)) return resolvePid(child.pid!);
      const why = stderr.trim() || (signal ? `killed by ${signal}` : `exit code ${code}`);
      reject(new PgliteInitError(
        `Could not create the embedded database in ${dataDir}: ${why}. ` +
        'Check that the folder (DATA_DIR) is writable and has free space and that nothing else is in it (a failed start may have ' +
        'left parts of a database there: remove them), or point DATA_DIR at another folder.',
      ));
    });
  });
}

export interface PgliteOptions {
  /** Told when a new data folder was created in a child process (its pid). */
  onInitdb?: (childPid: number) => void;
  /** Told of every statement sent to the engine, BEGIN and COMMIT included (tests, diagnosis). */
  onStatement?: (sql: string) => void;
}

/**
 * PGlite's shared buffers live in its WebAssembly memory, which grows and never shrinks: at
 * PostgreSQL's default of 128 MB a process idles at about 300 MB, at 32 MB at about 175 MB, with
 * the same insert speed (measured: 40,000 PaymentIntent inserts, 364 and 373 µs each). Pages
 * beyond them are read through the operating system's file cache.
 */
const PGLITE_CONF = ['shared_buffers=32MB'];

/**
 * V8 settings for a process that serves from PGlite, applied by `serve` (cli.ts) before PGlite's
 * WebAssembly is compiled. Both trade nothing measurable in speed for memory (README, Performance):
 * - `--no-liftoff`: PGlite's code is compiled once, by the optimizing compiler. By default V8
 *   first compiles all of it with its baseline compiler and then the hot parts again, and keeps
 *   both: about 50 MB more RSS. Opening the data folder takes 1.3–1.8 s longer.
 * - `--heap-growing-percent=100`: after a full collection the heap may grow to twice what is
 *   live before the next one. V8 otherwise picks up to four times under load, and the heap
 *   swung between 100 and 210 MiB with 40–60 MiB live; it stays at 100–130 MiB. At 50% and
 *   20% it stays lower still, but the collections then cost creates a quarter of their rate.
 */
export const PGLITE_V8_FLAGS: readonly string[] = ['--no-liftoff', '--heap-growing-percent=100'];

/** A V8 flag's name, whichever way it is spelled: `--no-liftoff`, `--liftoff`, `--heap_growing_percent=5`. */
function v8FlagName(flag: string): string {
  return flag.replace(/^--?/, '').replace(/=.*$/, '').replaceAll('_', '-').replace(/^no-/, '');
}

/**
 * Sets those of PGLITE_V8_FLAGS that the command line leaves alone (a flag given there, either
 * way, wins: `node --liftoff dist/src/cli.js serve`), and answers the ones it set.
 */
export function applyPgliteV8Flags(execArgv: readonly string[] = process.execArgv): string[] {
  const given = new Set(execArgv.filter((a) => a.startsWith('-')).map(v8FlagName));
  const set = PGLITE_V8_FLAGS.filter((f) => !given.has(v8FlagName(f)));
  for (const f of set) v8.setFlagsFromString(f);
  return set;
}

/** `as` names this process in the data folder's lock, for another process's refusal (data-lock.ts). */
export async function openPglite(dataDir: string | undefined, as = 'a process', opts: PgliteOptions = {}): Promise<Db> {
  const { PGlite } = await import('@electric-sql/pglite');
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  // Held from before the child runs initdb until close, so no other process slips in between.
  const unlock = dataDir ? lockDataFolder(dataDir, as) : () => undefined;
  let pg: InstanceType<typeof PGlite>;
  try {
    if (dataDir && !isPgliteFolder(dataDir)) {
      const childPid = await initPgliteFolder(dataDir);
      opts.onInitdb?.(childPid);
    }
    pg = new PGlite(dataDir, { parsers: { [INT8_OID]: toSafeNumber }, postgresqlconf: PGLITE_CONF });
    await pg.waitReady;
  } catch (err) {
    unlock();
    throw err;
  }
  const statements = new PgliteStatements(pg);
  const note = opts.onStatement ?? (() => undefined);
  const run = <T extends Row>(sql: string, params?: readonly unknown[]) => {
    note(sql);
    return guarded(params, () => statements.query(sql, params) as Promise<T[]>);
  };
  // One connection: one shared statement at a time.
  const group = new GroupCommit((w: Statement) => run(w.sql, w.params), 1, true);
  return {
    kind: 'pglite',
    query: (sql, params) => run(sql, params),
    // PGlite has one connection: a transaction holds it from its first statement until it ends, so
    // concurrent callers queue. It is opened inside PGlite's own transaction(), kept open until fn
    // is done.
    tx: async (fn) => {
      let release!: (ok: boolean) => void;
      let held: Promise<unknown> | undefined;
      const lazy = lazyTx(
        () => new Promise<Queryable>((resolve, reject) => {
          note('BEGIN');
          held = pg.transaction(async (t) => {
            resolve({
              query: (sql, params) => {
                note(sql);
                return guarded(params, () => statements.inTx(t, sql, params) as Promise<never>);
              },
            });
            const ok = await new Promise<boolean>((r) => (release = r));
            if (!ok) await t.rollback();
          });
          held.catch(reject);
        }),
        group,
      );
      try {
        const result = await fn(lazy.q);
        if ((await lazy.finish()) === 'opened') {
          note('COMMIT');
          release(true);
          await guarded(undefined, () => held!);
        }
        return result;
      } catch (err) {
        if (lazy.opened() && held) {
          release?.(false);
          await held.catch(() => undefined);
        }
        throw statementError(err);
      }
    },
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
  /** How long getting a connection may take before the statement fails (default 5 s). */
  connectTimeoutMs?: number;
  /** Told of every statement sent, BEGIN and COMMIT included (tests, diagnosis). */
  onStatement?: (sql: string) => void;
}

/**
 * Names for the texts PostgreSQL should keep prepared: `pg` parses a named statement once per
 * connection and then only binds and executes it, and PostgreSQL keeps its plan. Data statements
 * only, and at most {@link StatementNames.MAX} texts, since a connection never forgets them (the
 * group commit's multi-row inserts come in many shapes: beyond the limit they go unnamed).
 *
 * A migration run by another process (a rolling deploy) can change a table under a prepared
 * `SELECT *`. PostgreSQL then refuses that statement ({@link PLAN_CHANGED}), and inside a
 * transaction it keeps refusing it on that connection: {@link StatementNames.forget} starts new
 * names, prepared afresh.
 */
class StatementNames {
  static readonly MAX = 300;
  private names = new Map<string, string>();
  private generation = 0;

  of(sql: string): string | undefined {
    const found = this.names.get(sql);
    if (found !== undefined || this.names.size >= StatementNames.MAX || !PREPARABLE.test(sql)) return found;
    const name = `oc_${this.generation}_${this.names.size}`;
    this.names.set(sql, name);
    return name;
  }

  forget(): void {
    this.names = new Map();
    this.generation++;
  }
}

/** PostgreSQL's "cached plan must not change result type". */
const PLAN_CHANGED = '0A000';

/** The advisory lock processes take turns under to create the schema and migrate it (any constant shared by all). */
export const MIGRATION_LOCK_KEY = 7_106_214_342;

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
    // A database that does not answer fails the request in this time instead of holding it.
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5_000,
    types: types as never,
    ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
  });
  // An idle client that errors (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  // IF NOT EXISTS is no guard against a twin: two processes starting at once on a new schema both
  // find it missing and the second fails on pg_namespace's unique index. Under the migration lock
  // (one simple query is one transaction, so the xact lock covers the CREATE) they take turns.
  if (opts.schema) await pool.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY}); CREATE SCHEMA IF NOT EXISTS ${opts.schema}`);
  const named = new StatementNames();
  const note = opts.onStatement ?? (() => undefined);
  const config = (sql: string, params?: readonly unknown[]) => {
    note(sql);
    return { text: sql, values: params as unknown[] | undefined, name: named.of(sql) };
  };
  /** A statement on any connection of the pool; once more, prepared afresh, if its plan went stale. */
  const onPool = (sql: string, params?: readonly unknown[]) => guarded(params, async () => {
    try {
      return (await pool.query(config(sql, params))).rows;
    } catch (err) {
      if ((err as { code?: string }).code !== PLAN_CHANGED) throw err;
      named.forget();
      return (await pool.query(config(sql, params))).rows;
    }
  });
  // A few shared statements at once, leaving the pool's other connections to everything else.
  const group = new GroupCommit((w: Statement) => onPool(w.sql, w.params), Math.max(1, Math.floor((opts.max ?? 10) / 4)));
  return {
    kind: 'postgres',
    pool: () => ({ max: opts.max ?? 10, open: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    query: (sql, params) => onPool(sql, params),
    tx: async (fn) => {
      let client: PoolClient | undefined;
      // A connection lost while the transaction holds it (between statements) is an 'error' event
      // nobody else listens to; noted here, the client is thrown away instead of pooled again.
      let lost: Error | undefined;
      const onLost = (err: Error) => {
        lost = err;
      };
      const lazy = lazyTx(async () => {
        client = await pool.connect();
        client.on('error', onLost);
        note('BEGIN');
        await client.query('BEGIN');
        const c = client;
        return { query: (sql, params) => guarded(params, async () => (await c.query(config(sql, params))).rows) };
      }, group);
      try {
        const result = await fn(lazy.q);
        if ((await lazy.finish()) === 'opened') {
          note('COMMIT');
          await client!.query('COMMIT');
        }
        return result;
      } catch (err) {
        // The transaction fails once; what runs next prepares its statements afresh.
        if ((err as { code?: string }).code === PLAN_CHANGED) named.forget();
        const failed = statementError(err);
        if (failed instanceof StoreUnavailable) lost ??= failed;
        else await client?.query('ROLLBACK').catch(() => undefined);
        throw failed;
      } finally {
        client?.removeListener('error', onLost);
        client?.release(lost);
      }
    },
    close: () => pool.end(),
  };
}

export async function openDb(opts: { databaseUrl?: string; dataDir?: string; schema?: string; as?: string; poolSize?: number }): Promise<Db> {
  if (opts.databaseUrl) return openPostgres({ connectionString: opts.databaseUrl, schema: opts.schema, max: opts.poolSize });
  return openPglite(opts.dataDir, opts.as);
}

/** PostgreSQL's unique_violation, raised alike by both engines. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string } | undefined;
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint);
}
