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
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import type { Db } from '../store/db.js';
import type { TpNotificationRecord } from '../core/settlement/records.js';
import { tpNotificationStore, type TpNotificationOutcome } from '../store/tp-notifications.js';
import { classifyAddress, guardedLookup, refuseAddress, type WebhookUrlPolicy } from './url-guard.js';

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
/** Bytes of an answer kept with its attempt. */
const EXCERPT_BYTES = 1024;
const USER_AGENT = 'OpenCashier/0.1 (+https://github.com/opencashier; trust-payments-notifications)';
const CONTENT_TYPE = 'application/x-www-form-urlencoded; charset=UTF-8';

interface SendResult {
  status: number | null;
  error: string | null;
  excerpt: string | null;
  latencyMs: number;
}

/** ±10% so a site recovering from an outage is not hit by every retry at once. */
function jitter(ms: number): number {
  return Math.round(ms * (0.9 + Math.random() * 0.2));
}

export class UrlNotificationWorker {
  private readonly inFlight = new Map<string, string>(); // notification id → site reference
  private timer: NodeJS.Timeout | undefined;
  private kickTimer: NodeJS.Timeout | undefined;
  private stopped = true;
  private claiming = false;
  private readonly sends = new Set<Promise<void>>();

  /**
   * A reused keep-alive socket skips the guarded lookup, so live and test notifications never
   * share one: a socket test mode may open to a private address must not carry a live one.
   */
  private readonly agents = {
    live: { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) },
    test: { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) },
  };

  constructor(private readonly db: Db, private readonly opts: UrlNotificationOptions) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.timer = setInterval(() => void this.fill(), this.opts.intervalMs);
    this.timer.unref();
    void this.fill();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.kickTimer) clearTimeout(this.kickTimer);
    this.timer = undefined;
    this.kickTimer = undefined;
    await Promise.allSettled([...this.sends]);
    for (const mode of [this.agents.live, this.agents.test]) {
      mode.http.destroy();
      mode.https.destroy();
    }
  }

  /** Something was enqueued: look shortly (after the enqueuing transaction has committed). */
  kick(): void {
    if (this.stopped || this.kickTimer) return;
    this.kickTimer = setTimeout(() => {
      this.kickTimer = undefined;
      void this.fill();
    }, 20);
    this.kickTimer.unref();
  }

  /** Claims and sends everything due now, and waits for those sends (tests and the bench). */
  async runOnce(): Promise<number> {
    const n = await this.fill();
    await Promise.allSettled([...this.sends]);
    return n;
  }

  /** Tops the in-flight set up to its caps with due notifications; never waits for a send. */
  private async fill(): Promise<number> {
    if (this.claiming) return 0;
    this.claiming = true;
    let started = 0;
    try {
      for (;;) {
        const free = this.opts.maxInFlight - this.inFlight.size;
        if (free <= 0) break;
        const perSite = new Map<string, number>();
        for (const site of this.inFlight.values()) perSite.set(site, (perSite.get(site) ?? 0) + 1);
        const now = this.opts.clock.now();
        // Long enough to finish a send and record it; a process killed mid-send frees it after this.
        const lease = this.opts.timeoutMs * 2 + 1_000;
        const due = await tpNotificationStore(this.db).claimDue(now, free, lease, {
          inFlight: perSite, perSite: this.opts.perSite ?? DEFAULT_PER_SITE,
        });
        if (due.length === 0) break;
        for (const n of due) {
          this.inFlight.set(n.id, n.site_reference);
          const p = this.deliver(n)
            .catch((err: unknown) => this.opts.log.error({ err, notification: n.id }, 'URL notification bookkeeping failed; the lease will bring it back'))
            .finally(() => {
              this.inFlight.delete(n.id);
              this.sends.delete(p);
              if (!this.stopped) this.kick();
            });
          this.sends.add(p);
          started++;
        }
        if (due.length < free) break;
      }
    } catch (err) {
      this.opts.log.error({ err }, 'claiming URL notifications failed; retrying next round');
    } finally {
      this.claiming = false;
    }
    return started;
  }

  private async deliver(n: TpNotificationRecord): Promise<void> {
    const started = this.opts.clock.now();
    // Claims cut off before their answer was recorded (a process killed mid-send) count too; a
    // notification that keeps taking its process down still comes to an end.
    const result = n.attempts > this.opts.retryScheduleMs.length + 1
      ? { status: null, error: `not sent: ${n.attempts - 1} earlier claims used up the retry schedule`, excerpt: null, latencyMs: 0 }
      : await this.post(n.url, n.body, n.livemode);
    await this.record(n, started, result);
  }

  private post(url: string, body: string, livemode: boolean): Promise<SendResult> {
    const t0 = Date.now();
    return new Promise((resolve) => {
      let settled = false;
      const done = (r: Omit<SendResult, 'latencyMs'>) => {
        if (settled) return;
        settled = true;
        resolve({ ...r, latencyMs: Date.now() - t0 });
      };
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        return done({ status: null, error: 'invalid URL', excerpt: null });
      }
      if (target.protocol !== 'https:' && target.protocol !== 'http:') {
        return done({ status: null, error: `refused: only http and https URLs receive notifications (got ${target.protocol})`, excerpt: null });
      }
      const policy: WebhookUrlPolicy = { livemode, allowPrivate: this.opts.allowPrivateUrls };
      // Node connects to an IP literal without calling `lookup`, so the guard there never sees it.
      const literal = target.hostname.replace(/^\[|\]$/g, '');
      const refused = isIP(literal) ? refuseAddress(literal, policy) : undefined;
      if (refused) return done({ status: null, error: `refused: ${literal} ${refused}`, excerpt: null });
      const https = target.protocol === 'https:';
      const send = https ? httpsRequest : httpRequest;
      const agents = livemode ? this.agents.live : this.agents.test;
      let req: ReturnType<typeof httpRequest>;
      try {
        req = send(target, {
          agent: https ? agents.https : agents.http,
          method: 'POST',
          headers: {
            'Content-Type': CONTENT_TYPE,
            'Content-Length': Buffer.byteLength(body),
            'User-Agent': USER_AGENT,
          },
          lookup: guardedLookup(policy) as never,
          timeout: this.opts.timeoutMs,
        }, (res: IncomingMessage) => {
          // As for webhooks: a reply from anything but a public address is consumed and never kept,
          // so the outbox cannot be used to read what an inside service answers.
          const keep = classifyAddress(res.socket?.remoteAddress ?? '')?.kind === 'public';
          const decoder = new StringDecoder('utf8');
          let kept = 0;
          let excerpt = '';
          res.on('data', (chunk: Buffer) => {
            if (!keep || kept >= EXCERPT_BYTES) return;
            const part = chunk.subarray(0, EXCERPT_BYTES - kept);
            kept += part.length;
            excerpt += decoder.write(part); // a character cut at the limit is left out, never garbled
          });
          // PostgreSQL text cannot hold NUL: one in an answer must not stop the attempt being recorded.
          const text = () => (keep ? excerpt.replaceAll('\u0000', '\ufffd') : null);
          res.on('end', () => done({ status: res.statusCode ?? null, error: null, excerpt: text() }));
          res.on('error', (err) => done({ status: res.statusCode ?? null, error: err.message, excerpt: text() }));
        });
      } catch (err) {
        return done({ status: null, error: (err as Error).message, excerpt: null });
      }
      // The whole exchange is bounded, not only idle time: a trickling server is cut off too.
      const deadline = setTimeout(() => req.destroy(new Error(`no complete answer within ${this.opts.timeoutMs} ms`)), this.opts.timeoutMs);
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.opts.timeoutMs} ms`)));
      req.on('error', (err) => done({ status: null, error: err.message, excerpt: null }));
      req.on('close', () => clearTimeout(deadline));
      req.end(body);
    });
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
