/**
 * `npm run bench`: in one run, on this machine, measure
 *   1. a bare Fastify JSON route (the ceiling),
 *   2. POST /v1/payment_intents without confirm,
 *   3. the same with a unique Idempotency-Key per request (what the stripe SDK sends),
 *   4. POST /v1/payment_intents with confirm (gateway → signed Antom pay → simulator → back),
 * each served by its own child process on PGlite, loaded by autocannon from this process over
 * loopback. Figures are compared as ratios to the bare route, since the machine is shared.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';

const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const root = new URL('../..', import.meta.url).pathname;
const SECRET = 'sk_test_BenchmarkSecretKey0000001';

interface Server {
  proc: ChildProcess;
  url: string;
}

function startChild(args: string[], env: Record<string, string>, ready: RegExp): Promise<Server> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
  process.stderr.write(`${Math.round(r.requests.average)} req/s\n`);
  return { name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors + r.timeouts };
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'opencashier-bench-'));
  const children: ChildProcess[] = [];
  try {
    process.stderr.write(`OpenCashier bench: ${DURATION}s per scenario, ${CONNECTIONS} connections, Node ${process.version}\n`);
    const bare = await startChild([join(root, 'dist/bench/bare-server.js')], {}, /BARE (\S+)/);
    children.push(bare.proc);
    const gateway = await startChild([join(root, 'dist/src/cli.js'), 'serve'], {
      PORT: '0', DATA_DIR: join(dataDir, 'gw'), LOG_LEVEL: 'error', OPENCASHIER_TEST_SECRET_KEY: SECRET,
      // The limiter stays on (its cost is part of every request) but high enough not to refuse.
      RATE_LIMIT_PER_SECOND: '1000000', POLL_SCHEDULE_MS: '3600000',
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

    const base = rows[0]!.rps;
    const pad = (s: string, n: number) => s.padEnd(n);
    const lines = [
      '',
      `${pad('scenario (one gateway process each; PGlite unless named)', 56)} ${pad('req/s', 8)} ${pad('p50 ms', 7)} ${pad('p99 ms', 7)} ${pad('vs bare', 8)} ${pad('non-2xx', 8)} RSS MiB`,
      ...rows.map((r) => `${pad(r.name, 56)} ${pad(r.rps.toFixed(0), 8)} ${pad(String(r.p50), 7)} ${pad(String(r.p99), 7)} ${pad((r.rps / base).toFixed(3), 8)} ${pad(String(r.non2xx + r.errors), 8)} ${r.rssMiB?.toFixed(0) ?? ''}`),
      '',
    ];
    process.stdout.write(lines.join('\n') + '\n');
    process.stdout.write(`BENCH_JSON ${JSON.stringify({ durationSeconds: DURATION, connections: CONNECTIONS, rows: rows.map((r) => ({ ...r, ratioToBare: r.rps / base })) })}\n`);
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
