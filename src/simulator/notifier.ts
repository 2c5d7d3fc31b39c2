/**
 * Delivery of notifyPayment / notifyRefund from the outbox, and the worker that also closes
 * expired payments and settles asynchronous refunds. Everything is claimed in the database
 * (`FOR UPDATE SKIP LOCKED`), so any number of processes may run a worker over one PostgreSQL.
 */
import { signatureHeader, signMessageAsync } from '../connectors/antom/signing.js';
import { deadline } from '../connectors/antom/deadline.js';
import { createContext, type SimContext, type SimulatorOptions } from './context.js';
import { takeFault } from './faults.js';
import { expireDuePayments } from './payments.js';
import { settleDueRefunds } from './refunds.js';
import { DISPUTE_DUE_SQL, runDueDisputes } from './disputes.js';
import type { NotificationRow } from './store.js';
import { registerWorker, unregisterWorker } from './tx.js';

const ATTEMPT_TIMEOUT_MS = 10_000;
/** A claimed notification is hidden from other workers this long; a worker that dies mid-send is retried after it. */
const LEASE_MS = ATTEMPT_TIMEOUT_MS + 20_000;
const BATCH = 20;

interface AttemptResult {
  delivered: boolean;
  httpStatus: number | null;
  error: string | null;
}

async function send(ctx: SimContext, n: NotificationRow): Promise<AttemptResult> {
  const withheld = await takeFault(ctx.db, 'notify');
  if (withheld) return { delivered: false, httpStatus: null, error: 'not sent: notify fault' };
  let url: URL;
  try {
    url = new URL(n.url);
  } catch {
    return { delivered: false, httpStatus: null, error: 'notify URL is not a URL' };
  }
  // Signed afresh on every attempt: the merchant rejects stale Request-Times as replays.
  const time = String(ctx.clock.now());
  const signature = await signMessageAsync({ method: 'POST', path: url.pathname + url.search, clientId: n.client_id, time, body: n.body }, ctx.antomKey);
  let res: Response;
  let text: string;
  const limit = deadline(ATTEMPT_TIMEOUT_MS);
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json; charset=UTF-8',
        'Client-Id': n.client_id,
        'Request-Time': time,
        Signature: signatureHeader(signature),
      },
      body: n.body,
      signal: limit.signal,
      redirect: 'manual',
    });
    text = await res.text();
  } catch (err) {
    const e = err as Error;
    return { delivered: false, httpStatus: null, error: e.name === 'TimeoutError' ? 'timeout' : `transport: ${e.message}` };
  } finally {
    limit.clear();
  }
  if (res.status !== 200) return { delivered: false, httpStatus: res.status, error: `HTTP ${res.status}` };
  let ack: unknown;
  try {
    ack = JSON.parse(text);
  } catch {
    return { delivered: false, httpStatus: 200, error: 'acknowledgement is not JSON' };
  }
  const status = (ack as { result?: { resultStatus?: unknown } } | null)?.result?.resultStatus;
  if (status !== 'S') return { delivered: false, httpStatus: 200, error: `acknowledgement resultStatus is ${JSON.stringify(status)}, not "S"` };
  return { delivered: true, httpStatus: 200, error: null };
}

async function record(ctx: SimContext, n: NotificationRow, r: AttemptResult): Promise<void> {
  const now = ctx.clock.now();
  const attempt = n.attempts + 1;
  const later = ctx.schedule[attempt];
  const next = r.delivered || later === undefined ? null : n.created_at + later;
  await ctx.db.tx(async (q) => {
    await q.query(
      `UPDATE sim_notifications SET attempts = $2, last_attempt_at = $3, last_status = $4, last_error = $5,
              delivered_at = $6, next_attempt_at = $7, gave_up_at = $8 WHERE id = $1`,
      [n.id, attempt, now, r.httpStatus, r.error, r.delivered ? now : null, next, !r.delivered && next === null ? now : null],
    );
    await q.query(
      'INSERT INTO sim_notification_attempts (notification_id, attempt, at, http_status, error, delivered) VALUES ($1, $2, $3, $4, $5, $6)',
      [n.id, attempt, now, r.httpStatus, r.error, r.delivered],
    );
  });
  if (!r.delivered) {
    ctx.log.info({ notification: n.id, kind: n.kind, attempt, error: r.error, nextAttemptAt: next }, 'simulator notification not acknowledged');
  }
}

/** Sends one batch of due notifications; returns how many attempts were made. */
export async function deliverDue(ctx: SimContext): Promise<number> {
  const now = ctx.clock.now();
  // Claim and commit in one statement; the HTTP calls happen outside any transaction.
  const claimed = await ctx.db.query<NotificationRow>(
    `UPDATE sim_notifications SET next_attempt_at = $2
      WHERE id IN (SELECT id FROM sim_notifications WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= $1
                    ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
      RETURNING *`,
    [now, now + LEASE_MS, BATCH],
  );
  await Promise.all(claimed.map(async (n) => record(ctx, n, await send(ctx, n))));
  return claimed.length;
}

/** When something next falls due (a notification, an async refund, an expiry, a dispute's alert or window), or undefined when nothing is waiting. */
async function nextDueAt(ctx: SimContext): Promise<number | undefined> {
  const rows = await ctx.db.query<{ at: number | null }>(
    `SELECT LEAST(
       (SELECT MIN(next_attempt_at) FROM sim_notifications WHERE next_attempt_at IS NOT NULL),
       (SELECT MIN(complete_at) FROM sim_refunds WHERE status = 'PROCESSING'),
       (SELECT MIN(expires_at) FROM sim_payments WHERE status = 'PROCESSING'),
       (${DISPUTE_DUE_SQL})) AS at`,
  );
  return rows[0]?.at ?? undefined;
}

/**
 * Background work of the simulator: notification delivery with retries, expiry of unpaid
 * payments, settlement of asynchronous refunds, disputes' alerts and windows (disputes.ts).
 * `start()` runs a loop that sleeps until the next
 * item falls due (at most `workerIntervalMs`) and wakes early when this process queues work.
 */
export class SimulatorWorker {
  private readonly ctx: SimContext;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private kicked = false;

  constructor(opts: SimulatorOptions) {
    this.ctx = createContext(opts);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    registerWorker(this.ctx.db, this);
    this.loop = this.run();
  }

  /** Ends the loop and waits for the batch in flight (each attempt is bounded by a 10 s timeout). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    unregisterWorker(this.ctx.db, this);
    this.wake?.();
    await this.loop;
  }

  /** Asks the loop to run now instead of at its next tick. */
  kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  /** One pass over all due work; returns the number of items handled (attempts, expiries, settlements, disputes). */
  async runOnce(): Promise<number> {
    const expired = await expireDuePayments(this.ctx);
    const settled = await settleDueRefunds(this.ctx);
    const disputes = await runDueDisputes(this.ctx);
    const attempts = await deliverDue(this.ctx);
    return expired + settled + disputes + attempts;
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.kicked = false;
      let wait = this.ctx.opts.workerIntervalMs;
      try {
        const handled = await this.runOnce();
        // A full batch may mean more is due; otherwise sleep until the next item, if it is sooner than a tick.
        if (handled >= BATCH) wait = 0;
        else {
          const due = await nextDueAt(this.ctx);
          if (due !== undefined) wait = Math.min(wait, Math.max(10, due - this.ctx.clock.now()));
        }
      } catch (err) {
        this.ctx.log.error({ err }, 'simulator worker pass failed');
      }
      if (!this.running) break;
      if (this.kicked || wait === 0) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}
