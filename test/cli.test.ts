/** The command a merchant runs first: `opencashier serve` as a real process, restarted. */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPglite } from '../src/store/db.js';
import { dropSchema, postgresSkipReason, TEST_DATABASE_URL } from './helpers/gateway.js';
import { randomToken } from '../src/core/ids.js';
import { runCli as runCliToEnd, serveCli, stopProcess as stop } from './helpers/processes.js';

const cli = new URL('../src/cli.js', import.meta.url).pathname;

/** Every gateway a test started; one a failed assertion left running is killed after the test, so the file can end. */
const started = new Set<ChildProcess>();
afterEach(() => {
  for (const proc of started) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  started.clear();
});

/** The gateway's `serve`, killed after the test if it is still running. */
async function serve(env: Record<string, string>) {
  const served = await serveCli(env);
  started.add(served.proc);
  return served;
}

const field = (out: string, label: string) => out.match(new RegExp(`${label}\\s+(\\S+)`))?.[1];

test('first start creates a test account and prints its keys; a restart keeps every object and the keys', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'opencashier-cli-'));
  try {
    const first = await serve({ DATA_DIR: dataDir, LOG_LEVEL: 'info' });
    assert.match(first.out, /first start: a test account was created/);
    assert.ok(first.out.includes('"v8_flags":["--no-liftoff","--heap-growing-percent=100"]'), 'a PGlite process sets its V8 flags (store/db.ts PGLITE_V8_FLAGS) and says so');
    const dashboardPassword = field(first.out, 'Dashboard password');
    assert.match(dashboardPassword ?? '', /^[a-z2-9]{4}(-[a-z2-9]{4}){4}$/, 'the dashboard password, made and shown once');
    assert.match(first.out, /Dashboard\s+http:\/\/localhost:\d+\/dashboard\n/);
    const sk = field(first.out, 'Test secret key');
    const pk = field(first.out, 'Test publishable key');
    const api = field(first.out, 'API \\(Stripe-style\\)');
    assert.match(sk ?? '', /^sk_test_[A-Za-z0-9]{32}$/);
    assert.match(pk ?? '', /^pk_test_[A-Za-z0-9]{32}$/);
    assert.match(api ?? '', /^http:\/\/localhost:\d+\/v1$/);
    const reference = field(first.out, 'API reference');
    assert.equal(reference, api!.replace(/\/v1$/, '/docs'));
    assert.equal((await fetch(reference!)).status, 200, 'the banner\'s API reference is served');
    const created = await fetch(`${api}/payment_intents`, {
      method: 'POST', headers: { Authorization: `Bearer ${sk}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ amount: 20, currency: 'CNY', confirm: true, payment_method_data: { type: 'alipay' }, return_url: 'https://x.example' }),
    });
    const pi = (await created.json()) as any;
    assert.equal(pi.status, 'requires_action');
    await stop(first.proc);

    const second = await serve({ DATA_DIR: dataDir });
    assert.doesNotMatch(second.out, /first start/);
    assert.ok(!second.out.includes(sk!), 'the secret key is not printed again: only its hash is stored');
    assert.ok(!second.out.includes(dashboardPassword!), 'nor the dashboard password');
    assert.match(second.out, /Test secret key\s+sk_test_…/);
    const api2 = field(second.out, 'API \\(Stripe-style\\)');
    const again = (await (await fetch(`${api2}/payment_intents/${pi.id}`, { headers: { Authorization: `Bearer ${sk}` } })).json()) as any;
    assert.equal(again.status, 'requires_action');
    assert.equal(again.client_secret, pi.client_secret);
    await stop(second.proc);

    const db = await openPglite(join(dataDir, 'pglite'));
    const keys = await db.query<{ hash: string; display: string }>('SELECT hash, display FROM api_keys');
    await db.close();
    assert.equal(keys.length, 2);
    for (const k of keys) {
      assert.ok(![sk, pk].includes(k.hash), 'stored hashed');
      assert.match(k.hash, /^[0-9a-f]{64}$/);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('OPENCASHIER_TEST_SECRET_KEY becomes the account key, replacing the generated one', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'opencashier-cli-'));
  try {
    const first = await serve({ DATA_DIR: dataDir });
    const generated = field(first.out, 'Test secret key')!;
    await stop(first.proc);
    const chosen = 'sk_test_ChosenByTheScript123';
    const second = await serve({ DATA_DIR: dataDir, OPENCASHIER_TEST_SECRET_KEY: chosen });
    assert.equal(field(second.out, 'Test secret key'), chosen);
    const api = field(second.out, 'API \\(Stripe-style\\)');
    assert.equal((await fetch(`${api}/payment_intents`, { headers: { Authorization: `Bearer ${chosen}` } })).status, 200);
    assert.equal((await fetch(`${api}/payment_intents`, { headers: { Authorization: `Bearer ${generated}` } })).status, 401);
    await stop(second.proc);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a bad configuration stops at boot with a message naming the variable', async () => {
  const res = await new Promise<{ code: number | null; err: string }>((resolve) => {
    const p = spawn(process.execPath, [cli, 'serve'], { env: { ...process.env, PORT: 'eighty' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (d) => (err += String(d)));
    p.on('exit', (code) => resolve({ code, err }));
  });
  assert.equal(res.code, 2);
  assert.match(res.err, /PORT/);
});

/** Runs the CLI to its end: exit code and everything it printed (stdout, then stderr). */
async function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const { code, out, err } = await runCliToEnd(args, env);
  return { code, out: out + err };
}

test('beside a running gateway on the embedded database, keys roll and a second serve refuse at once and say why; after it stops, keys roll works', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'opencashier-cli-'));
  try {
    const first = await serve({ DATA_DIR: dataDir });
    const sk = field(first.out, 'Test secret key')!;
    const api = field(first.out, 'API \\(Stripe-style\\)')!;
    const roll = await runCli(['keys', 'roll', '--live'], { DATA_DIR: dataDir });
    assert.equal(roll.code, 2, roll.out);
    assert.match(roll.out, /A gateway is already running on the data folder/);
    assert.match(roll.out, /Ctrl-C/);
    assert.doesNotMatch(roll.out, /sk_live_/, 'no key is printed that would not work');
    assert.doesNotMatch(roll.out, /\n\s+at /, 'one message, no stack');
    const twin = await runCli(['serve'], { DATA_DIR: dataDir, PORT: '0' });
    assert.equal(twin.code, 2, twin.out);
    assert.match(twin.out, /already running on the data folder/);
    // The running gateway was not disturbed.
    assert.equal((await fetch(`${api}/payment_intents`, { headers: { Authorization: `Bearer ${sk}` } })).status, 200);
    await stop(first.proc);

    const later = await runCli(['keys', 'roll'], { DATA_DIR: dataDir });
    assert.equal(later.code, 0, later.out);
    const rolled = later.out.match(/sk_test_\w+/)?.[0];
    assert.ok(rolled);
    const again = await serve({ DATA_DIR: dataDir });
    const api2 = field(again.out, 'API \\(Stripe-style\\)')!;
    assert.equal((await fetch(`${api2}/payment_intents`, { headers: { Authorization: `Bearer ${rolled}` } })).status, 200);
    assert.equal((await fetch(`${api2}/payment_intents`, { headers: { Authorization: `Bearer ${sk}` } })).status, 401);
    await stop(again.proc);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a data folder whose gateway was killed is not locked forever: the next start takes it over', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'opencashier-cli-'));
  try {
    const first = await serve({ DATA_DIR: dataDir });
    await new Promise<void>((resolve) => {
      first.proc.removeAllListeners('exit');
      first.proc.once('exit', () => resolve());
      first.proc.kill('SIGKILL');
    });
    const second = await serve({ DATA_DIR: dataDir });
    assert.match(second.out, /Try it:/);
    await stop(second.proc);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('on PostgreSQL, keys roll takes effect in every running gateway process at once', async (t) => {
  const skip = await postgresSkipReason();
  if (skip) return t.skip(skip);
  const schema = `t_${randomToken(10).toLowerCase()}`;
  const env = { DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema, DATA_DIR: mkdtempSync(join(tmpdir(), 'opencashier-cli-')) };
  const a = await serve(env);
  const b = await serve(env);
  try {
    const sk = field(a.out, 'Test secret key')!;
    const apis = [field(a.out, 'API \\(Stripe-style\\)')!, field(b.out, 'API \\(Stripe-style\\)')!];
    for (const api of apis) assert.equal((await fetch(`${api}/payment_intents`, { headers: { Authorization: `Bearer ${sk}` } })).status, 200);
    const roll = await runCli(['keys', 'roll'], env);
    assert.equal(roll.code, 0, roll.out);
    const rolled = roll.out.match(/sk_test_\w+/)![0];
    for (const api of apis) {
      assert.equal((await fetch(`${api}/payment_intents`, { headers: { Authorization: `Bearer ${sk}` } })).status, 401);
      assert.equal((await fetch(`${api}/payment_intents`, { headers: { Authorization: `Bearer ${rolled}` } })).status, 200);
    }
  } finally {
    await stop(a.proc);
    await stop(b.proc);
    await dropSchema(schema);
    rmSync(env.DATA_DIR, { recursive: true, force: true });
  }
});

test('reset deletes the test data and rolls the test keys; --keep-keys keeps them; the banner says how to stop and reset', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'opencashier-cli-'));
  try {
    const first = await serve({ DATA_DIR: dataDir });
    assert.match(first.out, /Stop\s+Ctrl-C/);
    assert.match(first.out, /Start over\s+npm run cli -- reset/);
    assert.match(first.out, new RegExp(`Store\\s+PGlite in ${dataDir}`));
    const sk = field(first.out, 'Test secret key')!;
    const api = field(first.out, 'API \\(Stripe-style\\)')!;
    const auth = { Authorization: `Bearer ${sk}`, 'Content-Type': 'application/json' };
    const pi = (await (await fetch(`${api}/payment_intents`, {
      method: 'POST', headers: auth, body: JSON.stringify({ amount: 20, currency: 'CNY', confirm: true, payment_method_data: { type: 'alipay' }, return_url: 'https://x.example' }),
    })).json()) as any;
    assert.equal(pi.status, 'requires_action');
    await stop(first.proc);

    const kept = await runCli(['reset', '--keep-keys'], { DATA_DIR: dataDir });
    assert.equal(kept.code, 0, kept.out);
    assert.match(kept.out, /payment_intents 1/);
    assert.match(kept.out, /sim_payments 1/);
    assert.match(kept.out, /upstream_calls 1/, 'the pay call was written before the gateway stopped');
    assert.match(kept.out, /test keys are unchanged/);
    const second = await serve({ DATA_DIR: dataDir });
    const api2 = field(second.out, 'API \\(Stripe-style\\)')!;
    assert.equal((await fetch(`${api2}/payment_intents/${pi.id}`, { headers: auth })).status, 404);
    const list = (await (await fetch(`${api2}/payment_intents`, { headers: auth })).json()) as any;
    assert.deepEqual(list.data, []);
    await stop(second.proc);

    const rolled = await runCli(['reset'], { DATA_DIR: dataDir });
    assert.equal(rolled.code, 0, rolled.out);
    const newSk = field(rolled.out, 'Test secret key')!;
    assert.match(newSk, /^sk_test_/);
    const third = await serve({ DATA_DIR: dataDir });
    const api3 = field(third.out, 'API \\(Stripe-style\\)')!;
    assert.equal((await fetch(`${api3}/payment_intents`, { headers: auth })).status, 401);
    assert.equal((await fetch(`${api3}/payment_intents`, { headers: { Authorization: `Bearer ${newSk}` } })).status, 200);
    await stop(third.proc);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('configuration mistakes stop the boot with one line naming what to fix, before any account is created', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'opencashier-cli-'));
  const { generateAntomKeyPair } = await import('../src/connectors/antom/signing.js');
  const keys = generateAntomKeyPair();
  const live = { ANTOM_LIVE_CLIENT_ID: 'LIVE_CLIENT', ANTOM_LIVE_PRIVATE_KEY: keys.privateKeyBase64, ANTOM_LIVE_PUBLIC_KEY: keys.publicKeyBase64 };
  const oneLine = (out: string) => {
    const lines = out.trim().split('\n');
    assert.equal(lines.length, 1, `one line:\n${out}`);
    assert.doesNotMatch(out, /\n\s+at |Error:/);
    return lines[0]!;
  };
  try {
    const badKey = await runCli(['serve'], { DATA_DIR: dataDir, PORT: '0', ...live, ANTOM_LIVE_PRIVATE_KEY: 'bm90IGEga2V5', PUBLIC_URL: 'https://pay.example.com' });
    assert.equal(badKey.code, 2);
    assert.match(oneLine(badKey.out), /^ANTOM_LIVE_PRIVATE_KEY is not an RSA private key/);
    assert.deepEqual(readdirSync(dataDir), [], 'stopped before creating anything');

    const partial = await runCli(['serve'], { DATA_DIR: dataDir, PORT: '0', ANTOM_LIVE_CLIENT_ID: 'LIVE_CLIENT' });
    assert.equal(partial.code, 2);
    const partialLine = oneLine(partial.out);
    assert.match(partialLine, /ANTOM_LIVE_PRIVATE_KEY and ANTOM_LIVE_PUBLIC_KEY missing/);
    assert.match(partialLine, /ANTOM_LIVE_BASE_URL is optional/);

    const local = await runCli(['serve'], { DATA_DIR: dataDir, PORT: '0', ...live });
    assert.equal(local.code, 2);
    assert.match(oneLine(local.out), /^PUBLIC_URL http:\/\/localhost:0 cannot be reached by Antom.*BEHIND_PROXY=on/);

    const two = await runCli(['serve'], { DATA_DIR: dataDir, PORT: 'eighty', LOG_LEVEL: 'loud' });
    assert.equal(two.code, 2);
    assert.match(oneLine(two.out), /^Invalid configuration: .*PORT.*; LOG_LEVEL/);

    const running = await serve({ DATA_DIR: dataDir });
    const port = new URL(field(running.out, 'API \\(Stripe-style\\)')!).port;
    const otherDir = mkdtempSync(join(tmpdir(), 'opencashier-cli-'));
    const busy = await runCli(['serve'], { DATA_DIR: otherDir, PORT: port });
    rmSync(otherDir, { recursive: true, force: true });
    await stop(running.proc);
    assert.equal(busy.code, 2);
    assert.match(oneLine(busy.out.split('\n').filter((l) => !l.startsWith('{')).join('\n')), new RegExp(`^PORT ${port} is already in use`));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
