/**
 * `npm run bench`: in one run, on this machine, each hot path beside the floor it is judged by.
 *
 * Floors: a bare Fastify JSON route; Fastify + one INSERT of a PaymentIntent-sized row per request
 * on PGlite (a data folder) and on PostgreSQL (a `pg` pool, synchronous_commit on), each in its
 * own child process (bench/insert-server.ts); RSA-2048 signatures per second (RSA-SHA256,
 * PKCS#1 v1.5 as Antom signs, over 1 KB, on one core: this process's thread). A path through the
 * simulator costs two signatures (the gateway signs the request, the simulator the answer), so
 * its bound is signatures/s ÷ 2.
 *
 * Paths, on a PGlite gateway and on a PostgreSQL gateway (its own DATABASE_SCHEMA, dropped after),
 * each a `serve` child process, loaded by autocannon from this process over loopback at
 * BENCH_CONNECTIONS (32) for BENCH_SECONDS (10) per row: create; create with an Idempotency-Key;
 * retrieve; create with confirm (simulator); the Trust Payments AUTH; partial refunds (simulator);
 * webhook deliveries to a local receiver (bench/receiver.ts). Then create on PostgreSQL with
 * WORKERS=2, and the dashboard's payments list at 100,000 payments (PGlite, in this process).
 * It ends with one line per target of issue 10: met / not met, with the figures.
 *
 * Options (flag or env variable):
 *   --only dashboard  (BENCH_ONLY)     the dashboard's list alone
 *   --only webhooks                    the webhook drain alone, on each store
 *   --only confirm / --only refunds    that row alone (create with confirm=true, or partial
 *                                      refunds), on each store, with the RSA bound beside it
 *   --preload N       (BENCH_PRELOAD)  growth: create, retrieve and two list pages on an empty store,
 *                                      then again after N PaymentIntents were written by SQL
 *                                      (bench/preload.ts), on both stores; prints the ratios
 *   --soak S          (BENCH_SOAK)     S seconds of mixed load on one gateway (BENCH_SOAK_STORE,
 *                                      pglite or postgres); RSS after 1 minute and at the end
 *   BENCH_STORES=pglite|postgres                 one store's rows only (and no WORKERS=2 row
 *                                                without PostgreSQL)
 *   BENCH_GATEWAY_NODE_ARGS                      node flags for the gateways only, before the script
 *                                                (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", which
 *                                                NODE_OPTIONS refuses)
 *   BENCH_GATEWAY_NODE_OPTIONS                   NODE_OPTIONS for the gateways only (V8 flags
 *                                                tried against the same run's floors)
 *   BENCH_MEMORY=1                               after each row, where the gateway's memory is (V8's heap
 *                                                used and total, external, RSS, from its /metrics)
 *   BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/postgres), BENCH_WEBHOOKS (5000 queued)
 * Tables go to stdout, progress to stderr, then one BENCH_JSON line. Exits 1 when requests failed.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import autocannon from 'autocannon';
import { openPglite, openPostgres, type Db } from '../src/store/db.js';
import { CORE_MIGRATIONS, migrate } from '../src/store/migrate.js';
import { dashboardQueries, encodeCursor, type PaymentFilter } from '../src/store/dashboard.js';
import { fillPayments } from '../test/helpers/dashboard-fill.js';
import { preload } from './preload.js';

const args = process.argv.slice(2);
const flag = (name: string, env: string): string | undefined => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : process.env[env]);
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const ONLY = flag('only', 'BENCH_ONLY');
const PRELOAD = Number(flag('preload', 'BENCH_PRELOAD') ?? 0);
const SOAK = Number(flag('soak', 'BENCH_SOAK') ?? 0);
const SOAK_STORE = (process.env.BENCH_SOAK_STORE ?? 'pglite') as StoreKind;
const DASHBOARD_PAYMENTS = Number(process.env.BENCH_DASHBOARD_PAYMENTS ?? 100_000);
const DASHBOARD_RUNS = Number(process.env.BENCH_DASHBOARD_RUNS ?? 100);
const DASHBOARD_BUDGET_MS = 100;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const WEBHOOKS = Number(process.env.BENCH_WEBHOOKS ?? 5_000);
const STORES = process.env.BENCH_STORES?.split(',').map((k) => k.trim()).filter(Boolean);
const GATEWAY_NODE_OPTIONS = process.env.BENCH_GATEWAY_NODE_OPTIONS;
const GATEWAY_NODE_ARGS = process.env.BENCH_GATEWAY_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
const PG_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const root = new URL('../..', import.meta.url).pathname;
const SECRET = 'sk_test_BenchmarkSecretKey0000001';
const TP_USER = 'webservices@example.com';
const TP_PASSWORD = 'Password1^';

type StoreKind = 'pglite' | 'postgres';
const STORE_NAME: Record<StoreKind, string> = { pglite: 'PGlite', postgres: 'PostgreSQL' };

interface Server {
  proc: ChildProcess;
  url: string;
}

const live = new Set<ChildProcess>();

function startChild(args: string[], env: Record<string, string>, ready: RegExp, ipc = false): Promise<Server> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe', ...(ipc ? ['ipc' as const] : [])] });
    live.add(proc);
    let out = '';
    const onData = (d: Buffer) => {
      if (out.length < 100_000) out += String(d);
      const m = out.match(ready);
      if (m) resolve({ proc, url: m[1]! });
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (code, signal) => {
      live.delete(proc);
      reject(new Error(`child exited ${code ?? signal}:\n${out.slice(-4000)}`));
    });
  });
}

/** SIGTERM, and wait for the exit (a PGlite gateway releases its data folder only then). */
async function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(t);
}

/** Direct children of a process (a gateway's WORKERS). */
function childPids(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)]).toString().split('\n').map((s) => Number(s.trim())).filter((n) => n > 0);
  } catch {
    return [];
  }
}

/** BENCH_MEMORY=1: the gateway's own account of its memory (its /metrics, open on loopback), to stderr. */
async function memoryNote(g: Gateway, after: string): Promise<void> {
  if (process.env.BENCH_MEMORY !== '1') return;
  const text = await (await fetch(`${g.url}/metrics`)).text();
  const mib = (name: string) => {
    const m = text.match(new RegExp(`^opencashier_${name} (\\S+)`, 'm'));
    return m ? `${(Number(m[1]) / 2 ** 20).toFixed(0)}` : '?';
  };
  process.stderr.write(`    memory after ${after.trim()}: V8 heap ${mib('nodejs_heap_size_used_bytes')} used of ${mib('nodejs_heap_size_total_bytes')} MiB, ` +
    `external ${mib('nodejs_external_memory_bytes')} MiB, RSS ${mib('process_resident_memory_bytes')} MiB\n`);
}

/** The machine's CPU time so far, busy and in all (Linux's /proc/stat, in clock ticks), or undefined elsewhere. */
function cpuTicks(): { busy: number; all: number } | undefined {
  try {
    // cpu  user nice system idle iowait irq softirq steal …: idle and iowait are the idle ones.
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const all = f.reduce((a, b) => a + b, 0);
    return { busy: all - f[3]! - f[4]!, all };
  } catch {
    return undefined;
  }
}

