/**
 * Three `opencashier serve` processes on one PostgreSQL schema — the scale-out path, where the
 * store is the only shared state — under mixed load spread over the three (payments confirmed
 * through the simulator, paid with and without a notification, retrieved, refunded; Checkout
 * Sessions). It shows:
 * - idempotency holds across processes: one Idempotency-Key sent to all three at once makes one
 *   object, and every process replays it;
 * - the rate limit is one count for all processes, not one per process;
 * - each webhook delivery is sent by one process at a time (no two sends of an event overlap), and
 *   every event reaches the merchant, answered 2xx exactly once;
 * - each Antom poll is made by one process at a time (no two inquiries of an attempt overlap);
 * - a process killed with SIGKILL in the middle of its sends: the others send what it had claimed
 *   once its leases run out, and nothing is lost.
 *
 * The three are started at once on an empty schema and sit behind a small load balancer at their
 * shared PUBLIC_URL, as a deployment would. Which process sent a webhook is read off the
 * connection (`ss` names the process that owns the sending socket); which made an inquiry is not
 * recorded, but a process polls one attempt after another, so inquiries under way at once were
 * made by different processes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropSchema, eventually, postgresSkipReason, TEST_DATABASE_URL } from './helpers/gateway.js';
import { apiClient, freePort, spawnGateway, sqlIn, type CliProcess } from './helpers/processes.js';
import { SEED_000_CHECKOUT, SEED_000_WEB } from './helpers/seeds.js';
import { randomToken } from '../src/core/ids.js';

const SECRET = 'sk_test_ThreeProcessesKey0000001';
/** RATE_LIMIT_PER_SECOND: low, so that a burst over three processes passes it many times over. */
const LIMIT = 20;
/** WEBHOOK_TIMEOUT_MS; a webhook claim's lease is twice this and a second (delivery/webhooks.ts). */
const WEBHOOK_TIMEOUT_MS = 4_000;
const LEASE_MS = WEBHOOK_TIMEOUT_MS * 2 + 1_000;
/** ANTOM_TIMEOUT_MS; an Antom poll claim's lease is four times this (core/polls.ts). */
const ANTOM_TIMEOUT_MS = 4_000;
const POLL_LEASE_MS = ANTOM_TIMEOUT_MS * 4;
const PAYMENTS = 24;

const execFileP = promisify(execFile);
const pgSkip = (await postgresSkipReason()) ?? false;
const ssSkip = await execFileP('ss', ['-V']).then(() => false, () => 'needs `ss` (apt-get install iproute2) to tell which process sent each webhook');

type Gw = CliProcess & { url: string; pid: number };

interface Res<T = any> { status: number; headers: Headers; body: T }

/** One request, as a merchant's server makes it. */
const once = apiClient(SECRET);

/** A request that waits its turn: the limit is low and shared, so a 429 is retried (it did nothing). */
async function api<T = any>(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res<T>> {
  const end = Date.now() + 60_000;
  for (;;) {
    const r = await once<T>(base, method, path, body, headers);
    if (r.status !== 429 || Date.now() > end) return r;
    await new Promise((resolve) => setTimeout(resolve, 200 + Math.random() * 300));
  }
}

const sql = sqlIn;

/** The shopper pays in the wallet (the simulator's script API); `notify`: Antom tells the gateway, else polling finds it. */
function complete(base: string, url: string, notify: boolean): Promise<Response> {
  return fetch(`${base}/simulator/v1/complete`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ url, outcome: 'succeeded', notify }),
  });
}

/** One webhook request as the receiver saw it. */
interface Hit {
  event: string;
  /** The process that sent it (owner of the sending socket). */
  pid: number | undefined;
  at: number;
  /** When it was answered, or when the sender went away without an answer. */
  end?: number;
  status?: number;
  /** The sender closed the connection before any answer (it was killed, or gave up). */
  cut?: boolean;
}

/**
 * A merchant's webhook handler that records each request with its sender's pid, answers 200 at
 * once, or holds the requests of the processes `hold` names open until released.
 */
