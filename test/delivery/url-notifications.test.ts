/**
 * The Trust Payments URL-notification worker against a real local receiver, on PGlite and (when
 * reachable) PostgreSQL: the stored body is sent exactly, only a 200 ends a notification, every
 * attempt is kept, the retry schedule runs out into 'failed', live mode never reaches loopback,
 * and two workers (or a worker after a killed one) never send one notification at the same time.
 *
 * Time is a clock the test moves; nothing sleeps a fixed time or asserts on how long things took.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, type Db } from '../../src/store/db.js';
import { CORE_MIGRATIONS, migrate } from '../../src/store/migrate.js';
import { createSite } from '../../src/store/tp-accounts.js';
import { tpRepo } from '../../src/store/tp-repos.js';
import { tpNotificationStore } from '../../src/store/tp-notifications.js';
import {
  DEFAULT_TP_NOTIFICATION_RETRY_SCHEDULE_MS, UrlNotificationWorker, type UrlNotificationOptions,
} from '../../src/delivery/url-notifications.js';
import type { TpNotificationRecord } from '../../src/core/settlement/records.js';
import { randomToken } from '../../src/core/ids.js';
import { dropSchema, eventually, stores, TEST_DATABASE_URL, type StoreKind } from '../helpers/gateway.js';
import { startReceiver, type Receiver } from '../helpers/processes.js';

const T0 = 1_760_000_000_000;
const ACCOUNT = 'acct_tpnotify0001';

interface Clock {
  t: number;
  now(): number;
}

interface Env {
  db: Db;
  clock: Clock;
  rcv: Receiver;
  logs: { level: string; obj: object; msg?: string }[];
  worker(opts?: Partial<UrlNotificationOptions>): UrlNotificationWorker;
  site(opts: { livemode: boolean; ref?: string }): Promise<string>;
  enqueue(site: string, opts?: { livemode?: boolean; url?: string; body?: string }): Promise<TpNotificationRecord>;
  row(id: string): Promise<TpNotificationRecord>;
}

interface Store {
  db: Db;
  close(): Promise<void>;
}

/** One migrated database per store kind: PGlite in a temp folder, or a fresh PostgreSQL schema. */
async function openStore(kind: StoreKind): Promise<Store> {
  const dataDir = kind === 'pglite' ? mkdtempSync(join(tmpdir(), 'opencashier-tpnotify-')) : undefined;
  const schema = kind === 'postgres' ? `t_${randomToken(10).toLowerCase()}` : undefined;
  const db = await openDb(kind === 'postgres' ? { databaseUrl: TEST_DATABASE_URL, schema } : { dataDir });
  await migrate(db, CORE_MIGRATIONS);
  await db.query('INSERT INTO accounts (id, name, created) VALUES ($1, $2, $3)', [ACCOUNT, 'TP notifications', T0]);
  return {
    db,
    close: async () => {
      await db.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      if (schema) await dropSchema(schema);
    },
  };
}

/** An empty outbox, a receiver and a clock for one test. */
async function withEnv(store: () => Store, fn: (env: Env) => Promise<void>): Promise<void> {
  const { db } = store();
  // Whatever an earlier test left pending must not be claimed by this test's workers.
  await db.query('DELETE FROM tp_notifications');
  await db.query('DELETE FROM tp_sites');
  const rcv = await startReceiver();
  const workers: UrlNotificationWorker[] = [];
  try {
    const clock: Clock = { t: T0, now() { return this.t; } };
    const logs: Env['logs'] = [];
    const log = {
      warn: (obj: object, msg?: string) => void logs.push({ level: 'warn', obj, msg }),
      error: (obj: object, msg?: string) => void logs.push({ level: 'error', obj, msg }),
    };
    let sites = 0;
    let seq = 0;
    const sitesMode = new Map<string, boolean>();
    const env: Env = {
      db, clock, rcv, logs,
      worker: (opts = {}) => {
        const w = new UrlNotificationWorker(db, {
          clock, log, timeoutMs: 10_000, retryScheduleMs: [60_000, 120_000], maxInFlight: 8, intervalMs: 50,
          allowPrivateUrls: true, ...opts,
        });
        workers.push(w);
        return w;
      },
      site: async ({ livemode, ref }) => {
        const siteReference = ref ?? `${livemode ? '' : 'test_'}site${++sites}`;
        await createSite(db, { siteReference, accountId: ACCOUNT, livemode, merchantName: 'Tea House', notificationPassword: 'PASSWORD', now: clock.now() });
        sitesMode.set(siteReference, livemode);
        return siteReference;
      },
      enqueue: async (site, opts = {}) => {
        const n = ++seq;
        const ref = `1-A6${String(n).padStart(4, '0')}`;
        const rec: TpNotificationRecord = {
          id: `tpn_${randomToken(16)}`,
          account_id: ACCOUNT,
          livemode: opts.livemode ?? sitesMode.get(site) ?? false,
          site_reference: site,
          rule_id: 'rule_1',
          transaction_reference: `1-1-${n}`,
          notification_reference: ref,
          url: opts.url ?? rcv.url,
          body: opts.body ?? `baseamount=2499&errorcode=0&notificationreference=${ref}&orderreference=customer+order+${n}`
            + `&sitereference=${site}&responsesitesecurity=${randomToken(16).toLowerCase()}`,
          status: 'pending',
          attempts: 0,
          next_attempt_at: clock.now(),
          last_attempt_at: null,
          last_status: null,
          created: clock.now() + n, // oldest first is the order they were enqueued in
          completed_at: null,
        };
        await db.tx((q) => tpRepo(q).enqueueNotification(rec));
        return rec;
      },
      row: async (id) => (await tpNotificationStore(db).get(id))!,
    };
    await fn(env);
  } finally {
    // Closing the receiver first drops any request it holds, so stopping a worker waits for nothing.
    await rcv.close();
    for (const w of workers) await w.stop();
  }
}