/**
 * How busy every core of the machine was (%, whatever ran on it: the gateway, its database, the
 * load generator) between two {@link cpuTicks}. A row that leaves cores idle was bound by waiting
 * (commits, the upstream), not by CPU; one near 100% shows what more processes could add at most.
 */
function cpuBusy(from: ReturnType<typeof cpuTicks>): number | undefined {
  const to = cpuTicks();
  return from && to && to.all > from.all ? (100 * (to.busy - from.busy)) / (to.all - from.all) : undefined;
}

/** RSS of a process and its children, in MiB. */
function rssMiB(pid: number | undefined): number {
  if (!pid) return NaN;
  let total = 0;
  for (const p of [pid, ...childPids(pid)]) {
    try {
      total += Number(execFileSync('ps', ['-o', 'rss=', '-p', String(p)]).toString().trim()) / 1024;
    } catch {
      /* gone */
    }
  }
  return total || NaN;
}

interface Row {
  name: string;
  store?: StoreKind;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  rssMiB?: number;
  /** How busy the machine's cores were during the row, % ({@link cpuBusy}). */
  cpu?: number;
  /** What the row is compared with, and its figure. */
  floor?: { name: string; rps: number };
}

const ratio = (r: Row | undefined) => (r?.floor ? r.rps / r.floor.rps : NaN);

/**
 * autocannon stops with requests in flight and a gateway may still be working through a backlog
 * (upstream calls, notifications): wait until a small read answers quickly again, so that no row
 * pays for the one before it.
 */
async function settle(url: string): Promise<void> {
  const origin = new URL(url).origin;
  for (const end = Date.now() + 30_000; Date.now() < end; await sleep(100)) {
    const t = performance.now();
    const res = await fetch(`${origin}/v1/payment_intents?limit=1`, { headers: { Authorization: `Bearer ${SECRET}` } }).catch(() => undefined);
    await res?.arrayBuffer();
    if (!res || performance.now() - t < 20) return;
  }
}

