/**
 * The Trust Payments URL-notification worker (seed 004; spec trustpayments.md §6). Core writes each
 * notification into the tp_notifications outbox with the change it reports, its form body complete
 * (notificationreference and, when the site has a password, responsesitesecurity included); here
 * rows are claimed (SKIP LOCKED, with a lease, so a process killed mid-send leaves them to be sent
 * again), POSTed exactly as stored, and every attempt is kept.
 *
 * At least once, Trust Payments' "offline" flow: a notification ends only on an HTTP 200 (the
 * merchant modules always answer 200 and dedupe on notificationreference; any other status, a
 * timeout or a connection error is a failure) or when its retry schedule (data, ~48 hours) runs
 * out. Every retry sends the very same body, so the same notificationreference. Sends run side by
 * side under a cap, and a cap per site, so a site whose server hangs holds only its own slots.
 *
 * Where a notification may go is decided as for webhooks (url-guard.ts): live mode only to public
 * addresses, test mode to loopback and private addresses too when the operator allows it
 * (WEBHOOK_ALLOW_PRIVATE_URLS), link-local and special-purpose ranges never. The check runs on the
 * address actually connected to, at every attempt.
 */
import type { Db } from '../store/db.js';
import type { TpNotificationRecord } from '../core/settlement/records.js';
import { tpNotificationStore, type TpNotificationOutcome } from '../store/tp-notifications.js';
import { jitter, OutboxWorker, type SendResult } from './outbox.js';

export interface UrlNotificationLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface UrlNotificationOptions {
  clock: { now(): number };
  log: UrlNotificationLogger;
  /** The whole exchange (connect, send, the complete answer) must fit in this. */
  timeoutMs: number;
  /** Delay before retry n (ms): entry 0 follows the first attempt. Its length + 1 is the number of attempts. */
  retryScheduleMs: readonly number[];
  maxInFlight: number;
  /** At most this many sends to one site at once (default 4). */
  perSite?: number;
  intervalMs: number;
  /** Test mode may send to loopback and private addresses (see url-guard.ts). */
  allowPrivateUrls: boolean;
}

/**
 * 19 attempts over ~47.8 hours (Trust Payments retries queued notifications for about 48 h): the
 * first retry after a minute, then backing off to every 4 hours.
 */
export const DEFAULT_TP_NOTIFICATION_RETRY_SCHEDULE_MS: readonly number[] = [
  60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000, 7_200_000,
  ...new Array<number>(11).fill(14_400_000),
];

const DEFAULT_PER_SITE = 4;
const USER_AGENT = 'OpenCashier/0.1 (+https://github.com/opencashier; trust-payments-notifications)';
const CONTENT_TYPE = 'application/x-www-form-urlencoded; charset=UTF-8';

export class UrlNotificationWorker extends OutboxWorker<TpNotificationRecord> {
  constructor(private readonly db: Db, private readonly opts: UrlNotificationOptions) {
    super({ ...opts, what: 'URL notifications', userAgent: USER_AGENT });
  }

  protected claim(free: number, inFlight: ReadonlyMap<string, number>): Promise<TpNotificationRecord[]> {
    // Long enough to finish a send and record it; a process killed mid-send frees it after this.
    return tpNotificationStore(this.db).claimDue(this.opts.clock.now(), free, this.opts.timeoutMs * 2 + 1_000, {
      inFlight, perSite: this.opts.perSite ?? DEFAULT_PER_SITE,
    });
  }

  protected idOf(n: TpNotificationRecord): string {
    return n.id;
  }

  protected destinationOf(n: TpNotificationRecord): string {
    return n.site_reference;
  }

  protected async deliver(n: TpNotificationRecord): Promise<void> {
    const started = this.opts.clock.now();
    // Claims cut off before their answer was recorded (a process killed mid-send) count too; a
    // notification that keeps taking its process down still comes to an end.
    const result = n.attempts > this.opts.retryScheduleMs.length + 1
      ? { status: null, error: `not sent: ${n.attempts - 1} earlier claims used up the retry schedule`, excerpt: null, latencyMs: 0 }
      : await this.sender.post(n.url, n.body, { 'Content-Type': CONTENT_TYPE }, n.livemode);
    await this.record(n, started, result);
  }

  /** Keeps the attempt and decides what comes next, in one transaction. */
  private async record(n: TpNotificationRecord, started: number, r: SendResult): Promise<void> {
    // Trust Payments' merchant modules answer 200 to every notification they take; nothing else counts.
    const ok = r.status === 200 && r.error === null;
    const attempt = n.attempts; // counted by the claim
    await this.db.tx(async (q) => {
      const s = tpNotificationStore(q);
      await s.recordAttempt({
        notification_id: n.id, attempt, started, latency_ms: r.latencyMs,
        http_status: r.status, error: r.error, response_excerpt: r.excerpt,
      });
      const now = this.opts.clock.now();
      let outcome: TpNotificationOutcome;
      if (ok) outcome = { kind: 'succeeded', attempt, status: 200, now };
      else {
        const delay = this.opts.retryScheduleMs[attempt - 1];
        outcome = delay === undefined
          ? { kind: 'failed', attempt, status: r.status, now }
          : { kind: 'retry', attempt, status: r.status, nextAttemptAt: now + jitter(delay) };
      }
      const applied = await s.finish(n.id, outcome);
      if (applied && outcome.kind === 'failed') {
        this.opts.log.warn({ notification: n.id, site: n.site_reference, attempts: attempt }, 'URL notification failed after its last retry');
      }
    });
  }
}