async function startHookReceiver() {
  const hits: Hit[] = [];
  const held = new Map<Hit, ServerResponse>();
  const hold = new Set<number>();
  const pidOf = new WeakMap<Socket, Promise<number | undefined>>();
  // One `ss` names the owners of every connection that arrived within a few milliseconds: a burst of
  // sends opens dozens at once, and `ss -p` reads every process's open files, so one run per
  // connection made the answers of a burst wait seconds (long enough, on a loaded machine, for a
  // sender to give up on an answer that was then written anyway). The sender's socket is the one
  // whose peer is this server (by both ports: Linux may give one ephemeral port to connections to
  // different destinations).
  let asked = new Map<number, ((pid: number | undefined) => void)[]>();
  let flushing: NodeJS.Timeout | undefined;
  const flush = async (listening: number) => {
    flushing = undefined;
    const batch = asked;
    asked = new Map();
    const owners = new Map<number, number>();
    const { stdout } = await execFileP('ss', ['-Htnp', 'state', 'established', `( dport = :${listening} )`]).catch(() => ({ stdout: '' }));
    for (const line of stdout.split('\n')) {
      const m = /:(\d+)\s+\S+:(\d+)\s+users:\(\("[^"]*",pid=(\d+)/.exec(line);
      if (m && Number(m[2]) === listening) owners.set(Number(m[1]), Number(m[3]));
    }
    for (const [port, waiters] of batch) for (const w of waiters) w(owners.get(port));
  };
  const lookup = (port: number, listening: number): Promise<number | undefined> => new Promise((resolve) => {
    asked.set(port, [...(asked.get(port) ?? []), resolve]);
    flushing ??= setTimeout(() => void flush(listening), 5);
  });
  /** The process that owns a connection; a miss is asked again a few times, and never remembered. */
  const ownerOf = async (socket: Socket, remote: number, local: number): Promise<number | undefined> => {
    for (let i = 0; i < 8; i++) {
      let p = pidOf.get(socket);
      if (!p) pidOf.set(socket, (p = lookup(remote, local)));
      const pid = await p;
      if (pid !== undefined) return pid;
      if (pidOf.get(socket) === p) pidOf.delete(socket);
      await new Promise((resolve) => setTimeout(resolve, 25 * (i + 1)));
    }
    return undefined;
  };
  const answer = (h: Hit, res: ServerResponse, status: number) => {
    held.delete(h);
    // A connection its sender closed (killed) is not answered, even before its 'close' has come.
    if (!h.cut && (res.socket === null || res.socket.destroyed)) {
      h.cut = true;
      h.end = Date.now();
    }
    if (h.cut) return;
    h.status = status;
    h.end = Date.now();
    res.writeHead(status, { 'Content-Type': 'text/plain' }).end('ok');
  };
  const server = createServer((req, res) => {
    const socket = req.socket;
    const ports = [socket.remotePort!, socket.localPort!] as const;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const h: Hit = { event: (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string }).id, pid: undefined, at: Date.now() };
      hits.push(h);
      res.on('close', () => {
        if (h.status === undefined && !h.cut) {
          h.cut = true;
          h.end = Date.now();
          held.delete(h);
        }
      });
      h.pid = await ownerOf(socket, ...ports);
      // Its sender went away while it was being named (a killed process's send, typically): its
      // 'close' has already marked it cut, and holding it now would keep it held for ever (seen in
      // CI: the SIGKILL test waited 10 s for the held sends to be cut off, and one never was).
      if (h.cut) return;
      // While a process is held, a send whose process could not be named is held too: answered
      // 2xx, it might be the held process's, which would then be killed before recording it (seen
      // in CI: a sender named by no `ss` line, answered at once, its event sent again after the lease).
      if (hold.size > 0 && (h.pid === undefined || hold.has(h.pid))) held.set(h, res);
      else answer(h, res, 200);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    hits,
    hold,
    held: () => [...held.keys()],
    releaseAll: () => {
      for (const [h, res] of [...held]) answer(h, res, 200);
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/**
 * The load balancer in front of the processes, at their shared PUBLIC_URL: Antom's notifications
 * and shoppers' returns reach any live process, round the list, skipping one that refuses.
 */
async function startBalancer(backends: () => string[]) {
  let next = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const attempt = (left: number) => {
        const list = backends();
        const target = new URL(list[next++ % list.length]!);
        const up = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        });
        up.on('error', () => (left > 1 && !res.headersSent ? attempt(left - 1) : res.destroy()));
        up.end(body);
      };
      attempt(backends().length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** The number of JSON request lines in `output` whose route matches. */
function requestsTo(output: string, route: RegExp): number {
  let n = 0;
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const e = JSON.parse(line) as { route?: string; status?: number };
      if (e.route && e.status !== undefined && route.test(e.route)) n++;
    } catch {
      /* a line cut short */
    }
  }
  return n;
}

/**
 * How late this receiver may see a send end: on a loaded machine it saw a sender's close (it had
 * given up after WEBHOOK_TIMEOUT_MS) 48 ms after the gateway had recorded the give-up and another
 * process had sent again. Two processes holding one delivery at once would overlap by seconds (a
 * lease is LEASE_MS), and two answered sends are caught by the 2xx count besides.
 */
const RECEIVER_LAG_MS = 250;

/** Pairs of sends of one event that were under way at the same time. */
function overlappingSends(hits: Hit[]): string[] {
  const byEvent = new Map<string, Hit[]>();
  for (const h of hits) byEvent.set(h.event, [...(byEvent.get(h.event) ?? []), h]);
  const out: string[] = [];
  for (const [event, hs] of byEvent) {
    const sorted = [...hs].sort((a, b) => a.at - b.at);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1]!;
      const next = sorted[i]!;
      // Each send with its sender, start, end, answer and whether it was cut off: the story of an overlap.
      const told = (h: Hit) => `${h.pid} from ${h.at} to ${h.end ?? 'never'}${h.status !== undefined ? ` answered ${h.status}` : ''}${h.cut ? ' cut off' : ''}`;
      if (prev.end === undefined || next.at < prev.end - RECEIVER_LAG_MS) out.push(`${event}: sends by ${told(prev)} and by ${told(next)}`);
    }
  }
  return out;
}