async function load(name: string, opts: autocannon.Options): Promise<Row> {
  if (opts.url && !opts.url.includes('/echo') && !opts.url.includes('/insert')) await settle(opts.url);
  process.stderr.write(`  ${name} … `);
  const ticks = cpuTicks();
  const r = await autocannon({ connections: CONNECTIONS, duration: DURATION, ...opts });
  const cpu = cpuBusy(ticks);
  // A fixed amount ends mid-second; the per-second average would count that stub as a whole second.
  const rps = opts.amount ? r.requests.total / r.duration : r.requests.average;
  process.stderr.write(`${Math.round(rps)} req/s, p99 ${r.latency.p99} ms${r.non2xx ? `, ${r.non2xx} non-2xx` : ''}, CPU ${fmt(cpu)}%\n`);
  return { name, rps, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors + r.timeouts, cpu };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function api<T = any>(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${SECRET}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

async function apiOk<T = any>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  const r = await api<T>(base, method, path, body);
  if (r.status !== 200) throw new Error(`${method} ${path} answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

const JSON_AUTH = { 'Content-Type': 'application/json', Authorization: `Bearer ${SECRET}` };
const CREATE_BODY = JSON.stringify({ amount: 2000, currency: 'CNY', payment_method_types: ['alipay'], metadata: { order_id: 'bench' } });
const CONFIRM_BODY = JSON.stringify({
  amount: 2000, currency: 'CNY', confirm: true, payment_method_types: ['alipay'], payment_method_data: { type: 'alipay' },
  payment_method_options: { alipay: { terminal_type: 'WEB' } }, return_url: 'https://shop.example/return',
});

// ---------------------------------------------------------------------------------------------
// Floors

/** RSA-2048 signatures per second, RSA-SHA256 with PKCS#1 v1.5 padding (node's default for RSA keys) over 1 KB, on this thread. */
function rsaSignaturesPerSecond(): number {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const payload = Buffer.from(JSON.stringify({ paymentRequestId: 'x', order: { orderDescription: 'y'.repeat(900) } }).slice(0, 1024));
  for (let i = 0; i < 50; i++) sign('sha256', payload, privateKey);
  let n = 0;
  const t0 = performance.now();
  const end = t0 + Math.min(5, DURATION) * 1000;
  while (performance.now() < end) {
    sign('sha256', payload, privateKey);
    n++;
  }
  return n / ((performance.now() - t0) / 1000);
}

async function insertFloor(kind: StoreKind, dataDir: string, schema: string): Promise<Row | undefined> {
  const env: Record<string, string> = kind === 'pglite' ? { FLOOR_DATA_DIR: join(dataDir, 'floor') } : { FLOOR_DATABASE_URL: PG_URL, FLOOR_SCHEMA: schema };
  const server = await startChild([join(root, 'dist/bench/insert-server.js')], env, /FLOOR (\S+)/).catch((err: Error) => {
    process.stderr.write(`  (the ${STORE_NAME[kind]} floor did not start: ${err.message.split('\n')[0]})\n`);
    return undefined;
  });
  if (!server) return undefined;
  try {
    const opts = { url: `${server.url}/insert`, method: 'POST' as const, headers: { 'Content-Type': 'application/json' }, body: CREATE_BODY };
    await autocannon({ ...opts, duration: 2, connections: CONNECTIONS });
    return { ...(await load(`floor: Fastify + one ${STORE_NAME[kind]} INSERT`, opts)), store: kind, rssMiB: rssMiB(server.proc.pid) };
  } finally {
    await stopChild(server.proc);
  }
}

// ---------------------------------------------------------------------------------------------
// Gateways

interface Gateway extends Server {
  kind: StoreKind;
  dataDir: string;
  schema?: string;
}

function gatewayEnv(kind: StoreKind, dataDir: string, schema: string | undefined, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PORT: '0', LOG_LEVEL: 'error', OPENCASHIER_TEST_SECRET_KEY: SECRET,
    // As `npm start` runs it: two glibc heaps, not one per thread (thread pool, V8), which under
    // this load held about 90 MB more of RSS on PGlite at the same speed.
    MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2',
    // The limiter stays on (its cost is part of every request) but high enough not to refuse.
    RATE_LIMIT_PER_SECOND: '1000000', POLL_SCHEDULE_MS: '3600000',
    // The webhook scenario holds its first sends open while it fills the outbox.
    WEBHOOK_TIMEOUT_MS: '300000',
    ...(GATEWAY_NODE_OPTIONS ? { NODE_OPTIONS: GATEWAY_NODE_OPTIONS } : {}),
    OPENCASHIER_TP_SITE_REFERENCE: 'test_site12345', OPENCASHIER_TP_USERNAME: TP_USER, OPENCASHIER_TP_PASSWORD: TP_PASSWORD,
    ...(kind === 'pglite' ? { DATA_DIR: dataDir } : { DATA_DIR: dataDir, DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema! }),
    ...extra,
  };
}

async function startGateway(kind: StoreKind, dataDir: string, schema?: string, extra: Record<string, string> = {}): Promise<Gateway> {
  const s = await startChild([...GATEWAY_NODE_ARGS, join(root, 'dist/src/cli.js'), 'serve'], gatewayEnv(kind, dataDir, schema, extra), /API \(Stripe-style\)\s+(\S+)\/v1/);
  return { ...s, kind, dataDir, schema };
}

async function pgReachable(): Promise<string | undefined> {
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function dropSchema(schema: string): Promise<void> {
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await c.end();
  }
}

/** Warm a gateway (JIT, caches) before measuring. */
async function warm(g: Gateway): Promise<void> {
  await autocannon({ url: `${g.url}/v1/payment_intents`, method: 'POST', headers: JSON_AUTH, body: CREATE_BODY, duration: 2, connections: CONNECTIONS });
}

/** Create, collecting the ids made (a pool for retrieve and a cursor for a deep page). */
async function createRow(g: Gateway, name: string, ids: string[], idempotent = false): Promise<Row> {
  return load(name, {
    url: `${g.url}/v1/payment_intents`, method: 'POST', headers: JSON_AUTH, body: CREATE_BODY,
    requests: [{
      ...(idempotent ? { setupRequest: (req: any) => ({ ...req, headers: { ...req.headers, 'Idempotency-Key': randomUUID() } }) } : {}),
      onResponse: (status: number, body: string) => {
        if (status === 200) {
          const m = /"id":"(pi_[^"]+)"/.exec(body);
          if (m) ids.push(m[1]!);
        }
      },
    }],
  });
}

function retrieveRow(g: Gateway, name: string, pool: string[]): Promise<Row> {
  let i = 0;
  return load(name, {
    url: `${g.url}/v1/payment_intents/x`, method: 'GET', headers: { Authorization: `Bearer ${SECRET}` },
    requests: [{ setupRequest: (req: any) => ({ ...req, path: `/v1/payment_intents/${pool[(i++ * 7919) % pool.length]}` }) }],
  });
}

function listRow(g: Gateway, name: string, query: string): Promise<Row> {
  return load(name, { url: `${g.url}/v1/payment_intents?${query}`, method: 'GET', headers: { Authorization: `Bearer ${SECRET}` } });
}

/**
 * Succeeded payments to refund: each large, each refund takes 1 of it, twice as many payments as
 * connections so the row is not a test of one charge's row lock.
 */
async function succeededPayments(base: string, count: number): Promise<string[]> {
  const t0 = Date.now();
  const ids = await Promise.all(Array.from({ length: count }, async () => {
    const pi = await apiOk(base, 'POST', '/v1/payment_intents', { ...JSON.parse(CONFIRM_BODY), amount: 10_000_000 });
    const done = await fetch(`${base}/simulator/v1/complete`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ url: pi.next_action.redirect_to_url.url, outcome: 'succeeded' }),
    });
    if (!done.ok) throw new Error(`simulator complete answered ${done.status}: ${await done.text()}`);
    for (const end = Date.now() + 60_000; ;) {
      if ((await apiOk(base, 'GET', `/v1/payment_intents/${pi.id}`)).status === 'succeeded') return pi.id as string;
      if (Date.now() > end) throw new Error(`${pi.id} did not succeed within 60 s`);
      await sleep(50);
    }
  }));
  process.stderr.write(`  (${count} succeeded payments to refund, set up in ${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
  return ids;
}

function refundOptions(base: string, ids: string[]): autocannon.Options {
  let next = 0;
  return {
    url: `${base}/v1/refunds`, method: 'POST', headers: JSON_AUTH,
    requests: [{ setupRequest: (req: any) => ({ ...req, body: JSON.stringify({ payment_intent: ids[next++ % ids.length], amount: 1 }) }) }],
  };
}

async function refundRow(g: Gateway): Promise<Row> {
  const ids = await succeededPayments(g.url, CONNECTIONS * 2);
  await autocannon({ ...refundOptions(g.url, ids), duration: 1, connections: CONNECTIONS });
  const row = await load('POST /v1/refunds amount=1 (simulator)', refundOptions(g.url, ids));
  // autocannon stops with requests in flight; let the gateway finish them before looking.
  await sleep(1_000);
  const latest = (await apiOk(g.url, 'GET', '/v1/refunds?limit=100')).data.filter((r: { status: string }) => r.status !== 'succeeded');
  if (latest.length > 0) process.stderr.write(`  (${latest.length} of the last 100 refunds did not succeed: ${latest[0].status})\n`);
  return row;
}

async function tpRow(g: Gateway): Promise<Row> {
  // Seed 004's AUTH through the Trust Payments door: the same payment as confirm=true, plus the envelope and the AUTH record.
  const tpHeaders = { 'Content-Type': 'application/json;charset=utf-8', Authorization: `Basic ${Buffer.from(`${TP_USER}:${TP_PASSWORD}`).toString('base64')}` };
  const tpBody = JSON.stringify({ alias: TP_USER, version: '1.00', request: [{
    currencyiso3a: 'EUR', requesttypedescriptions: ['AUTH'], accounttypedescription: 'ECOM', sitereference: 'test_site12345', baseamount: '1050',
    paymenttypedescription: 'ALIPAY', returnurl: 'https://www.example.com/return', billingcountryiso2a: 'DE', orderreference: 'My_Order_123',
  }] });
  // Replies are HTTP 200 whatever the errorcode: check one first, so the row measures real AUTHs.
  const probe = await (await fetch(`${g.url}/json/`, { method: 'POST', headers: tpHeaders, body: tpBody })).json() as { response: { errorcode: string }[] };
  if (probe.response[0]?.errorcode !== '0') throw new Error(`the /json/ AUTH failed: ${JSON.stringify(probe)}`);
  return load('POST /json/ AUTH (Trust Payments, simulator)', { url: `${g.url}/json/`, method: 'POST', headers: tpHeaders, body: tpBody });
}

/**
 * Webhook throughput: the receiver holds its first requests open while WEBHOOKS PaymentIntents are
 * created (autocannon `amount`), so the outbox fills without the worker draining it meanwhile
 * (the worker keeps at most WEBHOOK_PER_ENDPOINT sends open per endpoint). Then the receiver
 * answers everything at once and the clock runs until no delivery is pending. p50/p99 are the
 * gateway's own send latencies.
 */
async function webhookRows(g: Gateway): Promise<Row[]> {
  const n = WEBHOOKS;
  const receiver = await startChild([join(root, 'dist/bench/receiver.js'), '--hold'], {}, /RECEIVER (\S+)/, true);
  const stats = () => new Promise<{ count: number; last: number }>((resolve) => {
    receiver.proc.once('message', (m) => resolve(m as { count: number; last: number }));
    receiver.proc.send!('stats');
  });
  const endpoint = await apiOk(g.url, 'POST', '/v1/webhook_endpoints', { url: receiver.url, enabled_events: ['*'] });
  try {
    const enqueue = await load(`  … ×${n} with a '*' webhook endpoint (fills the outbox)`, { url: `${g.url}/v1/payment_intents`, method: 'POST', headers: JSON_AUTH, body: CREATE_BODY, amount: n });
    enqueue.rssMiB = rssMiB(g.proc.pid);
    enqueue.store = g.kind;

    process.stderr.write(`  webhook deliveries, ${n} queued … `);
    const t0 = Date.now();
    const ticks = cpuTicks();
    receiver.proc.send!('release');
    for (const end = t0 + 300_000; (await stats()).count < n; await sleep(20)) {
      if (Date.now() > end) throw new Error(`only ${(await stats()).count} of ${n} webhooks arrived within 300 s`);
    }
    // Arrived is not yet recorded: the outbox is drained when the last success is committed.
    for (const end = Date.now() + 60_000; (await apiOk(g.url, 'GET', '/v1/webhook_deliveries?status=pending&limit=1')).data.length > 0; await sleep(10)) {
      if (Date.now() > end) throw new Error('deliveries still pending 60 s after every webhook arrived');
    }
    const seconds = (Date.now() - t0) / 1000;
    const cpu = cpuBusy(ticks);
    const { count } = await stats();
    const rps = count / seconds;
    process.stderr.write(`${Math.round(rps)}/s (${count} in ${seconds.toFixed(2)} s)\n`);

    const latencies: number[] = [];
    let failed = 0;
    for (let after: string | undefined; ;) {
      const page = await apiOk(g.url, 'GET', `/v1/webhook_deliveries?webhook_endpoint=${endpoint.id}&limit=100${after ? `&starting_after=${after}` : ''}`);
      for (const d of page.data) {
        if (d.status !== 'succeeded') failed++;
        for (const a of d.attempts) if (a.http_status === 200) latencies.push(a.latency_ms);
      }
      if (!page.has_more) break;
      after = page.data[page.data.length - 1].id;
    }
    latencies.sort((a, b) => a - b);
    return [enqueue, {
      name: `webhook deliveries/s → local receiver (${n} queued)`, store: g.kind, rps, p50: percentile(latencies, 50), p99: percentile(latencies, 99),
      non2xx: failed + Math.max(0, n - count), errors: 0, rssMiB: rssMiB(g.proc.pid), cpu, floor: { name: 'target 2,000/s', rps: 2000 },
    }];
  } finally {
    await api(g.url, 'DELETE', `/v1/webhook_endpoints/${endpoint.id}`).catch(() => undefined);
    await stopChild(receiver.proc);
  }
}

/** The floor of a path through the simulator: two signatures each (the gateway's and the simulator's). */
function rsaBoundRow(rps: number): Row {
  return { name: 'floor: RSA bound, a path through the simulator (÷ 2)', rps, p50: NaN, p99: NaN, non2xx: 0, errors: 0 };
}

function confirmRow(g: Gateway): Promise<Row> {
  return load('POST /v1/payment_intents confirm=true (simulator)', { url: `${g.url}/v1/payment_intents`, method: 'POST', headers: JSON_AUTH, body: CONFIRM_BODY });
}

/** Every path on one store. */
async function storeRows(kind: StoreKind, dataDir: string, floor: Row | undefined, rsaBound: number): Promise<Row[]> {
  const schema = kind === 'postgres' ? `bench_gw_${process.pid}` : undefined;
  process.stderr.write(`${STORE_NAME[kind]} gateway\n`);
  const g = await startGateway(kind, join(dataDir, `gw-${kind}`), schema);
  const rows: Row[] = [];
  const insertFloorRef = floor ? { name: `${STORE_NAME[kind]} INSERT floor`, rps: floor.rps } : undefined;
  const rsa = { name: 'RSA bound', rps: rsaBound };
  const push = async (r: Row, f?: Row['floor']) => {
    rows.push({ ...r, store: kind, rssMiB: rssMiB(g.proc.pid), floor: f });
    await memoryNote(g, r.name);
  };
  try {
    await warm(g);
    const ids: string[] = [];
    await push(await createRow(g, 'POST /v1/payment_intents (create)', ids), insertFloorRef);
    await push(await createRow(g, '  … with an Idempotency-Key each', ids, true), insertFloorRef);
    await push(await retrieveRow(g, `GET /v1/payment_intents/:id (pool of ${Math.min(ids.length, 10_000)})`, ids.slice(-10_000)), insertFloorRef);
    await push(await confirmRow(g), rsa);
    await push(await tpRow(g));
    await push(await refundRow(g), rsa);
    for (const r of await webhookRows(g)) rows.push(r);
    return rows;
  } finally {
    await stopChild(g.proc);
    if (schema) await dropSchema(schema);
  }
}

/** Create on PostgreSQL with WORKERS=2, unless the gateway refuses or ignores it. */
async function workersRow(dataDir: string): Promise<{ row?: Row; skipped?: string }> {
  const schema = `bench_w2_${process.pid}`;
  process.stderr.write('PostgreSQL gateway, WORKERS=2\n');
  let g: Gateway;
  try {
    g = await startGateway('postgres', join(dataDir, 'gw-w2'), schema, { WORKERS: '2' });
  } catch (err) {
    await dropSchema(schema);
    return { skipped: `the gateway refused WORKERS=2: ${(err as Error).message.split('\n').filter((l) => l.trim()).slice(1, 3).join(' ').slice(0, 200)}` };
  }
  try {
    // Workers start after the primary prints its banner; give them time to come up.
    let workers: number[] = [];
    for (const end = Date.now() + 10_000; Date.now() < end; await sleep(200)) {
      workers = childPids(g.proc.pid!);
      if (workers.length >= 2) break;
    }
    if (workers.length < 2) return { skipped: `the gateway ignored WORKERS=2 (the serve process has ${workers.length} child processes, so one process serves)` };
    await warm(g);
    const row = await createRow(g, 'POST /v1/payment_intents (create), WORKERS=2', []);
    return { row: { ...row, store: 'postgres', rssMiB: rssMiB(g.proc.pid) } };
  } finally {
    await stopChild(g.proc);
    await dropSchema(schema);
  }
}

// ---------------------------------------------------------------------------------------------
// Growth

/** The account that holds the bench's key, read from the gateway's store. */
async function benchAccount(db: Db): Promise<string> {
  const [row] = await db.query<{ account_id: string }>("SELECT account_id FROM api_keys WHERE kind = 'secret' AND livemode = false AND revoked IS NULL ORDER BY created LIMIT 1");
  if (!row) throw new Error('no test secret key in the store');
  return row.account_id;
}

interface GrowthRow {
  store: StoreKind;
  name: string;
  empty: Row;
  full: Row;
}

async function growthMeasure(g: Gateway, pool: string[], deepId: string, label: string): Promise<Row[]> {
  await warm(g);
  const ids: string[] = [];
  const create = await createRow(g, `${label}: create`, ids);
  const retrieve = await retrieveRow(g, `${label}: retrieve`, pool.length ? pool : ids);
  const first = await listRow(g, `${label}: list, first page (limit=10)`, 'limit=10');
  const deep = await listRow(g, `${label}: list, starting_after ${deepId}`, `limit=10&starting_after=${deepId}`);
  return [create, retrieve, first, deep].map((r) => ({ ...r, rssMiB: rssMiB(g.proc.pid) }));
}

async function growthRows(kind: StoreKind, dataDir: string): Promise<{ rows: GrowthRow[]; preloadSeconds: number }> {
  const schema = kind === 'postgres' ? `bench_grow_${process.pid}` : undefined;
  const dir = join(dataDir, `grow-${kind}`);
  process.stderr.write(`${STORE_NAME[kind]} gateway, empty\n`);
  let g = await startGateway(kind, dir, schema);
  try {
    // Empty: ids made in this run; the deep page starts halfway down them.
    const made: string[] = [];
    await createRow(g, 'filling a few thousand to page through', made);
    const empty = await growthMeasure(g, made, made[Math.floor(made.length / 2)]!, 'empty');
    await stopChild(g.proc);

    const db = kind === 'pglite' ? await openPglite(join(dir, 'pglite'), 'the bench preload') : await openPostgres({ connectionString: PG_URL, schema });
    const t0 = Date.now();
    try {
      const accountId = await benchAccount(db);
      process.stderr.write(`  preloading ${PRELOAD.toLocaleString('en')} PaymentIntents into ${STORE_NAME[kind]} …\n`);
      await preload(db, {
        accountId, count: PRELOAD, now: Date.now(),
        progress: (done, count) => process.stderr.write(`    ${done.toLocaleString('en')} / ${count.toLocaleString('en')} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`),
      });
      // PGlite runs no autovacuum: statistics as a long-lived store would have them.
      await db.query('ANALYZE');
    } finally {
      await db.close();
    }
    const preloadSeconds = (Date.now() - t0) / 1000;
    process.stderr.write(`  preloaded in ${preloadSeconds.toFixed(0)} s\n${STORE_NAME[kind]} gateway, ${PRELOAD.toLocaleString('en')} PaymentIntents\n`);
    g = await startGateway(kind, dir, schema);
    const pool = Array.from({ length: 10_000 }, (_, i) => `pi_pre${1 + ((i * 104_729) % PRELOAD)}`);
    const full = await growthMeasure(g, pool, `pi_pre${Math.floor(PRELOAD / 2)}`, 'full');
    const names = ['create', 'retrieve', 'list, first page (limit=10)', 'list, a deep starting_after page'];
    return { rows: names.map((name, i) => ({ store: kind, name, empty: empty[i]!, full: full[i]! })), preloadSeconds };
  } finally {
    await stopChild(g.proc);
    if (schema) await dropSchema(schema);
  }
}

// ---------------------------------------------------------------------------------------------
// Soak

async function soak(dataDir: string): Promise<{ at1: number; end: number; rows: Row[]; delivered: number }> {
  const schema = SOAK_STORE === 'postgres' ? `bench_soak_${process.pid}` : undefined;
  process.stderr.write(`${STORE_NAME[SOAK_STORE]} gateway, ${SOAK} s of mixed load\n`);
  const g = await startGateway(SOAK_STORE, join(dataDir, 'soak'), schema);
  const receiver = await startChild([join(root, 'dist/bench/receiver.js')], {}, /RECEIVER (\S+)/, true);
  try {
    await apiOk(g.url, 'POST', '/v1/webhook_endpoints', { url: receiver.url, enabled_events: ['*'] });
    await warm(g);
    const ids: string[] = [];
    await createRow(g, 'a pool to retrieve', ids);
    const paid = await succeededPayments(g.url, CONNECTIONS);
    const c = Math.max(1, Math.floor(CONNECTIONS / 4));
    const run = (name: string, o: autocannon.Options) => load(name, { ...o, connections: c, duration: SOAK });
    let at1 = NaN;
    const samples = setInterval(() => process.stderr.write(`  … RSS ${rssMiB(g.proc.pid).toFixed(0)} MiB\n`), 60_000);
    const first = setTimeout(() => {
      at1 = rssMiB(g.proc.pid);
    }, 60_000);
    const rows = await Promise.all([
      run('soak: create', { url: `${g.url}/v1/payment_intents`, method: 'POST', headers: JSON_AUTH, body: CREATE_BODY }),
      run('soak: retrieve', { url: `${g.url}/v1/payment_intents/x`, method: 'GET', headers: { Authorization: `Bearer ${SECRET}` },
        requests: [{ setupRequest: (req: any) => ({ ...req, path: `/v1/payment_intents/${ids[Math.floor(Math.random() * ids.length)]}` }) }] }),
      run('soak: confirm (simulator)', { url: `${g.url}/v1/payment_intents`, method: 'POST', headers: JSON_AUTH, body: CONFIRM_BODY }),
      run('soak: refunds (simulator)', refundOptions(g.url, paid)),
    ]);
    clearInterval(samples);
    clearTimeout(first);
    const end = rssMiB(g.proc.pid);
    const delivered = await new Promise<number>((resolve) => {
      receiver.proc.once('message', (m) => resolve((m as { count: number }).count));
      receiver.proc.send!('stats');
    });
    return { at1, end, rows: rows.map((r) => ({ ...r, store: SOAK_STORE, rssMiB: end })), delivered };
  } finally {
    await stopChild(receiver.proc);
    await stopChild(g.proc);
    if (schema) await dropSchema(schema);
  }
}

// ---------------------------------------------------------------------------------------------
// Dashboard

interface QueryRow {
  name: string;
  /** As filled, never analyzed (PGlite runs no autovacuum), then after ANALYZE. */
  raw: { p50: number; p99: number };
  analyzed: { p50: number; p99: number };
}

/**
 * The dashboard's payments list on a PGlite data folder holding DASHBOARD_PAYMENTS payments over
 * 30 days (test/helpers/dashboard-fill.ts: five currencies, four statuses, metadata on three in
 * four), queried in this process through store/dashboard.ts: no HTTP, no rendering, the read model
 * alone. Each query runs DASHBOARD_RUNS times after a few warm-ups, first on the tables as filled
 * (no statistics, as a PGlite gateway has them) and again after ANALYZE.
 */
async function dashboardScenario(dataDir: string): Promise<QueryRow[]> {
  const db = await openPglite(join(dataDir, 'dashboard'), 'the bench');
  try {
    await migrate(db, CORE_MIGRATIONS);
    const now = Date.now();
    const scope = { account_id: 'acct_bench', livemode: false };
    await db.query('INSERT INTO accounts (id, name, created) VALUES ($1, $2, $3)', [scope.account_id, 'Bench', now]);
    process.stderr.write(`  dashboard: filling ${DASHBOARD_PAYMENTS} payments … `);
    const t0 = Date.now();
    await fillPayments(db, { accountId: scope.account_id, count: DASHBOARD_PAYMENTS, now, days: 30, prefix: 'bench' });
    process.stderr.write(`${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    // The cursor a reader holds after paging halfway down the list (OFFSET here finds it once; the list never uses it).
    const [mid] = await db.query<{ created: number; seq: number }>(
      'SELECT created, seq FROM payment_intents WHERE account_id = $1 AND livemode = false ORDER BY created DESC, seq DESC OFFSET $2 LIMIT 1',
      [scope.account_id, Math.floor(DASHBOARD_PAYMENTS / 2)]);
    const deep = encodeCursor(mid!);
    const d = dashboardQueries(db);
    const day = 86_400_000;
    let n = 0;
    // A different order each run, so no run reads only what the one before left in the cache. Row
    // 4k+1 has an order id (every fourth row has no metadata).
    const someOrder = () => `ORD-bench${1 + 4 * ((n++ * 7919) % Math.floor(DASHBOARD_PAYMENTS / 4))}`;
    const queries: [string, () => { filter: PaymentFilter; after?: string }][] = [
      ['first page (limit 25)', () => ({ filter: {} })],
      [`deep page via cursor (~${Math.floor(DASHBOARD_PAYMENTS / 2).toLocaleString('en')} rows in)`, () => ({ filter: {}, after: deep })],
      ['status = canceled', () => ({ filter: { status: 'canceled' } })],
      ['currency EUR, one day 10 days ago', () => ({ filter: { currency: 'EUR', from: now - 10 * day, to: now - 9 * day } })],
      ['metadata search (an order id)', () => ({ filter: { search: someOrder() } })],
    ];
    const measure = async () => {
      const out: { p50: number; p99: number }[] = [];
      for (const [, make] of queries) {
        const times: number[] = [];
        for (let i = 0; i < 5 + DASHBOARD_RUNS; i++) {
          const { filter, after } = make();
          const t = performance.now();
          const page = await d.payments(scope, filter, { limit: 25, ...(after ? { after } : {}) });
          if (i >= 5) times.push(performance.now() - t);
          if (page.rows.length === 0) throw new Error(`the dashboard query ${JSON.stringify(filter)} found nothing`);
        }
        times.sort((a, b) => a - b);
        out.push({ p50: percentile(times, 50), p99: percentile(times, 99) });
      }
      return out;
    };
    const raw = await measure();
    await db.query('ANALYZE');
    const analyzed = await measure();
    return queries.map(([name], i) => ({ name, raw: raw[i]!, analyzed: analyzed[i]! }));
  } finally {
    await db.close();
  }
}

function dashboardTable(rows: QueryRow[]): string {
  const pad = (s: string, n: number) => s.padEnd(n);
  const ms = (x: number) => x.toFixed(1);
  const worst = (k: 'p50' | 'p99') => Math.max(...rows.flatMap((r) => [r.raw[k], r.analyzed[k]]));
  const verdict = (k: 'p50' | 'p99') => `${k} ${worst(k) < DASHBOARD_BUDGET_MS ? 'met' : 'NOT met'} (worst ${ms(worst(k))})`;
  return [
    '',
    `dashboard payments list at ${DASHBOARD_PAYMENTS.toLocaleString('en')} payments (PGlite), ${DASHBOARD_RUNS} runs per query, ms`
      + ` (${cpus().length} CPUs, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')})`,
    `${pad('query', 48)} ${pad('p50', 7)} ${pad('p99', 7)} ${pad('p50 analyzed', 13)} p99 analyzed`,
    ...rows.map((r) => `${pad(r.name, 48)} ${pad(ms(r.raw.p50), 7)} ${pad(ms(r.raw.p99), 7)} ${pad(ms(r.analyzed.p50), 13)} ${ms(r.analyzed.p99)}`),
    `every query < ${DASHBOARD_BUDGET_MS} ms, with and without statistics: ${verdict('p50')}, ${verdict('p99')}`,
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Output

const pad = (s: string, n: number) => s.padEnd(n);
const fmt = (x: number | undefined, digits = 0) => (x === undefined || Number.isNaN(x) ? '—' : x.toFixed(digits));

function table(rows: Row[]): string {
  const lines = [
    `${pad('store', 11)} ${pad('row', 58)} ${pad('req/s', 8)} ${pad('p50 ms', 7)} ${pad('p99 ms', 7)} ${pad('non-2xx', 8)} ${pad('RSS MiB', 8)} ${pad('CPU %', 6)} ratio`,
  ];
  for (const r of rows) {
    const store = r.store ? STORE_NAME[r.store] : '';
    const vs = r.floor ? `${fmt(ratio(r), 2)}× ${r.floor.name}` : '';
    lines.push(`${pad(store, 11)} ${pad(r.name, 58)} ${pad(fmt(r.rps), 8)} ${pad(fmt(r.p50), 7)} ${pad(fmt(r.p99), 7)} ${pad(String(r.non2xx + r.errors), 8)} ${pad(fmt(r.rssMiB), 8)} ${pad(fmt(r.cpu), 6)} ${vs}`);
  }
  return lines.join('\n');
}

/** The same rows as a Markdown table, for the README. */
function markdown(rows: Row[]): string {
  return [
    '| store | row | req/s | p50 ms | p99 ms | non-2xx | RSS MiB | CPU % | ratio to its floor |',
    '|---|---|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map((r) => `| ${r.store ? STORE_NAME[r.store] : ''} | ${r.name.replace(/\|/g, '\\|').trim()} | ${fmt(r.rps)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${r.non2xx + r.errors} | ${fmt(r.rssMiB)} | ${fmt(r.cpu)} | ${r.floor ? `${fmt(ratio(r), 2)}× ${r.floor.name}` : ''} |`),
  ].join('\n');
}

interface Verdict {
  target: string;
  met: boolean | undefined;
  figures: string;
}

function verdictLines(vs: Verdict[]): string {
  return vs.map((v) => `${pad(v.met === undefined ? 'NOT MEASURED' : v.met ? 'met' : 'NOT met', 13)} ${v.target}: ${v.figures}`).join('\n');
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'opencashier-bench-'));
  const pid = process.pid;
  try {
    if (ONLY === 'dashboard') {
      const dashboard = await dashboardScenario(dataDir);
      process.stdout.write(dashboardTable(dashboard) + '\n');
      process.stdout.write(`BENCH_JSON ${JSON.stringify({ dashboard })}\n`);
      return;
    }
    if (ONLY !== undefined && !['webhooks', 'confirm', 'refunds'].includes(ONLY)) {
      throw new Error(`--only takes "dashboard", "webhooks", "confirm" or "refunds", not ${JSON.stringify(ONLY)}`);
    }
    const machine = `${cpus().length} CPUs (${cpus()[0]?.model.trim()}), load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}, Node ${process.version}`;
    const pgDown = await pgReachable();
    if (pgDown) process.stderr.write(`(PostgreSQL at ${PG_URL} not reachable: ${pgDown}; its rows are left out)\n`);
    for (const k of STORES ?? []) if (k !== 'pglite' && k !== 'postgres') throw new Error(`BENCH_STORES takes pglite and/or postgres, not ${JSON.stringify(k)}`);
    const kinds = (pgDown ? ['pglite'] : ['pglite', 'postgres']).filter((k) => !STORES || STORES.includes(k)) as StoreKind[];

    if (ONLY !== undefined) {
      // One row alone, on each store (BENCH_STORES): a quick look, or a profile of one path
      // (BENCH_GATEWAY_NODE_ARGS=--cpu-prof).
      const rows: Row[] = [];
      const rsa = { name: 'RSA bound', rps: rsaSignaturesPerSecond() / 2 };
      if (ONLY !== 'webhooks') rows.push(rsaBoundRow(rsa.rps));
      for (const kind of kinds) {
        const schema = kind === 'postgres' ? `bench_only_${process.pid}` : undefined;
        process.stderr.write(`${STORE_NAME[kind]} gateway\n`);
        const g = await startGateway(kind, join(dataDir, `only-${kind}`), schema);
        try {
          await warm(g);
          if (ONLY === 'webhooks') rows.push(...(await webhookRows(g)));
          else {
            const r = ONLY === 'confirm' ? await confirmRow(g) : await refundRow(g);
            rows.push({ ...r, store: kind, rssMiB: rssMiB(g.proc.pid), floor: rsa });
            await memoryNote(g, r.name);
          }
        } finally {
          await stopChild(g.proc);
          if (schema) await dropSchema(schema);
        }
      }
      process.stdout.write(`\n${table(rows)}\n`);
      return;
    }

    if (SOAK > 0) {
      if (SOAK_STORE === 'postgres' && pgDown) throw new Error('BENCH_SOAK_STORE=postgres but PostgreSQL is not reachable');
      process.stderr.write(`OpenCashier soak: ${SOAK} s, ${CONNECTIONS} connections split over four paths; ${machine}\n`);
      const s = await soak(dataDir);
      const within = Math.abs(s.end - s.at1) <= 0.1 * s.at1;
      process.stdout.write(`\n${table(s.rows)}\nwebhook deliveries received during the soak: ${s.delivered}\n\n`);
      process.stdout.write(verdictLines([{ target: `RSS at the end of ${SOAK} s within 10% of RSS after 1 minute (${STORE_NAME[SOAK_STORE]})`, met: Number.isNaN(s.at1) ? undefined : within, figures: `${fmt(s.at1)} MiB after 1 min, ${fmt(s.end)} MiB at the end (${fmt(((s.end - s.at1) / s.at1) * 100, 1)}%)` }]) + '\n');
      process.stdout.write(`BENCH_JSON ${JSON.stringify({ soakSeconds: SOAK, store: SOAK_STORE, connections: CONNECTIONS, rssAfter1MinMiB: s.at1, rssEndMiB: s.end, delivered: s.delivered, rows: s.rows })}\n`);
      if (s.rows.some((r) => r.non2xx + r.errors > 0)) process.exitCode = 1;
      return;
    }

    if (PRELOAD > 0) {
      process.stderr.write(`OpenCashier growth bench: ${PRELOAD.toLocaleString('en')} PaymentIntents, ${DURATION}s per row, ${CONNECTIONS} connections; ${machine}\n`);
      const growth: GrowthRow[] = [];
      const preloadSeconds: Partial<Record<StoreKind, number>> = {};
      for (const kind of kinds) {
        const r = await growthRows(kind, dataDir);
        growth.push(...r.rows);
        preloadSeconds[kind] = r.preloadSeconds;
      }
      const lines = [
        '',
        `growth: each row on an empty store and after ${PRELOAD.toLocaleString('en')} PaymentIntents (with charges, refunds, events) were preloaded`,
        `${pad('store', 11)} ${pad('row', 36)} ${pad('empty req/s', 12)} ${pad('p99', 6)} ${pad('full req/s', 11)} ${pad('p99', 6)} ratio`,
        ...growth.map((g) => `${pad(STORE_NAME[g.store], 11)} ${pad(g.name, 36)} ${pad(fmt(g.empty.rps), 12)} ${pad(fmt(g.empty.p99), 6)} ${pad(fmt(g.full.rps), 11)} ${pad(fmt(g.full.p99), 6)} ${fmt(g.full.rps / g.empty.rps, 2)}×`),
        `preload took ${kinds.map((k) => `${fmt(preloadSeconds[k])} s on ${STORE_NAME[k]}`).join(', ')}`,
        '',
        verdictLines(growth.map((g) => ({ target: `growth ≥ 0.8×: ${g.name} (${STORE_NAME[g.store]})`, met: g.full.rps / g.empty.rps >= 0.8, figures: `${fmt(g.full.rps)} vs ${fmt(g.empty.rps)} req/s = ${fmt(g.full.rps / g.empty.rps, 2)}×` }))),
        '',
      ];
      process.stdout.write(lines.join('\n') + '\n');
      process.stdout.write(`BENCH_JSON ${JSON.stringify({ preload: PRELOAD, preloadSeconds, durationSeconds: DURATION, connections: CONNECTIONS, growth })}\n`);
      if (growth.some((g) => g.empty.non2xx + g.empty.errors + g.full.non2xx + g.full.errors > 0)) {
        process.stderr.write('Some requests failed during the bench: the figures above include errors.\n');
        process.exitCode = 1;
      }
      return;
    }

    process.stderr.write(`OpenCashier bench: ${DURATION}s per row, ${CONNECTIONS} connections; ${machine}\n`);
    // Floors, measured first, each alone on the machine.
    const rows: Row[] = [];
    process.stderr.write('floors\n');
    const rsa = rsaSignaturesPerSecond();
    process.stderr.write(`  RSA-2048 signatures/s on one core: ${Math.round(rsa)}\n`);
    const bare = await startChild([join(root, 'dist/bench/bare-server.js')], {}, /BARE (\S+)/);
    const bareOpts = { url: `${bare.url}/echo`, method: 'POST' as const, headers: { 'Content-Type': 'application/json' }, body: CREATE_BODY };
    await autocannon({ ...bareOpts, duration: 2, connections: CONNECTIONS });
    rows.push({ ...(await load('floor: bare Fastify JSON route', bareOpts)), rssMiB: rssMiB(bare.proc.pid) });
    await stopChild(bare.proc);
    rows.push({ name: 'floor: RSA-2048 signs/s (SHA-256, PKCS#1 v1.5, 1 KB, 1 core)', rps: rsa, p50: NaN, p99: NaN, non2xx: 0, errors: 0 });
    rows.push(rsaBoundRow(rsa / 2));
    // Each store's INSERT floor just before that store's rows: on a shared machine the load
    // changes over a run, and a ratio is only as good as the two figures being taken together.
    for (const kind of kinds) {
      const floor = await insertFloor(kind, dataDir, `bench_floor_${pid}`);
      if (kind === 'postgres') await dropSchema(`bench_floor_${pid}`);
      if (floor) rows.push(floor);
      rows.push(...(await storeRows(kind, dataDir, floor, rsa / 2)));
    }

    let workers: { row?: Row; skipped?: string } = { skipped: 'PostgreSQL is not reachable' };
    const single = rows.find((r) => r.store === 'postgres' && r.name.startsWith('POST /v1/payment_intents (create)'));
    if (!kinds.includes('postgres')) workers = { skipped: pgDown ? 'PostgreSQL is not reachable' : 'BENCH_STORES leaves PostgreSQL out' };
    else workers = await workersRow(dataDir);
    if (workers.row) rows.push({ ...workers.row, floor: single ? { name: 'WORKERS=1 create', rps: single.rps } : undefined });
    else process.stderr.write(`  row "create on PostgreSQL with WORKERS=2" skipped: ${workers.skipped}\n`);

    // In-process and timed in milliseconds: nothing else runs meanwhile.
    const dashboard = await dashboardScenario(dataDir);

    const find = (kind: StoreKind, prefix: string) => rows.find((r) => r.store === kind && r.name.trimStart().startsWith(prefix));
    const verdicts: Verdict[] = [];
    for (const kind of (['pglite', 'postgres'] as StoreKind[])) {
      const S = STORE_NAME[kind];
      const have = kinds.includes(kind);
      const one = (target: string, r: Row | undefined, met: (r: Row) => boolean, figures: (r: Row) => string) =>
        verdicts.push({ target: `${target} (${S})`, met: have && r ? met(r) : undefined, figures: have && r ? figures(r) : 'no row' });
      for (const [label, prefix] of [['create', 'POST /v1/payment_intents (create)'], ['create with Idempotency-Key', '… with an Idempotency-Key']] as const) {
        one(`${label} ≥ 0.6× insert floor and p99 ≤ 50 ms`, find(kind, prefix), (r) => ratio(r) >= 0.6 && r.p99 <= 50,
          (r) => `${fmt(r.rps)} req/s = ${fmt(ratio(r), 2)}× ${fmt(r.floor?.rps)}, p99 ${r.p99} ms`);
      }
      one('retrieve ≥ 1× insert floor', find(kind, 'GET /v1/payment_intents/:id'), (r) => ratio(r) >= 1, (r) => `${fmt(r.rps)} req/s = ${fmt(ratio(r), 2)}× ${fmt(r.floor?.rps)}`);
      one('confirm ≥ 0.3× RSA bound', find(kind, 'POST /v1/payment_intents confirm=true'), (r) => ratio(r) >= 0.3, (r) => `${fmt(r.rps)} req/s = ${fmt(ratio(r), 2)}× ${fmt(r.floor?.rps)}`);
      one('refund ≥ 0.3× RSA bound', find(kind, 'POST /v1/refunds'), (r) => ratio(r) >= 0.3, (r) => `${fmt(r.rps)} req/s = ${fmt(ratio(r), 2)}× ${fmt(r.floor?.rps)}`);
      one('webhooks ≥ 2,000/s', find(kind, 'webhook deliveries/s'), (r) => r.rps >= 2000, (r) => `${fmt(r.rps)}/s`);
      const rss = Math.max(...rows.filter((r) => r.store === kind && r.rssMiB !== undefined && !r.name.startsWith('floor') && !r.name.includes('WORKERS=2')).map((r) => r.rssMiB!));
      const limit = kind === 'pglite' ? 400 : 250;
      verdicts.push({ target: `RSS after load ≤ ${limit} MB (${S})`, met: have && Number.isFinite(rss) ? rss <= limit : undefined, figures: have ? `highest ${fmt(rss)} MiB` : 'no row' });
    }
    // What a second process could add on this machine: the cores one process left idle.
    const ceiling = single?.cpu ? `; WORKERS=1 kept the cores ${fmt(single.cpu)}% busy, so at most ${fmt(100 / single.cpu, 2)}× here` : '';
    verdicts.push(workers.row
      ? { target: 'create on PostgreSQL with WORKERS=2 ≥ 1.5× WORKERS=1', met: ratio(rows.find((r) => r.name.includes('WORKERS=2'))) >= 1.5, figures: `${fmt(workers.row.rps)} vs ${fmt(single?.rps)} req/s = ${fmt(ratio(rows.find((r) => r.name.includes('WORKERS=2'))), 2)}×${ceiling}` }
      : { target: 'create on PostgreSQL with WORKERS=2 ≥ 1.5× WORKERS=1', met: undefined, figures: `skipped: ${workers.skipped}` });
    verdicts.push({ target: 'growth ≥ 0.8× at 1,000,000 PaymentIntents', met: undefined, figures: 'run npm run bench -- --preload 1000000' });
    verdicts.push({ target: 'RSS after 10 minutes within 10% of RSS after 1 minute', met: undefined, figures: 'run npm run bench -- --soak 600' });

    const out = [
      '',
      `OpenCashier bench, ${DURATION} s per row, ${CONNECTIONS} connections; at the start ${machine}; load average at the end ${loadavg().map((x) => x.toFixed(1)).join(' ')}`,
      'The machine is shared: the floors are measured in the same run so that ratios, not absolute figures, carry over.',
      table(rows),
      '',
      'ratio: create, idem-create and retrieve to the same store\'s one-INSERT floor; confirm and refunds to the RSA bound',
      '(signatures/s on one core ÷ 2); webhooks to the 2,000/s target; WORKERS=2 to the WORKERS=1 create. RSS of the',
      'gateway (with its worker processes) after the row. CPU %: how busy all the machine\'s cores were during the row (gateway,',
      'database, simulator and load generator alike). Webhook deliveries: from the release of a filled outbox until',
      'none is pending; p50/p99 are the send latencies the gateway recorded, non-2xx the deliveries that did not succeed.',
      workers.row ? '' : `create on PostgreSQL with WORKERS=2: skipped, ${workers.skipped}.`,
      '',
      'targets (issue 10)',
      verdictLines(verdicts),
      '',
      'Markdown:',
      markdown(rows),
      '',
    ];
    process.stdout.write(out.join('\n') + '\n');
    process.stdout.write(dashboardTable(dashboard) + '\n');
    process.stdout.write(`BENCH_JSON ${JSON.stringify({
      durationSeconds: DURATION, connections: CONNECTIONS, machine, rsaSignaturesPerSecond: rsa, rsaBound: rsa / 2,
      rows: rows.map((r) => ({ ...r, ratio: r.floor ? ratio(r) : undefined })), workersSkipped: workers.skipped, verdicts, dashboard,
    })}\n`);
    if (rows.some((r) => r.non2xx + r.errors > 0)) {
      process.stderr.write('Some requests failed during the bench: the figures above include errors.\n');
      process.exitCode = 1;
    }
  } finally {
    for (const c of [...live]) await stopChild(c);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
