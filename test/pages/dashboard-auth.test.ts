/**
 * The dashboard's door: who gets in (the dashboard password or a live secret key), how the session
 * cookie is made and when it ends, the CSRF rule on every form, the sign-in rate limit, and the
 * front page that tells a stranger nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startGateway, stores, type TestGateway } from '../helpers/gateway.js';
import { attemptSignIn, setCookies, signIn } from '../helpers/dashboard.js';
import { LOGIN_ATTEMPTS_PER_WINDOW } from '../../src/store/dashboard-auth.js';
import { bootstrapAccount, rollKey } from '../../src/store/accounts.js';

const cli = new URL('../../src/cli.js', import.meta.url).pathname;
const PASSWORD = 'correct-horse-battery-staple';

for (const { kind, skip } of await stores()) {
  describe(`dashboard sign-in (${kind})`, { skip }, () => {
    let g: TestGateway;
    let offset = 0;
    const clock = { now: () => Date.now() + offset };
    before(async () => {
      g = await startGateway({ store: kind, clock, env: { OPENCASHIER_DASHBOARD_PASSWORD: PASSWORD } });
    });
    after(async () => g?.stop());

    test('a signed-out visitor at / is sent to the sign-in page, which names no account, key or id', async () => {
      const home = await fetch(`${g.url}/`, { redirect: 'manual' });
      assert.equal(home.status, 303);
      assert.equal(home.headers.get('location'), '/dashboard/login');
      const login = await fetch(`${g.url}/dashboard/login`);
      const html = await login.text();
      assert.equal(login.status, 200);
      for (const secret of [g.gateway.account.accountId, g.gateway.account.accountName, g.gateway.tp.username]) {
        assert.ok(!html.includes(secret), `the sign-in page shows ${secret}`);
      }
      assert.doesNotMatch(html, /[sp]k_test_[A-Za-z0-9]/);
      const deep = await fetch(`${g.url}/dashboard/payments?status=succeeded`, { redirect: 'manual' });
      assert.equal(deep.status, 303);
      assert.equal(deep.headers.get('location'), `/dashboard/login?next=${encodeURIComponent('/dashboard/payments?status=succeeded')}`);
    });

    test('the password signs in: an HttpOnly, SameSite=Lax session cookie that expires, without Secure over http; / then goes to the dashboard', async () => {
      const res = await attemptSignIn(g.url, PASSWORD, { next: '/dashboard/refunds' });
      assert.equal(res.status, 303);
      assert.equal(res.location, '/dashboard/refunds');
      const session = setCookies(res.headers).find((c) => c.startsWith('oc_dashboard='))!;
      assert.match(session, /; HttpOnly/);
      assert.match(session, /; SameSite=Lax/);
      assert.match(session, /; Max-Age=43200/);
      assert.match(session, /; Path=\//);
      assert.doesNotMatch(session, /Secure/);
      const cookie = session.split(';')[0]!;
      const home = await fetch(`${g.url}/`, { redirect: 'manual', headers: { Cookie: cookie } });
      assert.equal(home.headers.get('location'), '/dashboard');
      // The token is kept only as a hash.
      const token = cookie.split('=')[1]!;
      const rows = await g.gateway.db.query<{ token_hash: string }>('SELECT token_hash FROM dashboard_sessions');
      assert.ok(rows.length > 0 && rows.every((r) => r.token_hash !== token));
    });

    test('a wrong secret is refused in plain words and opens no session; an open redirect in next is ignored', async () => {
      const before = (await g.gateway.db.query<{ n: number }>('SELECT count(*)::int AS n FROM dashboard_sessions'))[0]!.n;
      const res = await attemptSignIn(g.url, 'not-the-password');
      assert.equal(res.status, 401);
      assert.match(res.text, /That password or secret key is not right/);
      assert.equal(setCookies(res.headers).some((c) => c.startsWith('oc_dashboard=')), false);
      const after = (await g.gateway.db.query<{ n: number }>('SELECT count(*)::int AS n FROM dashboard_sessions'))[0]!.n;
      assert.equal(after, before);
      const evil = await attemptSignIn(g.url, PASSWORD, { next: '//evil.example/dashboard' });
      assert.equal(evil.location, '/dashboard');
    });

    test('the sign-in form itself is refused without its token', async () => {
      const res = await fetch(`${g.url}/dashboard/login`, {
        method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ secret: PASSWORD }),
      });
      assert.equal(res.status, 403);
      assert.equal(setCookies(res.headers).some((c) => c.startsWith('oc_dashboard=')), false);
    });

    test('the account secret key signs in too; a rolled (revoked) key no longer does', async () => {
      const ok = await attemptSignIn(g.url, g.secretKey);
      assert.equal(ok.status, 303);
      await g.gateway.db.query("UPDATE api_keys SET revoked = 1 WHERE display = 'sk_test_…' || right($1, 4)", [g.secretKey]);
      try {
        const refused = await attemptSignIn(g.url, g.secretKey);
        assert.equal(refused.status, 401);
      } finally {
        await g.gateway.db.query("UPDATE api_keys SET revoked = NULL WHERE display = 'sk_test_…' || right($1, 4)", [g.secretKey]);
      }
    });

    test('rolling the secret key signs out the dashboard sessions opened with the old key, not the password ones', async () => {
      const byKey = await signIn(g.url, g.secretKey);
      const byPassword = await signIn(g.url, PASSWORD);
      const fresh = await rollKey(g.gateway.db, g.gateway.account.accountId, 'secret', false, Date.now());
      try {
        const ended = await fetch(`${g.url}/`, { redirect: 'manual', headers: { Cookie: byKey.cookie } });
        assert.equal(ended.headers.get('location'), '/dashboard/login');
        const kept = await fetch(`${g.url}/`, { redirect: 'manual', headers: { Cookie: byPassword.cookie } });
        assert.equal(kept.headers.get('location'), '/dashboard');
        assert.equal((await attemptSignIn(g.url, fresh)).status, 303);
      } finally {
        // Give the suite its known key back (it names it in the environment).
        await bootstrapAccount(g.gateway.db, { name: 'x', secretKey: g.secretKey, now: Date.now() });
      }
    });

    test('a session ends when it expires: the next page asks to sign in again', async () => {
      const client = await signIn(g.url, PASSWORD);
      const home = await fetch(`${g.url}/`, { redirect: 'manual', headers: { Cookie: client.cookie } });
      assert.equal(home.headers.get('location'), '/dashboard');
      offset = 12 * 3_600_000 + 1000;
      try {
        const later = await fetch(`${g.url}/dashboard`, { redirect: 'manual', headers: { Cookie: client.cookie } });
        assert.equal(later.status, 303);
        assert.match(later.headers.get('location') ?? '', /^\/dashboard\/login/);
      } finally {
        offset = 0;
      }
    });

    test('every signed-in form is refused without the CSRF token, with a wrong one, or from another origin — and changes nothing', async () => {
      const client = await signIn(g.url, PASSWORD);
      const pi = (await g.api('POST', '/v1/payment_intents', { amount: 1000, currency: 'usd', payment_method_types: ['alipay'] })).body;
      for (const opts of [{ csrf: false as const }, { csrf: 'x'.repeat(32) }]) {
        const res = await client.post(`/dashboard/payments/${pi.id}/cancel`, {}, opts);
        assert.equal(res.status, 403, JSON.stringify(opts));
        assert.match(res.text, /nothing was done/);
      }
      const token = (await g.gateway.db.query<{ csrf: string }>('SELECT csrf FROM dashboard_sessions ORDER BY created DESC LIMIT 1'))[0]!.csrf;
      const cross = await client.post(`/dashboard/payments/${pi.id}/cancel`, {}, { csrf: token, origin: 'https://evil.example' });
      assert.equal(cross.status, 403);
      const logout = await client.post('/dashboard/logout', {}, { csrf: false });
      assert.equal(logout.status, 403);
      assert.equal((await g.api('GET', `/v1/payment_intents/${pi.id}`)).body.status, 'requires_payment_method');
      // With the token, the same form works.
      const canceled = await client.post(`/dashboard/payments/${pi.id}/cancel`, {}, { csrf: token });
      assert.equal(canceled.status, 303);
      assert.equal((await g.api('GET', `/v1/payment_intents/${pi.id}`)).body.status, 'canceled');
    });

    test(`sign-in attempts are rate-limited per address: the ${LOGIN_ATTEMPTS_PER_WINDOW + 1}th in a window gets 429 with Retry-After, even with the right password; other addresses are not affected`, async () => {
      // Start 1 s into a fresh five-minute window, so the window cannot roll over mid-test.
      const W = 5 * 60_000;
      offset = Math.ceil(Date.now() / W) * W - Date.now() + 1000;
      try {
        await burst();
      } finally {
        offset = 0;
        await g.gateway.db.query("DELETE FROM rate_limits WHERE bucket LIKE 'dashboard-login:%'");
      }
    });

    async function burst() {
      const statuses: number[] = [];
      for (let i = 0; i < LOGIN_ATTEMPTS_PER_WINDOW + 2; i++) statuses.push((await attemptSignIn(g.url, `wrong-${i}`)).status);
      assert.ok(statuses.includes(429), statuses.join());
      const limited = await attemptSignIn(g.url, PASSWORD);
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers.get('retry-after')) > 0);
      assert.match(limited.text, /Too many sign-in attempts/);
      // Counted in the store, per address: another address still gets in.
      const other = await g.gateway.app.inject({ method: 'GET', url: '/dashboard/login', remoteAddress: '198.51.100.4' });
      const loginCookie = String(other.headers['set-cookie']).split(';')[0]!;
      const token = other.body.match(/name="_csrf" value="([^"]+)"/)![1]!;
      const signed = await g.gateway.app.inject({
        method: 'POST', url: '/dashboard/login', remoteAddress: '198.51.100.4',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie },
        payload: new URLSearchParams({ _csrf: token, secret: PASSWORD, next: '/dashboard' }).toString(),
      });
      assert.equal(signed.statusCode, 303);
    }
  });
}

describe('dashboard cookies behind https', () => {
  let g: TestGateway;
  before(async () => {
    g = await startGateway({ store: 'pglite', env: { PUBLIC_URL: 'https://pay.example.com', OPENCASHIER_DASHBOARD_PASSWORD: PASSWORD } });
  });
  after(async () => g?.stop());

  test('the session cookie is Secure when PUBLIC_URL is https', async () => {
    // PUBLIC_URL names the proxy in front; the test talks to the bound port.
    const port = (g.gateway.app.server.address() as { port: number }).port;
    const res = await attemptSignIn(`http://127.0.0.1:${port}`, PASSWORD);
    assert.equal(res.status, 303);
    const session = setCookies(res.headers).find((c) => c.startsWith('oc_dashboard='))!;
    assert.match(session, /; Secure/);
    assert.match(session, /; HttpOnly/);
  });
});

describe('dashboard password on the command line', () => {
  test('first start prints a generated password once; `dashboard password --generate` replaces it and signs out its sessions', async () => {
    const g = await startGateway({ store: 'pglite' });
    let again: TestGateway | undefined;
    try {
      const first = g.gateway.dashboardPassword;
      assert.match(first ?? '', /^[a-z2-9]{4}(-[a-z2-9]{4}){4}$/);
      const client = await signIn(g.url, first!);
      const env = { ...process.env, ...g.env, DATA_DIR: g.dataDir };
      // PGlite is one process: the CLI needs the data folder to itself.
      await g.gateway.stop();
      const run = spawnSync(process.execPath, [cli, 'dashboard', 'password', '--generate'], { env, encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      const next = run.stdout.trim().split('\n').at(-1)!;
      assert.match(next, /^[a-z2-9]{4}(-[a-z2-9]{4}){4}$/);
      assert.notEqual(next, first);
      const short = spawnSync(process.execPath, [cli, 'dashboard', 'password'], { env, input: 'too-short\n', encoding: 'utf8' });
      assert.equal(short.status, 2);
      assert.match(short.stderr, /at least 12 characters/);
      again = await startGateway({ store: 'pglite', reuse: { dataDir: g.dataDir } });
      assert.equal(again.gateway.dashboardPassword, undefined, 'a restart does not print the password again');
      assert.equal((await attemptSignIn(again.url, first!)).status, 401);
      assert.equal((await attemptSignIn(again.url, next)).status, 303);
      const old = await fetch(`${again.url}/dashboard`, { redirect: 'manual', headers: { Cookie: client.cookie } });
      assert.equal(old.status, 303, 'the session opened with the old password is closed');
    } finally {
      // `again` owns the data folder now; stopping it removes the folder.
      if (again) await again.stop();
      else await g.stop().catch(() => undefined);
    }
  });
});
