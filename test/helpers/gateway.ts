/**
 * Starts a real gateway (real port, real simulator over HTTP) on PGlite or PostgreSQL for a test,
 * and gives a small client for the v1 API.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createGateway, type Gateway } from '../../src/app.js';
import { randomToken } from '../../src/core/ids.js';
import type { Clock } from '../../src/core/clock.js';

export type StoreKind = 'pglite' | 'postgres';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let pgChecked: Promise<string | undefined> | undefined;

/** Undefined when PostgreSQL is reachable; otherwise the reason, saying how to get it. */
export function postgresSkipReason(): Promise<string | undefined> {
  pgChecked ??= (async () => {
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return undefined;
    } catch (err) {
      return `PostgreSQL not reachable at ${TEST_DATABASE_URL} (${(err as Error).message}): start it with "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start" or set TEST_DATABASE_URL`;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return pgChecked;
}

/** The stores every storage test runs on, each with its skip reason (if any). */
export async function stores(): Promise<{ kind: StoreKind; skip: string | false }[]> {
  const pgSkip = await postgresSkipReason();
  return [
    { kind: 'pglite', skip: false },
    { kind: 'postgres', skip: pgSkip ?? false },
  ];
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface TestGateway {
  gateway: Gateway;
  url: string;
  secretKey: string;
  publishableKey: string;
  env: Record<string, string>;
  api<T = any>(method: string, path: string, body?: unknown, opts?: { key?: string; idempotencyKey?: string; form?: boolean; headers?: Record<string, string> }): Promise<ApiResponse<T>>;
  /** Simulator's script API: complete a payment as the wallet would. */
  complete(url: string, outcome: 'succeeded' | 'failed' | 'processing', extra?: Record<string, unknown>): Promise<ApiResponse>;
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

export interface StartOptions {
  store: StoreKind;
  env?: Record<string, string>;
  clock?: Clock;
  workers?: boolean;
  /** Receives the gateway's log lines (set LOG_LEVEL in `env` too: tests log nothing by default). */
  logStream?: { write(line: string): void };
  /** Reuse the data of an earlier gateway (restart). */
  reuse?: { dataDir?: string; schema?: string; port?: number };
}

export async function startGateway(opts: StartOptions): Promise<TestGateway & { dataDir: string; schema?: string; port: number }> {
  // Port 0: the OS picks a free port at listen, so parallel test files never collide.
  const port = opts.reuse?.port ?? 0;
  const dataDir = opts.reuse?.dataDir ?? mkdtempSync(join(tmpdir(), 'opencashier-test-'));
  const schema = opts.store === 'postgres' ? (opts.reuse?.schema ?? `t_${randomToken(10).toLowerCase()}`) : undefined;
  const secretKey = 'sk_test_' + 'OpenCashierTestSecretKey0001';
  const publishableKey = 'pk_test_' + 'OpenCashierTestPublishable01';
  const env: Record<string, string> = {
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    OPENCASHIER_TEST_SECRET_KEY: secretKey,
    OPENCASHIER_TEST_PUBLISHABLE_KEY: publishableKey,
    POLL_SCHEDULE_MS: '600000',
    SIMULATOR_NOTIFY_SCHEDULE_MS: '0,200,400,800',
    WORKER_INTERVAL_MS: '100',
    RATE_LIMIT_PER_SECOND: '0',
    ANTOM_TIMEOUT_MS: '3000',
    ...(opts.store === 'postgres' ? { DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema! } : {}),
    ...opts.env,
  };
  const gateway = await createGateway(loadConfig(env), { clock: opts.clock, workers: opts.workers, logStream: opts.logStream });
  await gateway.start();
  const url = gateway.publicUrl();
  const boundPort = Number(new URL(url).port);

  const api: TestGateway['api'] = async (method, path, body, o = {}) => {
    const headers: Record<string, string> = { Authorization: `Bearer ${o.key ?? secretKey}`, ...o.headers };
    let payload: string | undefined;
    if (body !== undefined) {
      if (o.form) {
        headers['Content-Type'] = 'application/x-www-form-urlencoded';
        payload = String(body);
      } else {
        headers['Content-Type'] = 'application/json';
        payload = JSON.stringify(body);
      }
    }
    if (o.idempotencyKey) headers['Idempotency-Key'] = o.idempotencyKey;
    const res = await fetch(url + path, { method, headers, body: payload });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, headers: res.headers, body: parsed as never };
  };

  return {
    gateway, url, secretKey, publishableKey, env, dataDir, schema, port: boundPort, api,
    complete: async (target, outcome, extra = {}) => {
      const res = await fetch(`${url}/simulator/v1/complete`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ url: target, outcome, ...extra }),
      });
      return { status: res.status, headers: res.headers, body: await res.json() };
    },
    stop: async (o = {}) => {
      await gateway.stop();
      if (!o.keepData) {
        rmSync(dataDir, { recursive: true, force: true });
        if (schema) await dropSchema(schema);
      }
    },
  };
}

export async function dropSchema(schema: string): Promise<void> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/**
 * ANALYZE of this test's own tables. A bare ANALYZE on PostgreSQL reads every schema of the
 * database, the other test files' too: one that ran while store/hot-queries was filling its tables
 * left them statistics of a half-done fill, and its "without statistics" plans read a whole table
 * (CI, twice). On PGlite the database is the test's own.
 */
export async function analyzeOwn(db: { kind: 'pglite' | 'postgres'; query<T extends Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]> }): Promise<void> {
  if (db.kind === 'pglite') {
    await db.query('ANALYZE');
    return;
  }
  const tables = await db.query<{ t: string }>("SELECT quote_ident(tablename) AS t FROM pg_tables WHERE schemaname = current_schema()");
  if (tables.length > 0) await db.query(`ANALYZE ${tables.map((r) => r.t).join(', ')}`);
}

/**
 * Polls `fn` until it returns a truthy value or the time runs out; then the error says what was
 * awaited and how things stood, when `what` tells it.
 */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 20_000, everyMs = 50, what?: () => string): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`${what ? `${what()}: ` : ''}condition not met within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
