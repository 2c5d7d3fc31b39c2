/**
 * Trust Payments set-up as a merchant does it: the first start's site and webservices user (from
 * OPENCASHIER_TP_* or generated, shown in the banner), `opencashier tp …`, and `reset` keeping the
 * set-up while it forgets test transactions. Every PGlite start costs seconds, so each child process
 * carries many assertions and the command matrix runs in this process on the same data folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPglite, type Db } from '../src/store/db.js';
import { authenticateUser, RECOMMENDED_FIELDS } from '../src/store/tp-accounts.js';
import { runTp } from '../src/cli/tp.js';
import { runCli, serveCli, stopProcess as stop } from './helpers/processes.js';

const BANNER_END = /Try it:[\s\S]*\/json\/[\s\S]*\}\]\}'?\n/;

const serve = (env: Record<string, string>) => serveCli(env, BANNER_END);

const field = (out: string, label: string) => out.match(new RegExp(`${label}\\s+(\\S+)`))?.[1];

/** Refused: exit code 2, nothing on stdout, one line on stderr matching `re`. */
function refused(r: { code: number | null; out: string; err: string }, re: RegExp): void {
  assert.equal(r.code, 2, `${r.out}${r.err}`);
  assert.equal(r.out, '');
  assert.equal(r.err.trimEnd().split('\n').length, 1, `one line:\n${r.err}`);
  assert.doesNotMatch(r.err, /\n\s+at |Error:/);
  assert.match(r.err.trimEnd(), re);
}

function ok(r: { code: number | null; out: string; err: string }): string {
  assert.equal(r.code, 0, `${r.out}${r.err}`);
  assert.equal(r.err, '');
  return r.out;
}

/** Each row's cells start where the header's do. */
function assertAligned(table: string): string[][] {
  const [head, ...rows] = table.trimEnd().split('\n');
  const starts = [...head!.matchAll(/\S+(?: \S+)*/g)].map((m) => m.index!);
  return rows.map((row) => {
    for (const s of starts.slice(1)) assert.match(row.slice(s - 2, s), /^  $/, `aligned at ${s}:\n${table}`);
    return starts.map((s, i) => row.slice(s, starts[i + 1]).trim());
  });
}