const attemptsOf = (db: Db, id: string) => tpNotificationStore(db).attemptsOf(id);

/** Past every jitter of `ms` (±10%). */
const past = (ms: number) => Math.ceil(ms * 1.1) + 1;

test('the default schedule retries for about 48 hours, first within a few minutes, every delay positive', () => {
  const total = DEFAULT_TP_NOTIFICATION_RETRY_SCHEDULE_MS.reduce((a, b) => a + b, 0);
  assert.ok(total >= 40 * 3_600_000 && total <= 56 * 3_600_000, `sums to ${total / 3_600_000} h`);
  // Jittered by ±10%, the schedule still stays within those bounds.
  assert.ok(total * 0.9 >= 40 * 3_600_000 && total * 1.1 <= 56 * 3_600_000);
  assert.ok(DEFAULT_TP_NOTIFICATION_RETRY_SCHEDULE_MS[0]! <= 5 * 60_000);
  assert.ok(DEFAULT_TP_NOTIFICATION_RETRY_SCHEDULE_MS.every((ms) => Number.isSafeInteger(ms) && ms > 0));
});

for (const { kind, skip } of await stores()) {
  describe(`URL notifications [${kind}]`, { skip }, () => {
    let opened: Store | undefined;
    const store = () => opened!;
    before(async () => {
      opened = await openStore(kind);
    });
    after(async () => {
      await opened?.close();
    });

    test('the stored body arrives byte for byte, form-encoded with charset, named OpenCashier; a 200 ends it', () => withEnv(store, async (e) => {
      const site = await e.site({ livemode: false });
      const body = 'baseamount=2499&errorcode=0&notificationreference=1-A60356&orderreference=customer%20order%20%E6%94%AF&'
        + 'settlestatus=100&sitereference=test_site1&responsesitesecurity=5f3c0b0e8c1a&orderreference=repeated';
      const n = await e.enqueue(site, { body });
      assert.equal(await e.worker().runOnce(), 1);

      assert.equal(e.rcv.received.length, 1);
      const got = e.rcv.received[0]!;
      assert.equal(got.body, body);
      assert.equal(got.headers['content-type'], 'application/x-www-form-urlencoded; charset=UTF-8');
      assert.equal(got.headers['content-length'], String(Buffer.byteLength(body)));
      assert.match(String(got.headers['user-agent']), /OpenCashier/);

      const row = await e.row(n.id);
      assert.equal(row.status, 'succeeded');
      assert.equal(row.attempts, 1);
      assert.equal(row.last_status, 200);
      assert.equal(row.next_attempt_at, null);
      assert.equal(row.completed_at, T0);
      assert.equal(row.last_attempt_at, T0);
      const attempts = await attemptsOf(e.db, n.id);
      assert.equal(attempts.length, 1);
      assert.deepEqual({ ...attempts[0]!, latency_ms: 0 }, {
        notification_id: n.id, attempt: 1, started: T0, latency_ms: 0, http_status: 200, error: null,
        // As for webhooks, what an address other than a public one answers is never kept.
        response_excerpt: null,
      });
      assert.ok(attempts[0]!.latency_ms !== null && attempts[0]!.latency_ms >= 0);

      // Done is done: nothing is sent again, however late it gets.
      e.clock.t += 7 * 24 * 3_600_000;
      assert.equal(await e.worker().runOnce(), 0);
      assert.equal(e.rcv.received.length, 1);
    }));

    test('a 500 then a 200: two attempts kept, the very same body both times, then succeeded', () => withEnv(store, async (e) => {
      const site = await e.site({ livemode: false });
      const n = await e.enqueue(site);
      e.rcv.policy = (_r, i) => (i === 0 ? 500 : 200);
      const w = e.worker({ retryScheduleMs: [60_000, 120_000] });

      assert.equal(await w.runOnce(), 1);
      let row = await e.row(n.id);
      assert.equal(row.status, 'pending');
      assert.equal(row.attempts, 1);
      assert.equal(row.last_status, 500);
      assert.ok(row.next_attempt_at! >= T0 + 54_000 && row.next_attempt_at! <= T0 + 66_000, `retry 1 min later (±10%): ${row.next_attempt_at! - T0}`);
      // Not due yet: nothing goes.
      assert.equal(await w.runOnce(), 0);

      e.clock.t += past(60_000);
      assert.equal(await w.runOnce(), 1);
      row = await e.row(n.id);
      assert.equal(row.status, 'succeeded');
      assert.equal(row.attempts, 2);
      assert.equal(row.last_status, 200);
      assert.equal(row.completed_at, e.clock.t);

      assert.deepEqual(e.rcv.received.map((r) => r.body), [n.body, n.body]);
      assert.match(n.body, /notificationreference=1-A60001&/);
      const attempts = await attemptsOf(e.db, n.id);
      assert.deepEqual(attempts.map((a) => [a.attempt, a.http_status, a.error, a.started]), [[1, 500, null, T0], [2, 200, null, e.clock.t]]);
    }));

    test('204 and 302 are failures too: only 200 ends a notification', () => withEnv(store, async (e) => {
      const site = await e.site({ livemode: false });
      const a = await e.enqueue(site);
      const b = await e.enqueue(site);
      e.rcv.policy = (r) => (r.body === a.body ? 204 : 302);
      const w = e.worker();
      assert.equal(await w.runOnce(), 2);
      for (const [n, status] of [[a, 204], [b, 302]] as const) {
        const row = await e.row(n.id);
        assert.equal(row.status, 'pending', `${status} is retried`);
        assert.equal(row.last_status, status);
        assert.ok(row.next_attempt_at! > e.clock.t);
        assert.deepEqual((await attemptsOf(e.db, n.id)).map((x) => [x.http_status, x.error]), [[status, null]]);
      }
      // The redirect was not followed.
      assert.equal(e.rcv.received.length, 2);

      e.rcv.policy = () => 200;
      e.clock.t += past(60_000);
      assert.equal(await w.runOnce(), 2);
      assert.equal((await e.row(a.id)).status, 'succeeded');
      assert.equal((await e.row(b.id)).status, 'succeeded');
    }));

    test('a receiver that never answers is cut off at the timeout, and the notification is sent again later', () => withEnv(store, async (e) => {
      const site = await e.site({ livemode: false });
      const n = await e.enqueue(site);
      e.rcv.policy = (_r, i) => (i === 0 ? 'hold' : 200);

      await e.worker({ timeoutMs: 300 }).runOnce();
      let row = await e.row(n.id);
      assert.equal(row.status, 'pending');
      assert.equal(row.last_status, null);
      const [first] = await attemptsOf(e.db, n.id);
      assert.equal(first!.http_status, null);
      assert.match(first!.error!, /no (complete )?answer within 300 ms/);

      e.clock.t += past(60_000);
      await e.worker({ timeoutMs: 10_000 }).runOnce();
      row = await e.row(n.id);
      assert.equal(row.status, 'succeeded');
      assert.deepEqual(e.rcv.received.map((r) => r.body), [n.body, n.body]);
    }));

    test('a connection refused is a failed attempt with its error', () => withEnv(store, async (e) => {
      const site = await e.site({ livemode: false });
      const closed = await startReceiver();
      const url = closed.url;
      await closed.close();
      const n = await e.enqueue(site, { url });
      await e.worker().runOnce();
      const [a] = await attemptsOf(e.db, n.id);
      assert.equal(a!.http_status, null);
      assert.match(a!.error!, /ECONNREFUSED/);
      assert.equal((await e.row(n.id)).status, 'pending');
    }));

    test('when the schedule runs out the notification is failed, and nothing is sent after', () => withEnv(store, async (e) => {
      const site = await e.site({ livemode: false });
      const n = await e.enqueue(site);
      e.rcv.policy = () => 503;
      const schedule = [1_000, 5_000];
      const w = e.worker({ retryScheduleMs: schedule });
      for (const delay of schedule) {
        assert.equal(await w.runOnce(), 1);
        assert.equal((await e.row(n.id)).status, 'pending');
        e.clock.t += past(delay);
      }
      assert.equal(await w.runOnce(), 1);
      const row = await e.row(n.id);
      assert.equal(row.status, 'failed');
      assert.equal(row.attempts, schedule.length + 1);
      assert.equal(row.last_status, 503);
      assert.equal(row.next_attempt_at, null);
      assert.equal(row.completed_at, e.clock.t);
      assert.deepEqual((await attemptsOf(e.db, n.id)).map((a) => a.attempt), [1, 2, 3]);
      assert.ok(e.logs.some((l) => l.level === 'warn' && /failed after its last retry/.test(l.msg ?? '')));

      e.clock.t += 30 * 24 * 3_600_000;
      assert.equal(await w.runOnce(), 0);
      assert.equal(e.rcv.received.length, 3);
      assert.ok(e.rcv.received.every((r) => r.body === n.body));
    }));

    test('live mode never sends to loopback: the refusal is a recorded failed attempt and nothing reaches the receiver', () => withEnv(store, async (e) => {
      const live = await e.site({ livemode: true });
      const port = new URL(e.rcv.url).port;
      const literal = await e.enqueue(live, { url: e.rcv.url }); // http://127.0.0.1:port/hook
      const mapped = await e.enqueue(live, { url: `http://[::ffff:127.0.0.1]:${port}/hook` });
      const named = await e.enqueue(live, { url: `http://localhost:${port}/hook` }); // through the guarded lookup
      // Even with private URLs allowed: that switch is for test mode only.
      assert.equal(await e.worker({ allowPrivateUrls: true }).runOnce(), 3);

      assert.equal(e.rcv.received.length, 0);
      const why = async (id: string) => {
        const attempts = await attemptsOf(e.db, id);
        assert.equal(attempts.length, 1);
        assert.equal(attempts[0]!.http_status, null);
        return attempts[0]!.error!;
      };
      assert.match(await why(literal.id), /^refused: 127\.0\.0\.1 is a loopback address; live mode sends .* to public addresses only$/);
      assert.match(await why(mapped.id), /^refused: ::ffff:7f00:1 is a form of 127\.0\.0\.1, a loopback address; live mode/);
      assert.match(await why(named.id), /refused: localhost resolves to (127\.0\.0\.1|::1), which is a loopback address; live mode/);
      for (const n of [literal, mapped, named]) {
        const row = await e.row(n.id);
        assert.equal(row.status, 'pending', 'a refusal is retried like any failure (the rule may be corrected)');
        assert.equal(row.last_status, null);
      }
    }));

    test('test mode sends to loopback only when private URLs are allowed; link-local never', () => withEnv(store, async (e) => {
      const site = await e.site({ livemode: false });
      const n = await e.enqueue(site);
      await e.worker({ allowPrivateUrls: false }).runOnce();
      assert.equal(e.rcv.received.length, 0);
      assert.match((await attemptsOf(e.db, n.id))[0]!.error!, /^refused: 127\.0\.0\.1 is a loopback address; test mode sends .* only when the gateway runs with WEBHOOK_ALLOW_PRIVATE_URLS on$/);

      const metadata = await e.enqueue(site, { url: 'http://169.254.169.254/latest/meta-data/' });
      e.clock.t += past(60_000);
      assert.equal(await e.worker({ allowPrivateUrls: true }).runOnce(), 2);
      assert.equal((await e.row(n.id)).status, 'succeeded');
      assert.deepEqual(e.rcv.received.map((r) => r.body), [n.body]);
      assert.match((await attemptsOf(e.db, metadata.id))[0]!.error!, /^refused: 169\.254\.169\.254 is a link-local address/);
    }));

    test('two workers on one database never send one notification twice: each body arrives exactly once', () => withEnv(store, async (e) => {
      const sites = [await e.site({ livemode: false }), await e.site({ livemode: false }), await e.site({ livemode: false })];
      const rows: TpNotificationRecord[] = [];
      for (let i = 0; i < 12; i++) rows.push(await e.enqueue(sites[i % sites.length]!));
      const a = e.worker({ maxInFlight: 4, perSite: 2 });
      const b = e.worker({ maxInFlight: 4, perSite: 2 });
      // The clock stands still: a lease never runs out, so a claimed row is only ever its claimer's.
      let sent = 0;
      for (let round = 0; round < 20 && sent < rows.length; round++) {
        const [x, y] = await Promise.all([a.runOnce(), b.runOnce()]);
        sent += x + y;
      }
      assert.equal(sent, rows.length);
      const bodies = e.rcv.received.map((r) => r.body).sort();
      assert.deepEqual(bodies, rows.map((r) => r.body).sort(), 'each body once, none twice, none missing');
      for (const r of rows) {
        assert.equal((await e.row(r.id)).status, 'succeeded');
        assert.deepEqual((await attemptsOf(e.db, r.id)).map((x) => x.attempt), [1]);
      }
    }));

    test('a notification claimed by a process that died is sent again once its lease runs out', () => withEnv(store, async (e) => {
      const site = await e.site({ livemode: false });
      const n = await e.enqueue(site);
      const timeoutMs = 2_000;
      const lease = timeoutMs * 2 + 1_000; // what a worker with this timeout leases for
      // The dead process's claim: counted and leased, never answered.
      const [claimed] = await tpNotificationStore(e.db).claimDue(e.clock.now(), 10, lease);
      assert.equal(claimed!.id, n.id);
      assert.equal(claimed!.attempts, 1);

      const w = e.worker({ timeoutMs });
      assert.equal(await w.runOnce(), 0, 'leased: not sent while the claimer might still be sending');
      e.clock.t += lease - 1;
      assert.equal(await w.runOnce(), 0);
      e.clock.t += 1;
      assert.equal(await w.runOnce(), 1);
      const row = await e.row(n.id);
      assert.equal(row.status, 'succeeded');
      assert.equal(row.attempts, 2, 'the interrupted claim counts as an attempt');
      assert.deepEqual((await attemptsOf(e.db, n.id)).map((a) => [a.attempt, a.http_status]), [[2, 200]]);
      assert.deepEqual(e.rcv.received.map((r) => r.body), [n.body]);
    }));

    test('a late answer from a claim whose lease ran out does not undo what the newer claim decided', () => withEnv(store, async (e) => {
      const site = await e.site({ livemode: false });
      const n = await e.enqueue(site);
      const s = tpNotificationStore(e.db);
      await s.claimDue(e.clock.now(), 1, 1_000); // attempt 1, then its lease runs out
      e.clock.t += 1_000;
      await s.claimDue(e.clock.now(), 1, 1_000); // attempt 2
      assert.equal(await s.finish(n.id, { kind: 'retry', attempt: 1, status: 500, nextAttemptAt: e.clock.t + 60_000 }), false);
      assert.equal(await s.finish(n.id, { kind: 'failed', attempt: 1, status: 500, now: e.clock.t }), false);
      assert.equal((await e.row(n.id)).next_attempt_at, e.clock.t + 1_000, 'still leased to attempt 2');
      // A success is a success, whichever claim it came from; after it nothing changes the row.
      assert.equal(await s.finish(n.id, { kind: 'succeeded', attempt: 1, status: 200, now: e.clock.t }), true);
      assert.equal(await s.finish(n.id, { kind: 'failed', attempt: 2, status: null, now: e.clock.t }), false);
      assert.equal((await e.row(n.id)).status, 'succeeded');
    }));

    test('a site whose server hangs holds only its own slots: another site is still served', () => withEnv(store, async (e) => {
      const slow = await e.site({ livemode: false });
      const fast = await e.site({ livemode: false });
      const stuck = [await e.enqueue(slow), await e.enqueue(slow), await e.enqueue(slow)];
      const ok = await e.enqueue(fast);
      e.rcv.policy = (r) => (r.body.includes(`sitereference=${slow}&`) ? 'hold' : 200);
      const w = e.worker({ maxInFlight: 4, perSite: 1, timeoutMs: 30_000 });
      w.start();
      await eventually(async () => (await e.row(ok.id)).status === 'succeeded', 15_000);
      assert.equal(e.rcv.held().length, 1, 'one send to the hanging site at a time');
      assert.equal(e.rcv.received.filter((r) => r.body.includes(`sitereference=${slow}&`)).length, 1);

      // When the hanging send ends (here: the connection drops), the site's next notification goes.
      await e.rcv.close();
      await eventually(async () => (await attemptsOf(e.db, stuck[0]!.id)).length === 1 && (await attemptsOf(e.db, stuck[1]!.id)).length === 1, 15_000);
      await w.stop();
    }));
  });
}
