/**
 * `npm run bench`: in one run, on this machine, measure
 *   1. a bare Fastify JSON route (the ceiling),
 *   2. POST /v1/payment_intents without confirm,
 *   3. the same with a unique Idempotency-Key per request (what the stripe SDK sends),
 *   4. POST /v1/payment_intents with confirm (gateway → signed Antom pay → simulator → back),
 *   5. POST /v1/refunds, partial refunds of succeeded payments (gateway → Antom refund → simulator),
 *   6. webhook deliveries per second from a filled outbox to a local receiver (its own process),
 * each served by its own child process on PGlite, loaded by autocannon from this process over
 * loopback. Figures are compared as ratios to the bare route, since the machine is shared.
 *   7. the dashboard's payments list (store/dashboard.ts) at 100,000 payments on PGlite, in this
 *      process: query latencies, against a budget of 100 ms each.
 * `npm run bench -- --only dashboard` (or BENCH_ONLY=dashboard) runs the last one alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { openPglite } from '../src/store/db.js';
import { CORE_MIGRATIONS, migrate } from '../src/store/migrate.js';
import { dashboardQueries, encodeCursor, type PaymentFilter } from '../src/store/dashboard.js';
import { fillPayments } from '../test/helpers/dashboard-fill.js';

const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : process.env.BENCH_ONLY;
const DASHBOARD_PAYMENTS = Number(process.env.BENCH_DASHBOARD_PAYMENTS ?? 100_000);
const DASHBOARD_RUNS = Number(process.env.BENCH_DASHBOARD_RUNS ?? 100);
const DASHBOARD_BUDGET_MS = 100;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const root = new URL('../..', import.meta.url).pathname;
const SECRET = 'sk_test_BenchmarkSecretKey0000001';

interface Server {
  proc: ChildProcess;
  url: string;
}

function startChild(args: string[], env: Record<string, string>, ready: RegExp, ipc = false): Promise<Server> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe', ...(ipc ? ['ipc' as const] : [])] });
    let out = '';
    const onData = (d: Buffer) => {
      out += String(d);
      const m = out.match(ready);
      if (m) resolve({ proc, url: m[1]! });
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`child exited ${code}:\n${out}`)));
  });
}


function rssMiB(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)]).toString().trim()) / 1024;
  } catch {
    return NaN;
  }
}

interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  rssMiB?: number;
}

async function load(name: string, opts: autocannon.Options): Promise<Row> {
  process.stderr.write(`  ${name} … `);
  const r = await autocannon({ connections: CONNECTIONS, duration: DURATION, ...opts });
  // A fixed amount ends mid-second; the per-second average would count that stub as a whole second.
  const rps = opts.amount ? r.requests.total / r.duration : r.requests.average;
  process.stderr.write(`${Math.round(rps)} req/s\n`);
  return { name, rps, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors + r.timeouts };
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

/**
 * Partial refunds under load. Each payment is large and each refund takes 1 of it, so a handful
 * of payments serve the whole run; spreading the load over twice as many payments as connections
 * keeps it from being a test of one charge's row lock.
 */