describe('three gateway processes on one PostgreSQL schema', { skip: pgSkip || ssSkip, timeout: 180_000 }, () => {
  const schema = `t_${randomToken(10).toLowerCase()}`;
  const dataDirs: string[] = [];
  const gws: Gw[] = [];
  let rcv: Awaited<ReturnType<typeof startHookReceiver>>;
  let lb: Awaited<ReturnType<typeof startBalancer>>;
  /** Events after this seq were made with the endpoint in place: each must reach it. */
  let firstSeq = 0;
  const started = Date.now();
  /** The environment of a process: each its own port, all the one schema and PUBLIC_URL. */
  let env: (port: number) => Record<string, string>;

  /** What the store knows of a payment, for a failure's message. */
  async function story(pi: string): Promise<string> {
    const [p] = await sql(schema, 'SELECT status, created FROM payment_intents WHERE id = $1', [pi]);
    const attempts = await sql(schema, 'SELECT id, status, poll_count, next_poll_at, cancel_requested_at, created FROM payment_attempts WHERE payment_intent_id = $1', [pi]);
    const calls = await sql(schema, 'SELECT api, started, outcome, error, latency_ms FROM upstream_calls WHERE reference = ANY($1::text[]) ORDER BY started', [attempts.map((a) => a.id)]);
    const sim = await sql(schema, 'SELECT status, paid_at, created_at FROM sim_payments WHERE payment_request_id = ANY($1::text[])', [attempts.map((a) => a.id)]);
    return JSON.stringify({ now: Date.now(), pi: p, attempts, calls, sim });
  }

  before(async () => {
    rcv = await startHookReceiver();
    // Behind one load balancer, as a deployment is: every process hands out URLs of the one
    // PUBLIC_URL. (A payment's URLs are part of its pay request, which any process may send again.)
    lb = await startBalancer(() => gws.map((g) => g.url));
    const ports = await Promise.all([0, 1, 2].map(() => freePort()));
    // Started side by side on an empty schema, as a deployment of three replicas would be.
    env = (port: number): Record<string, string> => {
      const dataDir = mkdtempSync(join(tmpdir(), 'opencashier-three-'));
      dataDirs.push(dataDir);
      return {
        DATA_DIR: dataDir,
        PORT: String(port),
        PUBLIC_URL: lb.url,
        DATABASE_URL: TEST_DATABASE_URL,
        DATABASE_SCHEMA: schema,
        DATABASE_POOL_SIZE: '4',
        OPENCASHIER_TEST_SECRET_KEY: SECRET,
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'json',
        RATE_LIMIT_PER_SECOND: String(LIMIT),
        ANTOM_TIMEOUT_MS: String(ANTOM_TIMEOUT_MS),
        WORKER_INTERVAL_MS: '50',
        // Payments paid without a notification are found by polling: every 300 ms from 1 s to 10 s.
        POLL_SCHEDULE_MS: Array.from({ length: 30 }, (_, k) => 1000 + 300 * k).join(','),
        SIMULATOR_NOTIFY_SCHEDULE_MS: '0,200,400,800',
        WEBHOOK_TIMEOUT_MS: String(WEBHOOK_TIMEOUT_MS),
        WEBHOOK_RETRY_SCHEDULE_MS: '200,400,800,1000,1000,1000,1000,1000',
      };
    };
    const spawned = await Promise.allSettled([0, 1, 2].map((i) => spawnGateway(env(ports[i]!))));
    spawned.forEach((s, i) => {
      if (s.status === 'fulfilled') gws.push({ ...s.value, url: `http://127.0.0.1:${ports[i]}`, pid: s.value.proc.pid! });
    });
    const failed = spawned.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    assert.equal(new Set(gws.map((g) => g.url)).size, 3, 'three processes on three ports');

    const endpoint = await api(gws[0]!.url, 'POST', '/v1/webhook_endpoints', { url: rcv.url, enabled_events: ['*'] });
    assert.equal(endpoint.status, 200, JSON.stringify(endpoint.body));
    firstSeq = (await sql<{ n: number }>(schema, 'SELECT coalesce(max(seq), 0)::int AS n FROM events'))[0]!.n;
  });

  after(async () => {
    for (const g of gws) g.proc.kill('SIGKILL');
    await rcv?.close();
    await lb?.close();
    for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
    await dropSchema(schema).catch(() => undefined);
    console.log(`# three processes: ${((Date.now() - started) / 1000).toFixed(1)} s in all`);
  });

  /**
   * Every event since the endpoint was made reached the receiver and was answered 2xx exactly
   * once; no two sends of an event were under way at once; every delivery ended in success.
   */
  async function everyEventDeliveredOnce(): Promise<{ events: number; sends: number; bySender: Map<number | undefined, number> }> {
    const events = async () => (await sql<{ id: string }>(schema, 'SELECT id FROM events WHERE seq > $1', [firstSeq])).map((r) => r.id);
    await eventually(async () => {
      const ok = new Set(rcv.hits.filter((h) => h.status === 200).map((h) => h.event));
      return (await events()).every((id) => ok.has(id));
    }, 60_000);
    await eventually(async () => {
      const [row] = await sql<{ n: number }>(schema, "SELECT count(*)::int AS n FROM webhook_deliveries WHERE status <> 'succeeded'");
      return row!.n === 0;
    }, 30_000);
    const ids = await events();
    const [deliveries] = await sql<{ n: number }>(schema, 'SELECT count(*)::int AS n FROM webhook_deliveries d JOIN events e ON e.id = d.event_id WHERE e.seq > $1', [firstSeq]);
    assert.equal(deliveries!.n, ids.length, 'one delivery per event');
    const answered = new Map<string, number>();
    for (const h of rcv.hits) if (h.status === 200) answered.set(h.event, (answered.get(h.event) ?? 0) + 1);
    // Who sent each of them, when, and what the store kept of its attempts: the story of a duplicate.
    const told = await Promise.all([...answered].filter(([, n]) => n > 1).map(async ([event]) => ({
      event,
      sends: rcv.hits.filter((h) => h.event === event).map((h) => ({ pid: h.pid, at: h.at, end: h.end, status: h.status, cut: h.cut })),
      attempts: await sql<{ started: string; latency_ms: number; http_status: number | null; error: string | null }>(schema,
        'SELECT a.attempt, a.started, a.latency_ms, a.http_status, a.error, d.status, d.attempts FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.event_id = $1 ORDER BY a.started', [event]),
    })));
    // A 2xx written after its sender had given up on it (no complete answer within the timeout,
    // as the sender recorded) is not a success the gateway saw: the send is made again, as
    // at-least-once delivery must. Seen on a loaded machine, where this receiver's own `ss` lookups
    // held answers back past the sender's 4 s. Any other second 2xx is a duplicate.
    const late = told.filter(({ sends, attempts }) => {
      const successes = attempts.filter((a) => a.http_status !== null && a.http_status >= 200 && a.http_status < 300).length;
      const givenUp = attempts.filter((a) => a.http_status === null && /no complete answer/.test(a.error ?? '')).map((a) => Number(a.started) + a.latency_ms);
      const ok = sends.filter((h) => h.status === 200).sort((x, y) => x.end! - y.end!);
      // The last 2xx is the one the gateway recorded; each earlier one was written no sooner than
      // RECEIVER_LAG_MS before a recorded give-up (an answer still on its way, or unread by a busy
      // sender, when its time ran out).
      return successes === 1 && ok.slice(0, -1).every((h) => givenUp.some((deadline) => deadline - RECEIVER_LAG_MS <= h.end!));
    });
    const twice = told.filter((t) => !late.includes(t));
    assert.deepEqual(twice, [], `no event was answered 2xx twice: ${JSON.stringify(twice)} (processes ${gws.map((g) => g.pid).join(', ')}; ` +
      `their errors: ${gws.flatMap((g) => g.output().split('\n').filter((l) => /"level":(40|50)/.test(l))).slice(-20).join('\n')})`);
    if (late.length) console.log(`# ${late.length} event(s) answered 2xx after the sender had given up, and sent again: ${JSON.stringify(late)}`);
    assert.deepEqual(new Set(answered.keys()), new Set(ids), 'the receiver got exactly the events the gateway recorded');
    assert.deepEqual(overlappingSends(rcv.hits), [], 'no two sends of one event were under way at once');
    const bySender = new Map<number | undefined, number>();
    for (const h of rcv.hits) bySender.set(h.pid, (bySender.get(h.pid) ?? 0) + 1);
    return { events: ids.length, sends: rcv.hits.length, bySender };
  }

  it('one Idempotency-Key sent to all three processes at once makes one object, and each process replays it', { timeout: 60_000 }, async () => {
    const ROUNDS = 8;
    for (let round = 0; round < ROUNDS; round++) {
      const key = `three-${round}-${randomToken(8)}`;
      const body = { ...SEED_000_WEB, amount: 500 + round };
      // All three at once: one runs it, a twin still under way is told so (409) and retries.
      const first = await Promise.all(gws.map((g) => api(g.url, 'POST', '/v1/payment_intents', body, { 'Idempotency-Key': key })));
      for (const r of first) assert.ok(r.status === 200 || (r.status === 409 && r.body.error.code === 'idempotency_key_in_use'), JSON.stringify(r.body));
      const answers = await Promise.all(gws.map(async (g, i) => {
        if (first[i]!.status === 200) return first[i]!;
        return eventually(async () => {
          const r = await api(g.url, 'POST', '/v1/payment_intents', body, { 'Idempotency-Key': key });
          return r.status === 200 ? r : undefined;
        }, 20_000);
      }));
      const id = answers[0]!.body.id as string;
      assert.match(id, /^pi_/);
      for (const a of answers) assert.equal(a.body.id, id, 'every process answered with the same PaymentIntent');
      // And replayed later on each, the stored answer.
      for (const g of gws) {
        const r = await api(g.url, 'POST', '/v1/payment_intents', body, { 'Idempotency-Key': key });
        assert.equal(r.status, 200);
        assert.equal(r.body.id, id);
        assert.equal(r.headers.get('idempotent-replayed'), 'true');
      }
      const rows = await sql<{ n: number }>(schema, 'SELECT count(*)::int AS n FROM payment_intents WHERE idempotency_key = $1', [key]);
      assert.equal(rows[0]!.n, 1, `one PaymentIntent for ${key}`);
      // Paid, so that nothing of it is left to happen later (no expiry while other tests count events).
      assert.equal((await complete(gws[round % 3]!.url, answers[0]!.body.next_action.redirect_to_url.url, true)).status, 200);
      // One attempt, so one payment at Antom (a pay sent again by a poller carries the same request id).
      const pays = await sql<{ n: number }>(schema, 'SELECT count(*)::int AS n FROM sim_payments s JOIN payment_attempts a ON a.id = s.payment_request_id WHERE a.payment_intent_id = $1', [id]);
      assert.equal(pays[0]!.n, 1, `one payment at Antom for ${id}: ${await story(id)}`);
    }
    // The same key with another body is refused on every process.
    const key = `three-mismatch-${randomToken(8)}`;
    const original = await api(gws[0]!.url, 'POST', '/v1/payment_intents', { ...SEED_000_WEB, amount: 700 }, { 'Idempotency-Key': key });
    assert.equal(original.status, 200);
    assert.equal((await complete(gws[0]!.url, original.body.next_action.redirect_to_url.url, true)).status, 200);
    for (const g of gws.slice(1)) {
      const r = await api(g.url, 'POST', '/v1/payment_intents', { ...SEED_000_WEB, amount: 701 }, { 'Idempotency-Key': key });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.type, 'idempotency_error');
    }
  });

  it(`the rate limit is one count for the three: a burst of ${6 * LIMIT} over them gets about ${LIMIT} answers a second, not ${3 * LIMIT}`, { timeout: 60_000 }, async () => {
    // Start at the top of a second, so the burst's windows are its own.
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));
    const t0 = Date.now();
    const answers = await Promise.all(Array.from({ length: 6 * LIMIT }, (_, i) => {
      const g = gws[i % 3]!;
      return once(g.url, 'GET', '/v1/payment_intents?limit=1').then((r) => ({ ...r, process: i % 3 }));
    }));
    const t1 = Date.now();
    const windows = Math.floor(t1 / 1000) - Math.floor(t0 / 1000) + 1;
    const ok = answers.filter((a) => a.status === 200);
    const limited = answers.filter((a) => a.status === 429);
    assert.equal(ok.length + limited.length, answers.length, `only 200 and 429: ${[...new Set(answers.map((a) => a.status))].join(', ')}`);
    for (const a of limited) {
      assert.equal(a.body.error.code, 'rate_limit');
      assert.equal(a.headers.get('retry-after'), '1');
    }
    console.log(`# rate limit ${LIMIT}/s: ${answers.length} requests over 3 processes in ${t1 - t0} ms (${windows} window(s)): ${ok.length} answered, ${limited.length} refused with 429`);
    assert.ok(windows <= 4, `the burst took ${t1 - t0} ms: too slow to say anything`);
    // Counted per process, each would let LIMIT a second through: 3 × LIMIT per window.
    assert.ok(ok.length >= LIMIT && ok.length <= LIMIT * windows, `${ok.length} answered in ${windows} window(s) of ${LIMIT}`);
    for (let p = 0; p < 3; p++) assert.ok(limited.some((a) => a.process === p), `process ${p} refused some`);
    // The one count in the store saw every request of the burst, from all three processes.
    const [row] = await sql<{ n: number }>(schema, 'SELECT coalesce(sum(count), 0)::int AS n FROM rate_limits WHERE window_start BETWEEN $1 AND $2', [t0 - (t0 % 1000), t1 - (t1 % 1000)]);
    assert.equal(row!.n, answers.length, 'every request of the burst was counted in the shared windows');
  });

  it('mixed load over the three: every event is delivered once, each delivery and each Antom poll by one process at a time', { timeout: 120_000 }, async () => {
    const t0 = Date.now();
    const at = (i: number) => gws[i % 3]!.url;
    // PaymentIntents created and confirmed round the three; half paid with a notification from
    // the simulator, half without one, so the pollers of all three find them.
    const pis = await Promise.all(Array.from({ length: PAYMENTS }, async (_, i) => {
      const r = await api(at(i), 'POST', '/v1/payment_intents', { ...SEED_000_WEB, amount: 100 + i });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.ok(r.body.next_action, `${JSON.stringify(r.body)} ${await story(r.body.id)}`);
      const done = await complete(at(i + 1), r.body.next_action.redirect_to_url.url, i % 2 === 0);
      assert.equal(done.status, 200, await done.text());
      return r.body as { id: string };
    }));
    const sessions = await Promise.all(Array.from({ length: 6 }, async (_, i) => {
      const r = await api(at(i), 'POST', '/v1/checkout/sessions', SEED_000_CHECKOUT);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const again = await api(at(i + 1), 'GET', `/v1/checkout/sessions/${r.body.id}`);
      assert.equal(again.body.id, r.body.id);
      return r.body as { id: string };
    }));
    // Each read on another process than the one that created it, until it has succeeded.
    await Promise.all(pis.map(async (pi, i) => eventually(async () => {
      const r = await api(at(i + 2), 'GET', `/v1/payment_intents/${pi.id}`);
      return r.body.status === 'succeeded';
    }, 45_000, 200).catch(async (err: Error) => assert.fail(`${err.message}: ${await story(pi.id)}`))));
    // Half refunded (in part), on yet another process.
    const refunds = await Promise.all(pis.filter((_, i) => i % 2 === 1).map(async (pi, i) => {
      const r = await api(at(i), 'POST', '/v1/refunds', { payment_intent: pi.id, amount: 50 });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body as { id: string };
    }));
    await Promise.all(refunds.map((re, i) => eventually(async () => (await api(at(i + 1), 'GET', `/v1/refunds/${re.id}`)).body.status === 'succeeded', 45_000, 200)));

    // One state change each, so one event each, and one charge per payment.
    const count = async (type: string, ids: string[]) => (await sql<{ n: number }>(schema, 'SELECT count(*)::int AS n FROM events WHERE type = $1 AND object_id = ANY($2::text[])', [type, ids]))[0]!.n;
    assert.equal(await count('payment_intent.succeeded', pis.map((p) => p.id)), PAYMENTS);
    const charges = await sql(schema, 'SELECT payment_intent_id, count(*)::int AS n FROM charges GROUP BY 1 HAVING count(*) > 1');
    assert.deepEqual(charges, [], 'one charge per PaymentIntent');
    assert.equal(sessions.length, 6);

    const d = await everyEventDeliveredOnce();
    const senders = [...d.bySender.keys()];
    // A send its sender closed before `ss` could name it (it gave up on a loaded machine) has no name.
    const unnamed = rcv.hits.filter((h) => h.pid === undefined && !h.cut);
    assert.deepEqual(senders.filter((p) => p !== undefined && !gws.some((g) => g.pid === p)), [], 'every send came from one of the three');
    assert.deepEqual(unnamed, [], 'every send still open when it was looked up was named');
    assert.ok(senders.length >= 2, `webhooks were sent by ${senders.length} process(es)`);

    // Antom's inquiries: never two of one attempt under way at once, whichever processes made them.
    await eventually(async () => (await sql<{ n: number }>(schema, "SELECT count(*)::int AS n FROM upstream_calls WHERE api = 'inquiryPayment'"))[0]!.n > 0, 10_000);
    const calls = await sql<{ reference: string; started: string; latency_ms: number }>(schema,
      "SELECT reference, started, latency_ms FROM upstream_calls WHERE api = 'inquiryPayment' ORDER BY reference, started");
    const overlaps: string[] = [];
    for (let i = 1; i < calls.length; i++) {
      const [a, b] = [calls[i - 1]!, calls[i]!];
      if (a.reference === b.reference && Number(b.started) < Number(a.started) + a.latency_ms) overlaps.push(`${a.reference} at ${a.started} and ${b.started}`);
    }
    assert.deepEqual(overlaps, [], 'no attempt was inquired by two processes at once');
    // A process polls one attempt after another, so no more inquiries are under way at the same
    // moment than there are processes. (How many overlap is chance: inquiries take milliseconds.)
    const edges = calls.flatMap((c) => [[Number(c.started), 1], [Number(c.started) + c.latency_ms, -1]] as const).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    let now = 0;
    let most = 0;
    for (const [, step] of edges) most = Math.max(most, (now += step));
    assert.ok(most >= 1 && most <= 3, `${most} inquiries were under way at once`);
    const created = gws.map((g) => requestsTo(g.output(), /^\/v1\/payment_intents$/));
    for (const n of created) assert.ok(n > 0, `PaymentIntents created per process: ${created.join(', ')}`);
    console.log(`# mixed load: ${PAYMENTS} payments, ${refunds.length} refunds, ${sessions.length} sessions in ${Date.now() - t0} ms; ` +
      `${d.events} events delivered with ${d.sends} sends (per process ${gws.map((g) => d.bySender.get(g.pid) ?? 0).join('/')}), 0 answered twice, 0 overlapping; ` +
      `${calls.length} inquiries of ${new Set(calls.map((c) => c.reference)).size} attempts, up to ${most} under way at once, 0 of one attempt overlapping`);
  });

  it('a process killed with SIGKILL in the middle of its sends: the others deliver what it had claimed once its leases run out', { timeout: 120_000 }, async () => {
    const victim = gws[2]!;
    const [a, b] = [gws[0]!, gws[1]!];
    const mark = rcv.hits.length;
    // The victim's sends are held open by the merchant; the others are answered at once. Every
    // event from here on is claimed after this moment, so no lease of the victim ends before
    // `holdFrom + LEASE_MS`.
    const holdFrom = Date.now();
    rcv.hold.add(victim.pid);
    const make = (g: Gw, n: number, amount: number) => Promise.all(Array.from({ length: n }, async (_, i) => {
      const r = await api(g.url, 'POST', '/v1/payment_intents', { ...SEED_000_WEB, amount: amount + i });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.ok(r.body.next_action, JSON.stringify(r.body));
      return r.body as { id: string; next_action: { redirect_to_url: { url: string } } };
    }));
    const wave = (await Promise.all([make(a, 8, 1000), make(b, 8, 2000), make(victim, 8, 3000)])).flat();
    await eventually(async () => rcv.held().length >= 2, 30_000);
    const killedAt = Date.now();
    victim.proc.kill('SIGKILL');
    await victim.exited;
    gws.splice(2, 1); // asked no more, and the balancer sends nothing its way
    // Its connections closed with it: each held send is cut off unanswered.
    await eventually(async () => rcv.held().length === 0, 10_000);
    const cut = rcv.hits.slice(mark).filter((h) => h.pid === victim.pid && h.cut && h.end! >= killedAt);
    assert.ok(cut.length >= 2, `${cut.length} sends of the killed process were under way`);
    // Claimed and not finished at the kill (the victim's leases among them: the survivors finish theirs at once).
    const leased = await sql<{ event_id: string }>(schema, "SELECT event_id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at > $1", [Date.now()]);

    // The load goes on over the two that are left: the first wave is paid, and another comes,
    // paid without a notification, so the survivors' pollers find it.
    await Promise.all(wave.map(async (pi, i) => assert.equal((await complete(gws[i % 2]!.url, pi.next_action.redirect_to_url.url, true)).status, 200)));
    const more = (await Promise.all([make(a, 4, 4000), make(b, 4, 5000)])).flat();
    for (const pi of more) assert.equal((await complete(a.url, pi.next_action.redirect_to_url.url, false)).status, 200);
    await Promise.all([...wave, ...more].map((pi, i) => eventually(async () => (await api(gws[i % 2]!.url, 'GET', `/v1/payment_intents/${pi.id}`)).body.status === 'succeeded', 45_000, 200)));

    const d = await everyEventDeliveredOnce();
    // Each cut send was made again by a survivor, and not before the dead process's lease ran out.
    const delivered = (event: string) => rcv.hits.find((h) => h.event === event && h.status === 200)!;
    for (const h of cut.map((c) => delivered(c.event))) {
      assert.ok(h.pid === a.pid || h.pid === b.pid, `${h.event} was delivered by ${h.pid}`);
      assert.ok(h.at >= holdFrom + LEASE_MS, `${h.event} was sent again ${h.at - holdFrom} ms after the hold began, within the lease (${LEASE_MS} ms)`);
    }
    const gaps = cut.map((c) => delivered(c.event).at - killedAt);
    const late = leased.filter((l) => delivered(l.event_id).at >= holdFrom + LEASE_MS);
    console.log(`# SIGKILL: ${cut.length} sends of the killed process cut off, ${leased.length} deliveries claimed and unfinished at the kill; ` +
      `the cut ones delivered by the survivors ${Math.min(...gaps)}–${Math.max(...gaps)} ms after the kill (lease ${LEASE_MS} ms), ` +
      `${late.length} of the unfinished ones only once the lease was over; ${d.events} events in all, each answered 2xx once, 0 overlapping sends; ` +
      `${rcv.hits.filter((h) => h.pid === undefined).length} sends whose process \`ss\` could not name`);
  });

  it('a process killed with SIGKILL while it holds Antom polls: the others take them up once its lease is over, one process at a time, and the payments succeed', { timeout: 120_000 }, async () => {
    // The last test's victim is replaced, as an orchestrator would: three processes again.
    while (gws.length < 3) {
      const port = await freePort();
      const replacement = await spawnGateway(env(port));
      gws.push({ ...replacement, url: `http://127.0.0.1:${port}`, pid: replacement.proc.pid! });
    }
    const N = 6;
    // PaymentIntents whose first poll the test puts off (a poll is due a second after the pay),
    // so that one pass of one process will claim them all at once.
    const pis = await Promise.all(Array.from({ length: N }, async (_, i) => {
      const r = await api(gws[i % 3]!.url, 'POST', '/v1/payment_intents', { ...SEED_000_WEB, amount: 6000 + i });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      await sql(schema, 'UPDATE payment_attempts SET next_poll_at = $2 WHERE payment_intent_id = $1', [r.body.id, Date.now() + 600_000]);
      return r.body as { id: string; next_action: { redirect_to_url: { url: string } } };
    }));
    const attempts = await sql<{ id: string; poll_count: number }>(schema, 'SELECT id, poll_count FROM payment_attempts WHERE payment_intent_id = ANY($1::text[])', [pis.map((p) => p.id)]);
    assert.deepEqual(attempts.map((a) => a.poll_count), Array(N).fill(0), 'none was polled before it was put off');
    const ids = attempts.map((a) => a.id);
    // The next inquiry is answered a minute late: the pass that makes it holds its other claims meanwhile.
    const fault = await fetch(`${gws[0]!.url}/simulator/v1/faults`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ api: 'inquiryPayment', kind: 'timeout', delay_ms: 60_000 }),
    });
    assert.equal(fault.status, 200);
    await sql(schema, 'UPDATE payment_attempts SET next_poll_at = $2 WHERE id = ANY($1::text[])', [ids, Date.now()]);
    // The process whose simulator took the fault (each process calls its own) is the one holding it.
    const holder = await eventually(async () => gws.find((g) => /"api":"inquiryPayment","fault":"timeout"/.test(g.output())), 20_000, 20);
    // The shoppers pay meanwhile, without a notification: only an inquiry will tell the gateway.
    const others = gws.filter((g) => g !== holder);
    await Promise.all(pis.map(async (pi, i) => assert.equal((await complete(others[i % 2]!.url, pi.next_action.redirect_to_url.url, false)).status, 200)));
    // What the holder claimed and had not finished (another pass may have taken a few beside it, and polled them at once).
    const claimedAt = Date.now();
    const killedAt = Date.now();
    holder.proc.kill('SIGKILL');
    await holder.exited;
    gws.splice(gws.indexOf(holder), 1);
    const held = await sql<{ id: string; next_poll_at: string }>(schema, 'SELECT id, next_poll_at FROM payment_attempts WHERE id = ANY($1::text[]) AND poll_count = 0 AND next_poll_at > $2', [ids, claimedAt]);
    assert.ok(held.length >= 1, 'the killed process held claims');
    for (const h of held) assert.ok(Number(h.next_poll_at) <= claimedAt + POLL_LEASE_MS && Number(h.next_poll_at) > claimedAt + POLL_LEASE_MS - 20_000, `${h.id} leased to ${h.next_poll_at}`);

    await Promise.all(pis.map((pi, i) => eventually(async () => (await api(others[i % 2]!.url, 'GET', `/v1/payment_intents/${pi.id}`)).body.status === 'succeeded', 45_000, 200)));
    const doneAt = Date.now();
    // The survivors inquired each held attempt only once its lease was over, and never two at once.
    const calls = await sql<{ reference: string; started: string; latency_ms: number }>(schema,
      "SELECT reference, started, latency_ms FROM upstream_calls WHERE api = 'inquiryPayment' AND reference = ANY($1::text[]) ORDER BY reference, started", [ids]);
    for (const h of held) {
      const after = calls.filter((c) => c.reference === h.id && Number(c.started) >= killedAt);
      assert.ok(after.length >= 1, `${h.id} was inquired after the kill`);
      assert.ok(Number(after[0]!.started) >= Number(h.next_poll_at), `${h.id} was inquired at ${after[0]!.started}, within the dead process's lease (to ${h.next_poll_at})`);
    }
    const overlaps: string[] = [];
    for (let i = 1; i < calls.length; i++) {
      const [a, b] = [calls[i - 1]!, calls[i]!];
      if (a.reference === b.reference && Number(b.started) < Number(a.started) + a.latency_ms) overlaps.push(`${a.reference} at ${a.started} and ${b.started}`);
    }
    assert.deepEqual(overlaps, [], 'no attempt was inquired by two processes at once');
    const charges = await sql(schema, 'SELECT payment_intent_id FROM charges WHERE payment_intent_id = ANY($1::text[])', [pis.map((p) => p.id)]);
    assert.equal(charges.length, N, 'one charge per PaymentIntent');
    const taken = held.map((h) => Number(calls.find((c) => c.reference === h.id && Number(c.started) >= killedAt)!.started) - killedAt);
    console.log(`# SIGKILL with polls: the killed process held ${held.length} of ${N} claims (lease ${POLL_LEASE_MS} ms); ` +
      `the survivors inquired them ${Math.min(...taken)}–${Math.max(...taken)} ms after the kill, all ${N} succeeded ${doneAt - killedAt} ms after it, 0 overlapping inquiries`);
  });
});
