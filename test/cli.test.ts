/** The command a merchant runs first: `opencashier serve` as a real process, restarted. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPglite } from '../src/store/db.js';

const cli = new URL('../src/cli.js', import.meta.url).pathname;

function serve(env: Record<string, string>): Promise<{ proc: ChildProcess; out: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [cli, 'serve'], { env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no banner within 60 s:\n${out}`)), 60_000);
    proc.stdout!.on('data', (d) => {
      out += String(d);
      if (out.includes('Try it:')) {
        clearTimeout(timer);
        resolve({ proc, out });
      }
    });
    proc.stderr!.on('data', (d) => (out += String(d)));
    proc.on('exit', (code) => reject(new Error(`exited ${code}:\n${out}`)));
  });
}

function stop(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    proc.removeAllListeners('exit');
    proc.once('exit', () => resolve());
    proc.kill('SIGTERM');
  });
}

const field = (out: string, label: string) => out.match(new RegExp(`${label}\\s+(\\S+)`))?.[1];

test('first start creates a test account and prints its keys; a restart keeps every object and the keys', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'opencashier-cli-'));
  try {
    const first = await serve({ DATA_DIR: dataDir });
    assert.match(first.out, /first start: a test account was created/);
    const sk = field(first.out, 'Test secret key');
    const pk = field(first.out, 'Test publishable key');
    const api = field(first.out, 'API \\(Stripe-style\\)');
    assert.match(sk ?? '', /^sk_test_[A-Za-z0-9]{32}$/);
    assert.match(pk ?? '', /^pk_test_[A-Za-z0-9]{32}$/);
    assert.match(api ?? '', /^http:\/\/localhost:\d+\/v1$/);
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