async function refundScenario(base: string, confirmBody: string): Promise<Row> {
  const payments = CONNECTIONS * 2;
  const t0 = Date.now();
  const ids = await Promise.all(Array.from({ length: payments }, async () => {
    const pi = await apiOk(base, 'POST', '/v1/payment_intents', { ...JSON.parse(confirmBody), amount: 10_000_000 });
    const done = await fetch(`${base}/simulator/v1/complete`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ url: pi.next_action.redirect_to_url.url, outcome: 'succeeded' }),
    });
    if (!done.ok) throw new Error(`simulator complete answered ${done.status}: ${await done.text()}`);
    for (const end = Date.now() + 30_000; ;) {
      if ((await apiOk(base, 'GET', `/v1/payment_intents/${pi.id}`)).status === 'succeeded') return pi.id as string;
      if (Date.now() > end) throw new Error(`${pi.id} did not succeed within 30 s`);
      await sleep(50);
    }
  }));
  process.stderr.write(`  (${payments} succeeded payments to refund, set up in ${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
  let next = 0;
  const refundOf = (req: any) => ({ ...req, body: JSON.stringify({ payment_intent: ids[next++ % ids.length], amount: 1 }) });
  const json = { 'Content-Type': 'application/json', Authorization: `Bearer ${SECRET}` };
  await autocannon({ url: `${base}/v1/refunds`, method: 'POST', headers: json, duration: 1, connections: CONNECTIONS, requests: [{ setupRequest: refundOf }] });
  const row = await load('POST /v1/refunds amount=1 (via simulator)', { url: `${base}/v1/refunds`, method: 'POST', headers: json, requests: [{ setupRequest: refundOf }] });
  // autocannon stops with requests in flight; let the gateway finish them before looking.
  await sleep(1_000);
  const latest = (await apiOk(base, 'GET', '/v1/refunds?limit=100')).data.filter((r: { status: string }) => r.status !== 'succeeded');
  if (latest.length > 0) process.stderr.write(`  (${latest.length} of the last 100 refunds did not succeed: ${latest[0].status})\n`);
  return row;
}

/**
 * Webhook throughput: the receiver holds its first requests open while N PaymentIntents are
 * created, so the outbox fills without the worker draining it meanwhile (the worker keeps at most
 * WEBHOOK_PER_ENDPOINT sends open per endpoint). Then the receiver answers everything at once and
 * the clock runs until no delivery is pending. p50/p99 are the gateway's own send latencies.
 * N is 60 per BENCH_SECOND: on PGlite the drain runs at tens per second, and the whole bench must
 * stay within a few minutes.
 */
async function webhookScenario(base: string, gatewayPid: number | undefined, createBody: string): Promise<Row[]> {
  const n = Math.max(100, Math.round(DURATION * 60));
  const receiver = await startChild([join(root, 'dist/bench/receiver.js'), '--hold'], {}, /RECEIVER (\S+)/, true);
  const stats = () => new Promise<{ count: number; last: number }>((resolve) => {
    receiver.proc.once('message', (m) => resolve(m as { count: number; last: number }));
    receiver.proc.send!('stats');
  });
  const endpoint = await apiOk(base, 'POST', '/v1/webhook_endpoints', { url: receiver.url, enabled_events: ['*'] });
  try {
    const json = { 'Content-Type': 'application/json', Authorization: `Bearer ${SECRET}` };
    const enqueue = await load(`  … ×${n} with a '*' webhook endpoint (fills the outbox)`, { url: `${base}/v1/payment_intents`, method: 'POST', headers: json, body: createBody, amount: n });
    enqueue.rssMiB = rssMiB(gatewayPid);

    process.stderr.write(`  webhook deliveries, ${n} queued … `);
    const t0 = Date.now();
    receiver.proc.send!('release');
    for (const end = t0 + 120_000; (await stats()).count < n; await sleep(20)) {
      if (Date.now() > end) throw new Error(`only ${(await stats()).count} of ${n} webhooks arrived within 120 s`);
    }
    // Arrived is not yet recorded: the outbox is drained when the last success is committed.
    for (const end = Date.now() + 30_000; (await apiOk(base, 'GET', '/v1/webhook_deliveries?status=pending&limit=1')).data.length > 0; await sleep(10)) {
      if (Date.now() > end) throw new Error('deliveries still pending 30 s after every webhook arrived');
    }
    const seconds = (Date.now() - t0) / 1000;
    const { count } = await stats();
    const rps = count / seconds;
    process.stderr.write(`${Math.round(rps)}/s (${count} in ${seconds.toFixed(2)} s)\n`);

    const latencies: number[] = [];
    let failed = 0;
    for (let after: string | undefined; ;) {
      const page = await apiOk(base, 'GET', `/v1/webhook_deliveries?webhook_endpoint=${endpoint.id}&limit=100${after ? `&starting_after=${after}` : ''}`);
      for (const d of page.data) {
        if (d.status !== 'succeeded') failed++;
        for (const a of d.attempts) if (a.http_status === 200) latencies.push(a.latency_ms);
      }
      if (!page.has_more) break;
      after = page.data[page.data.length - 1].id;
    }
    latencies.sort((a, b) => a - b);
    return [enqueue, {
      name: `webhook deliveries/s → local receiver (${n} queued)`, rps, p50: percentile(latencies, 50), p99: percentile(latencies, 99),
      non2xx: failed + Math.max(0, n - count), errors: 0, rssMiB: rssMiB(gatewayPid),
    }];
  } finally {
    await api(base, 'DELETE', `/v1/webhook_endpoints/${endpoint.id}`).catch(() => undefined);
    receiver.proc.kill('SIGTERM');
  }
}

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

const TP_USER = 'webservices@example.com';
const TP_PASSWORD = 'Password1^';

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'opencashier-bench-'));
  const children: ChildProcess[] = [];
  try {
    if (ONLY === 'dashboard') {
      const dashboard = await dashboardScenario(dataDir);
      process.stdout.write(dashboardTable(dashboard) + '\n');
      process.stdout.write(`BENCH_JSON ${JSON.stringify({ dashboard })}\n`);
      return;
    }
    if (ONLY !== undefined) throw new Error(`--only takes "dashboard", not ${JSON.stringify(ONLY)}`);
    process.stderr.write(`OpenCashier bench: ${DURATION}s per scenario, ${CONNECTIONS} connections, Node ${process.version}\n`);
    const bare = await startChild([join(root, 'dist/bench/bare-server.js')], {}, /BARE (\S+)/);
    children.push(bare.proc);
    const gateway = await startChild([join(root, 'dist/src/cli.js'), 'serve'], {
      PORT: '0', DATA_DIR: join(dataDir, 'gw'), LOG_LEVEL: 'error', OPENCASHIER_TEST_SECRET_KEY: SECRET,
      // The limiter stays on (its cost is part of every request) but high enough not to refuse.
      RATE_LIMIT_PER_SECOND: '1000000', POLL_SCHEDULE_MS: '3600000',
      // The webhook scenario holds its first sends open while it fills the outbox.
      WEBHOOK_TIMEOUT_MS: '120000',
      OPENCASHIER_TP_SITE_REFERENCE: 'test_site12345', OPENCASHIER_TP_USERNAME: TP_USER, OPENCASHIER_TP_PASSWORD: TP_PASSWORD,
    }, /API \(Stripe-style\)\s+(\S+)\/v1/);
    children.push(gateway.proc);

    const json = { 'Content-Type': 'application/json', Authorization: `Bearer ${SECRET}` };
    const createBody = JSON.stringify({ amount: 2000, currency: 'CNY', payment_method_types: ['alipay'], metadata: { order_id: 'bench' } });
    const confirmBody = JSON.stringify({
      amount: 2000, currency: 'CNY', confirm: true, payment_method_types: ['alipay'], payment_method_data: { type: 'alipay' },
      payment_method_options: { alipay: { terminal_type: 'WEB' } }, return_url: 'https://shop.example/return',
    });
    // Warm both servers (JIT, PGlite caches) before measuring.
    await autocannon({ url: `${bare.url}/echo`, method: 'POST', headers: { 'Content-Type': 'application/json' }, body: createBody, duration: 2, connections: CONNECTIONS });
    await autocannon({ url: `${gateway.url}/v1/payment_intents`, method: 'POST', headers: json, body: createBody, duration: 2, connections: CONNECTIONS });

    const rows: Row[] = [];
    rows.push({ ...(await load('bare Fastify JSON route', { url: `${bare.url}/echo`, method: 'POST', headers: { 'Content-Type': 'application/json' }, body: createBody })), rssMiB: rssMiB(bare.proc.pid) });
    rows.push({ ...(await load('POST /v1/payment_intents', { url: `${gateway.url}/v1/payment_intents`, method: 'POST', headers: json, body: createBody })), rssMiB: rssMiB(gateway.proc.pid) });
    rows.push({
      ...(await load('  … with Idempotency-Key', {
        url: `${gateway.url}/v1/payment_intents`, method: 'POST', headers: json, body: createBody,
        requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, 'Idempotency-Key': randomUUID() } }) }],
      })),
      rssMiB: rssMiB(gateway.proc.pid),
    });
    rows.push({ ...(await load('POST /v1/payment_intents confirm=true (via simulator)', { url: `${gateway.url}/v1/payment_intents`, method: 'POST', headers: json, body: confirmBody })), rssMiB: rssMiB(gateway.proc.pid) });
    // Seed 004's AUTH through the Trust Payments door: the same payment as confirm=true, plus the envelope and the AUTH record.
    const tpHeaders = { 'Content-Type': 'application/json;charset=utf-8', Authorization: `Basic ${Buffer.from(`${TP_USER}:${TP_PASSWORD}`).toString('base64')}` };
    const tpBody = JSON.stringify({ alias: TP_USER, version: '1.00', request: [{
      currencyiso3a: 'EUR', requesttypedescriptions: ['AUTH'], accounttypedescription: 'ECOM', sitereference: 'test_site12345', baseamount: '1050',
      paymenttypedescription: 'ALIPAY', returnurl: 'https://www.example.com/return', billingcountryiso2a: 'DE', orderreference: 'My_Order_123',
    }] });
    // Replies are HTTP 200 whatever the errorcode: check one first, so the row measures real AUTHs.
    const probe = await (await fetch(`${gateway.url}/json/`, { method: 'POST', headers: tpHeaders, body: tpBody })).json() as { response: { errorcode: string }[] };
    if (probe.response[0]?.errorcode !== '0') throw new Error(`the /json/ AUTH failed: ${JSON.stringify(probe)}`);
    rows.push({ ...(await load('POST /json/ AUTH (Trust Payments, via simulator)', { url: `${gateway.url}/json/`, method: 'POST', headers: tpHeaders, body: tpBody })), rssMiB: rssMiB(gateway.proc.pid) });
    rows.push({ ...(await refundScenario(gateway.url, confirmBody)), rssMiB: rssMiB(gateway.proc.pid) });
    rows.push(...(await webhookScenario(gateway.url, gateway.proc.pid, createBody)));

    // The scale-out path, for comparison: the same gateway on a PostgreSQL server, if one answers.
    const pgUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
    const schema = `bench_${process.pid}`;
    const pgGateway = await startChild([join(root, 'dist/src/cli.js'), 'serve'], {
      PORT: '0', DATABASE_URL: pgUrl, DATABASE_SCHEMA: schema, LOG_LEVEL: 'error', OPENCASHIER_TEST_SECRET_KEY: SECRET,
      RATE_LIMIT_PER_SECOND: '1000000', POLL_SCHEDULE_MS: '3600000',
    }, /API \(Stripe-style\)\s+(\S+)\/v1/).catch(() => undefined);
    if (pgGateway) {
      children.push(pgGateway.proc);
      await autocannon({ url: `${pgGateway.url}/v1/payment_intents`, method: 'POST', headers: json, body: createBody, duration: 2, connections: CONNECTIONS });
      rows.push({ ...(await load('POST /v1/payment_intents on PostgreSQL', { url: `${pgGateway.url}/v1/payment_intents`, method: 'POST', headers: json, body: createBody })), rssMiB: rssMiB(pgGateway.proc.pid) });
      rows.push({ ...(await load('POST … confirm=true on PostgreSQL (via simulator)', { url: `${pgGateway.url}/v1/payment_intents`, method: 'POST', headers: json, body: confirmBody })), rssMiB: rssMiB(pgGateway.proc.pid) });
      pgGateway.proc.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 500));
      const pg = (await import('pg')).default;
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    } else {
      process.stderr.write(`  (PostgreSQL at ${pgUrl} not reachable: its rows are left out)\n`);
    }

    // In-process and timed in milliseconds: the servers above must not be working meanwhile.
    for (const c of children.splice(0)) c.kill('SIGTERM');
    await sleep(500);
    const dashboard = await dashboardScenario(dataDir);

    const base = rows[0]!.rps;
    const pad = (s: string, n: number) => s.padEnd(n);
    const lines = [
      '',
      `${pad('scenario (one gateway process each; PGlite unless named)', 56)} ${pad('req/s', 8)} ${pad('p50 ms', 7)} ${pad('p99 ms', 7)} ${pad('vs bare', 8)} ${pad('non-2xx', 8)} RSS MiB`,
      ...rows.map((r) => `${pad(r.name, 56)} ${pad(r.rps.toFixed(0), 8)} ${pad(String(r.p50), 7)} ${pad(String(r.p99), 7)} ${pad((r.rps / base).toFixed(3), 8)} ${pad(String(r.non2xx + r.errors), 8)} ${r.rssMiB?.toFixed(0) ?? ''}`),
      '',
      'webhook deliveries: deliveries per second from the release of a filled outbox until none is pending; p50/p99 are',
      'the send latencies the gateway recorded, non-2xx the deliveries that did not succeed.',
      '',
    ];
    process.stdout.write(lines.join('\n') + '\n');
    process.stdout.write(dashboardTable(dashboard) + '\n');
    process.stdout.write(`BENCH_JSON ${JSON.stringify({ durationSeconds: DURATION, connections: CONNECTIONS, rows: rows.map((r) => ({ ...r, ratioToBare: r.rps / base })), dashboard })}\n`);
    if (rows.some((r) => r.non2xx + r.errors > 0)) {
      process.stderr.write('Some requests failed during the bench: the figures above include errors.\n');
      process.exitCode = 1;
    }
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