test('first start with OPENCASHIER_TP_* seeds exactly that site and user, hashed; a bad value stops the boot naming it', async () => {
  const bad = await runCli(['serve'], { PORT: '0', DATA_DIR: join(tmpdir(), 'opencashier-never-created'), OPENCASHIER_TP_PASSWORD: 'short', OPENCASHIER_TP_SITE_REFERENCE: 'bad-ref!' });
  assert.equal(bad.code, 2);
  assert.equal(bad.err.trim().split('\n').length, 1);
  assert.match(bad.err, /^Invalid configuration: .*OPENCASHIER_TP_PASSWORD: at least 8 characters/);
  assert.match(bad.err, /OPENCASHIER_TP_SITE_REFERENCE: 1 to 50 letters, digits or underscores/);
  assert.doesNotMatch(bad.err, /short/, 'the password is not echoed');

  const dataDir = mkdtempSync(join(tmpdir(), 'opencashier-tp-'));
  const password = 'Env-Passw0rd^';
  try {
    const first = await serve({ DATA_DIR: dataDir, OPENCASHIER_TP_SITE_REFERENCE: 'shop_env', OPENCASHIER_TP_USERNAME: 'ws@shop.example', OPENCASHIER_TP_PASSWORD: password });
    assert.equal(field(first.out, 'TP site reference'), 'shop_env');
    assert.equal(field(first.out, 'TP username'), 'ws@shop.example');
    assert.equal(field(first.out, 'TP password'), password);
    assert.match(first.out, /curl http:\/\/localhost:\d+\/json\/ -u 'ws@shop\.example:Env-Passw0rd\^'/);
    await stop(first.proc);

    const db = await openPglite(join(dataDir, 'pglite'));
    try {
      assert.deepEqual((await db.query('SELECT site_reference, livemode FROM tp_sites')), [{ site_reference: 'shop_env', livemode: false }]);
      const users = await db.query<{ username: string; password_hash: string }>('SELECT username, password_hash FROM tp_users');
      assert.deepEqual(users.map((u) => u.username), ['ws@shop.example']);
      assert.match(users[0]!.password_hash, /^scrypt\$/);
      assert.ok(!users[0]!.password_hash.includes(password));
      const user = await authenticateUser(db, 'ws@shop.example', password);
      assert.deepEqual(user?.sites, ['shop_env']);
      assert.equal(await authenticateUser(db, 'ws@shop.example', 'Another-Passw0rd'), undefined);
    } finally {
      await db.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('without OPENCASHIER_TP_* a test site and user are generated and shown; tp sets up sites, users and rules; reset keeps them', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'opencashier-tp-'));
  const env = { DATA_DIR: dataDir };
  try {
    const first = await serve(env);
    const site = field(first.out, 'TP site reference')!;
    const generated = field(first.out, 'TP password')!;
    assert.match(site, /^test_site\d{5}$/);
    assert.equal(field(first.out, 'TP username'), 'webservices@example.com');
    assert.match(generated, /^Ws_[A-Za-z0-9]{20}$/);
    assert.match(field(first.out, 'Trust Payments JSON')!, /^http:\/\/localhost:\d+\/json\/$/);
    assert.match(field(first.out, 'Trust Payments XML')!, /^http:\/\/localhost:\d+\/xml\/$/);
    assert.ok(first.out.includes(`-u webservices@example.com:${generated}`));
    assert.ok(first.out.includes(`"sitereference":"${site}"`));
    assert.match(first.out, /"requesttypedescriptions":\["AUTH"\]/);

    // The data-folder lock: beside the running gateway, tp refuses at once.
    const beside = await runCli(['tp', 'sites', 'list'], env);
    assert.equal(beside.code, 2);
    assert.match(beside.err, /already running on the data folder/);
    await stop(first.proc);

    const usage = ok(await runCli(['tp'], env));
    for (const line of ['tp sites add <site_reference>', 'tp users passwd <username>', 'tp rules add --site <ref> --on']) assert.ok(usage.includes(line), line);
    const help = ok(await runCli(['help'], env));
    assert.match(help, /\n {2}tp sites\|users\|rules/);
    assert.match(help, /OPENCASHIER_TP_SITE_REFERENCE/);

    // The real CLI: a happy path printing a generated password, and a refusal.
    const added = ok(await runCli(['tp', 'sites', 'add', 'shop_cli', '--name', 'Shop', '--generate-notification-password'], env));
    const notificationPassword = added.match(/Notification password \(shown only now\): (\S+)/)?.[1];
    assert.ok(notificationPassword, added);
    assert.match(added, /Created test site shop_cli \(number 2, /);
    refused(await runCli(['tp', 'sites', 'add', 'shop_cli'], env), /^The site shop_cli already exists\.$/);
    const opsOut = ok(await runCli(['tp', 'users', 'add', 'ops@shop.example', '--site', 'shop_cli'], env));
    const opsPassword = opsOut.match(/Password \(shown only now\): (\S+)/)?.[1];
    assert.ok(opsPassword, opsOut);

    const db = await openPglite(join(dataDir, 'pglite'));
    let ruleCount = 0;
    try {
      const tp = async (...args: string[]) => {
        let out = '';
        let err = '';
        const code = await runTp(args, { db, accountName: 'unused', out: (t) => (out += t), err: (t) => (err += t) });
        return { code, out, err };
      };
      const printed: string[] = [];
      const run = async (...args: string[]) => {
        const r = await tp(...args);
        printed.push(r.out, r.err);
        return r;
      };
      assert.deepEqual((await authenticateUser(db, 'ops@shop.example', opsPassword!))?.sites, ['shop_cli']);
      assert.equal((await db.query('SELECT notification_password FROM tp_sites WHERE site_reference = $1', ['shop_cli']))[0]!.notification_password, notificationPassword);

      // Sites.
      ok(await run('sites', 'add', 'live_shop', '--live', '--name', 'Live Shop'));
      refused(await run('sites', 'add', 'bad-ref'), /1 to 50 letters, digits or underscores/);
      refused(await run('sites', 'add', 'x_1', '--notification-password', 'abc', '--generate-notification-password'), /not both/);
      refused(await run('sites', 'add'), /needs <site_reference>/);
      const sites = assertAligned(ok(await run('sites', 'list')));
      assert.deepEqual(sites.map((r) => [r[0], r[1], r[2], r[4], r[6]]), [
        [site, 'test', '1', '-', 'OpenCashier test merchant'],
        ['shop_cli', 'test', '2', 'set', 'Shop'],
        ['live_shop', 'live', '3', '-', 'Live Shop'],
      ]);
      const reset = ok(await run('sites', 'set-password', 'shop_cli', '--generate'));
      const np = reset.match(/\(shown only now\): (\S+)/)?.[1];
      assert.ok(np && np !== notificationPassword);
      const stored = async () => (await db.query('SELECT notification_password FROM tp_sites WHERE site_reference = $1', ['shop_cli']))[0]!.notification_password;
      assert.equal(await stored(), np);
      assert.doesNotMatch(ok(await run('sites', 'set-password', 'shop_cli', 'Chosen-Notify-1')), /Chosen-Notify-1/);
      assert.equal(await stored(), 'Chosen-Notify-1');
      ok(await run('sites', 'set-password', 'shop_cli', '--clear'));
      assert.equal(await stored(), null);
      refused(await run('sites', 'set-password', 'nope', '--generate'), /^There is no site nope\.$/);
      refused(await run('sites', 'set-password', 'shop_cli'), /one of <pw>, --generate or --clear/);

      // Users.
      refused(await run('users', 'add', 'ops@shop.example', '--site', 'shop_cli'), /already exists/);
      refused(await run('users', 'add', 'new_user', '--site', 'nope'), /^There is no site nope\.$/);
      refused(await run('users', 'add', 'new_user', '--site', 'shop_cli', '--password', 'short'), /at least 8 characters/);
      refused(await run('users', 'add', 'new_user'), /needs at least one --site/);
      const given = 'Given-Passw0rd';
      assert.doesNotMatch(ok(await run('users', 'add', 'new_user', '--site', 'shop_cli', '--site', 'live_shop', '--password', given)), /Given-Passw0rd/);
      assert.deepEqual((await authenticateUser(db, 'new_user', given))?.sites, ['live_shop', 'shop_cli']);
      const passwd = ok(await run('users', 'passwd', 'new_user'));
      const newPassword = passwd.match(/\(shown only now; the old one no longer works\): (\S+)/)?.[1];
      assert.ok(newPassword, passwd);
      assert.ok(await authenticateUser(db, 'new_user', newPassword!));
      assert.equal(await authenticateUser(db, 'new_user', given), undefined);
      refused(await run('users', 'passwd', 'new_user', '--password', 'short'), /at least 8 characters/);
      refused(await run('users', 'passwd', 'ghost'), /^There is no user ghost\.$/);
      ok(await run('users', 'disable', 'new_user'));
      assert.equal(await authenticateUser(db, 'new_user', newPassword!), undefined);
      refused(await run('users', 'disable', 'new_user'), /no active user new_user/);
      refused(await run('users', 'disable', 'ghost'), /^There is no user ghost\.$/);
      ok(await run('users', 'grant', 'ops@shop.example', '--site', 'live_shop'));
      assert.deepEqual((await authenticateUser(db, 'ops@shop.example', opsPassword!))?.sites, ['live_shop', 'shop_cli']);
      refused(await run('users', 'grant', 'ops@shop.example', '--site', 'nope'), /^There is no site nope\.$/);
      refused(await run('users', 'grant', 'ghost', '--site', 'shop_cli'), /^There is no user ghost\.$/);
      const users = assertAligned(ok(await run('users', 'list')));
      assert.deepEqual(users.map((r) => [r[0], r[1]!.split(' ')[0], r[2]]), [
        ['webservices@example.com', 'active', site],
        ['ops@shop.example', 'active', 'live_shop, shop_cli'],
        ['new_user', 'disabled', 'live_shop, shop_cli'],
      ]);
      const hashes = await db.query<{ password_hash: string }>('SELECT password_hash FROM tp_users');
      for (const h of hashes) {
        assert.match(h.password_hash, /^scrypt\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
        for (const plain of [generated, opsPassword!, given, newPassword!]) assert.ok(!h.password_hash.includes(plain), 'stored hashed');
      }
      const everything = JSON.stringify(await db.query('SELECT * FROM tp_users'));
      for (const plain of [generated, opsPassword!, given, newPassword!]) assert.ok(!everything.includes(plain));

      // Rules.
      const auth = ok(await run('rules', 'add', '--site', 'shop_cli', '--on', 'authorisation', '--url', 'https://merchant.example/notify'));
      const ruleId = auth.match(/Added rule (tpr_\w+)/)?.[1];
      assert.ok(ruleId, auth);
      ok(await run('rules', 'add', '--site', 'shop_cli', '--on', 'settlement', '--url', 'http://127.0.0.1:9/n', '--fields', 'settlestatus, transactionreference'));
      refused(await run('rules', 'add', '--site', 'shop_cli', '--on', 'refund', '--url', 'not a url'), /^Not a URL: not a url$/);
      refused(await run('rules', 'add', '--site', 'shop_cli', '--on', 'refund', '--url', 'ftp://merchant.example/'), /http:\/\/ or https:\/\//);
      refused(await run('rules', 'add', '--site', 'shop_cli', '--on', 'payout', '--url', 'https://merchant.example/'), /--on is authorisation, settlement, refund/);
      // A live site notifies public https addresses only, as live webhooks go.
      refused(await run('rules', 'add', '--site', 'live_shop', '--on', 'settlement', '--url', 'http://127.0.0.1:9/n'), /cannot receive a live site's notifications/);
      refused(await run('rules', 'add', '--site', 'live_shop', '--on', 'settlement', '--url', 'http://merchant.example/n'), /https/);
      refused(await run('rules', 'add', '--site', 'nope', '--on', 'refund', '--url', 'https://merchant.example/'), /^There is no site nope\.$/);
      refused(await run('rules', 'add', '--site', 'shop_cli'), /needs --on, --url/);
      const rules = assertAligned(ok(await run('rules', 'list')));
      assert.deepEqual(rules.map((r) => r.slice(1)), [
        ['shop_cli', 'authorisation', 'https://merchant.example/notify', RECOMMENDED_FIELDS.authorisation.join(',')],
        ['shop_cli', 'settlement', 'http://127.0.0.1:9/n', 'settlestatus,transactionreference'],
      ]);
      assert.match(ok(await run('rules', 'list', '--site', 'live_shop')), /^No notification rules/);
      refused(await run('rules', 'list', '--site', 'nope'), /^There is no site nope\.$/);
      ok(await run('rules', 'remove', ruleId!));
      refused(await run('rules', 'remove', ruleId!), new RegExp(`^There is no rule ${ruleId}\\.$`));
      assert.equal(assertAligned(ok(await run('rules', 'list', '--site', 'shop_cli'))).length, 1);
      ruleCount = 1;

      // Mistakes in the command itself.
      refused(await run('users', 'frob'), /^Unknown command: tp users frob/);
      refused(await run('sites', 'list', '--bogus'), /^tp sites list has no option --bogus/);
      refused(await run('users', 'disable', 'a', 'b'), /unexpected "b"/);
      assert.ok(!printed.join('').includes(given) && !printed.join('').includes('Chosen-Notify-1'), 'given passwords are never printed');

      // Trust Payments transactions of both modes, each with a notification and an attempt.
      const accountId = (await db.query<{ id: string }>('SELECT id FROM accounts'))[0]!.id;
      const rule = (await db.query<{ id: string }>('SELECT id FROM tp_notification_rules WHERE deleted IS NULL'))[0]!.id;
      for (const [n, livemode, siteRef] of [[1, false, 'shop_cli'], [2, true, 'live_shop']] as const) {
        await db.query(
          `INSERT INTO tp_transactions (reference, account_id, livemode, site_reference, request_type, payment_intent_id, base_amount, currency,
             settle_status, settle_due_date, error_code, fields, created, updated)
           VALUES ($1, $2, $3, $4, 'AUTH', $5, 1050, 'EUR', 10, '2026-01-01', '0', '{}'::jsonb, 1, 1)`,
          [`1-${n}-${n}`, accountId, livemode, siteRef, `pi_${n}`],
        );
        await db.query(
          `INSERT INTO tp_notifications (id, account_id, livemode, site_reference, rule_id, transaction_reference, notification_reference, url, body,
             status, attempts, created) VALUES ($1, $2, $3, $4, $5, $6, $7, 'https://merchant.example/', 'a=b', 'pending', 1, 1)`,
          [`tpn_${n}`, accountId, livemode, siteRef, rule, `1-${n}-${n}`, `nref-${n}`],
        );
        await db.query('INSERT INTO tp_notification_attempts (notification_id, attempt, started) VALUES ($1, 1, 1)', [`tpn_${n}`]);
      }
    } finally {
      await db.close();
    }

    const cleared = ok(await runCli(['reset', '--keep-keys'], env));
    for (const t of ['tp_notification_attempts 1', 'tp_notifications 1', 'tp_transactions 1']) assert.ok(cleared.includes(t), cleared);
    const after = await openPglite(join(dataDir, 'pglite'));
    try {
      const count = async (sql: string) => Number((await after.query<{ n: number }>(sql))[0]!.n);
      assert.deepEqual(await after.query('SELECT reference, livemode FROM tp_transactions'), [{ reference: '1-2-2', livemode: true }]);
      assert.deepEqual(await after.query('SELECT id FROM tp_notifications'), [{ id: 'tpn_2' }]);
      assert.deepEqual(await after.query('SELECT notification_id FROM tp_notification_attempts'), [{ notification_id: 'tpn_2' }]);
      assert.equal(await count('SELECT count(*) AS n FROM tp_sites'), 3);
      assert.equal(await count('SELECT count(*) AS n FROM tp_users'), 3);
      assert.equal(await count('SELECT count(*) AS n FROM tp_notification_rules WHERE deleted IS NULL'), ruleCount);
    } finally {
      await after.close();
    }

    // A later start shows the same site and user; the password is no longer known.
    const again = await serve(env);
    assert.equal(field(again.out, 'TP site reference'), site);
    assert.equal(field(again.out, 'TP username'), 'webservices@example.com');
    assert.match(again.out, /TP password\s+\(stored hashed; set OPENCASHIER_TP_PASSWORD or: npm run cli -- tp users passwd webservices@example\.com\)/);
    assert.ok(!again.out.includes(generated));
    await stop(again.proc);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
