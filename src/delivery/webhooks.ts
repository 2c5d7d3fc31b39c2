/**
 * The webhook outbox worker. Deliveries were written with their events (core/context.ts
 * recordEvent); here they are claimed (SKIP LOCKED, with a lease, so a process killed mid-send
 * leaves them to be sent again), POSTed with a fresh Stripe-Signature, and every attempt is kept.
 *
 * At least once: a delivery ends only on a 2xx, or when its retry schedule (data, ~18 attempts in
 * 72 hours) runs out. Sends run side by side with a cap per endpoint, so a slow or hanging
 * endpoint holds only its own slots, never another endpoint's deliveries. An endpoint that has
 * failed without a single success for `disableAfterMs` is disabled, with an event.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { eventPublic, webhookEndpointPublic } from '../core/model.js';
import { dialectOfApiVersion, inDialect } from '../api/v1/dialect.js';
import { recordEvent, systemContext, type CoreDeps } from '../core/context.js';
import type { DueDelivery } from '../core/store.js';
import { giveUpPending } from '../core/webhooks/endpoints.js';
import { signatureHeader } from './signature.js';
import { classifyAddress, guardedLookup, refuseAddress, type WebhookUrlPolicy } from './url-guard.js';

export interface WebhookDeliveryOptions {
  timeoutMs: number;
  /** Delay before retry n (ms): entry 0 follows the first attempt. Its length bounds the attempts. */
  retryScheduleMs: readonly number[];
  /** An endpoint failing for this long without any success is disabled. */
  disableAfterMs: number;
  maxInFlight: number;
  perEndpoint: number;
  intervalMs: number;
  /** Test mode may deliver to loopback and private addresses (see url-guard.ts). */
  allowPrivateUrls: boolean;
}

/** ~18 attempts over ~71 hours, the first retry within a minute (WooshPay: 18 attempts in 72 h). */
export const DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS = [
  30_000, 60_000, 120_000, 300_000, 600_000, 1_200_000, 2_400_000,
  3_600_000, 7_200_000, 10_800_000, 14_400_000, 21_600_000, 28_800_000, 32_400_000, 36_000_000, 43_200_000, 54_000_000,
];

const EXCERPT_CHARS = 1024;
const USER_AGENT = 'OpenCashier/0.1 (+https://github.com/opencashier; webhooks)';

interface SendResult {
  status: number | null;
  error: string | null;
  excerpt: string | null;
  latencyMs: number;
}

/** ±10% so endpoints recovering from an outage are not hit by every retry at once. */
function jitter(ms: number): number {
  return Math.round(ms * (0.9 + Math.random() * 0.2));
}

export class WebhookWorker {
  private readonly inFlight = new Map<string, string>(); // delivery id → endpoint id
  private timer: NodeJS.Timeout | undefined;
  private kickTimer: NodeJS.Timeout | undefined;
  private stopped = true;
  private claiming = false;
  private readonly sends = new Set<Promise<void>>();

  /**
   * A reused keep-alive socket skips the guarded lookup, so live and test deliveries never share
   * one: a socket test mode may open to a private address must not carry a live delivery.
   */
  private readonly agents = {
    live: { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) },
    test: { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) },
  };

  constructor(private readonly core: CoreDeps, private readonly opts: WebhookDeliveryOptions) {}

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

  /** Tops the in-flight set up to its caps with due deliveries; never waits for a send. */
  private async fill(): Promise<number> {
    if (this.claiming) return 0;
    this.claiming = true;
    let started = 0;
    try {
      for (;;) {
        const free = this.opts.maxInFlight - this.inFlight.size;
        if (free <= 0) break;
        const perEndpoint = new Map<string, number>();
        for (const ep of this.inFlight.values()) perEndpoint.set(ep, (perEndpoint.get(ep) ?? 0) + 1);
        const busy = [...perEndpoint].filter(([, n]) => n >= this.opts.perEndpoint).map(([ep]) => ep);
        const now = this.core.clock.now();
        // Long enough to finish a send and record it; a process killed mid-send frees it after this.
        const lease = this.opts.timeoutMs * 2 + 1_000;
        const due = await this.core.store.tx((s) => s.deliveries.claimDue(now, free, lease, busy, this.opts.perEndpoint));
        if (due.length === 0) break;
        for (const d of this.capPerEndpoint(due)) {
          this.inFlight.set(d.delivery.id, d.endpoint.id);
          const p = this.deliver(d)
            .catch((err: unknown) => this.core.log.error({ err, delivery: d.delivery.id }, 'webhook delivery bookkeeping failed; the lease will bring it back'))
            .finally(() => {
              this.inFlight.delete(d.delivery.id);
              this.sends.delete(p);
              if (!this.stopped) this.kick();
            });
          this.sends.add(p);
          started++;
        }
        if (due.length < free) break;
      }
    } catch (err) {
      this.core.log.error({ err }, 'claiming webhook deliveries failed; retrying next round');
    } finally {
      this.claiming = false;
    }
    return started;
  }

  /**
   * A claim may return more deliveries for one endpoint than its cap allows; the surplus is
   * handed back at once (its lease shortened) rather than sent.
   */
  private capPerEndpoint(due: DueDelivery[]): DueDelivery[] {
    const counts = new Map<string, number>();
    for (const ep of this.inFlight.values()) counts.set(ep, (counts.get(ep) ?? 0) + 1);
    const keep: DueDelivery[] = [];
    const giveBack: DueDelivery[] = [];
    for (const d of due) {
      const n = counts.get(d.endpoint.id) ?? 0;
      if (n >= this.opts.perEndpoint) giveBack.push(d);
      else {
        counts.set(d.endpoint.id, n + 1);
        keep.push(d);
      }
    }
    if (giveBack.length > 0) {
      void this.core.store.tx(async (s) => {
        for (const d of giveBack) {
          const cur = await s.deliveries.lock(d.delivery.id);
          if (cur && cur.status === 'pending') await s.deliveries.update({ ...cur, attempts: cur.attempts - 1, next_attempt_at: this.core.clock.now() + 200 });
        }
      }).catch((err: unknown) => this.core.log.error({ err }, 'handing back deliveries failed; their lease will bring them back'));
    }
    return keep;
  }

  private async deliver(d: DueDelivery): Promise<void> {
    // Rendered in the dialect the endpoint's api_version asks for (api/v1/dialect.ts).
    const body = JSON.stringify(inDialect(eventPublic(d.event), dialectOfApiVersion(d.endpoint.api_version)));
    const started = this.core.clock.now();
    const result = d.endpoint.status === 'enabled' && !d.endpoint.deleted
      ? await this.post(d.endpoint.url, body, d.endpoint.secret, d.endpoint.livemode)
      : { status: null, error: 'endpoint disabled before this attempt', excerpt: null, latencyMs: 0 };
    await this.record(d, started, result);
  }

  private post(url: string, body: string, secret: string, livemode: boolean): Promise<SendResult> {
    const t0 = Date.now();
    const signature = signatureHeader(secret, body, Math.floor(this.core.clock.now() / 1000));
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
      const policy: WebhookUrlPolicy = { livemode, allowPrivate: this.opts.allowPrivateUrls };
      // Node connects to an IP literal without calling `lookup`, so the guard there never sees it.
      const literal = target.hostname.replace(/^\[|\]$/g, '');
      const refused = isIP(literal) ? refuseAddress(literal, policy) : undefined;
      if (refused) return done({ status: null, error: `refused: ${literal} ${refused}`, excerpt: null });
      const https = target.protocol === 'https:';
      const send = https ? httpsRequest : httpRequest;
      const agents = livemode ? this.agents.live : this.agents.test;
      const req = send(target, {
        agent: https ? agents.https : agents.http,
        method: 'POST',
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'Content-Length': Buffer.byteLength(body),
          'User-Agent': USER_AGENT,
          'Stripe-Signature': signature,
          'Wooshpay-Signature': signature,
        },
        lookup: guardedLookup(policy) as never,
        timeout: this.opts.timeoutMs,
      }, (res: IncomingMessage) => {
        // Whoever may create endpoints could otherwise read what an inside service answers: a
        // reply from anything but a public address is consumed and never kept.
        const keep = classifyAddress(res.socket?.remoteAddress ?? '')?.kind === 'public';
        let excerpt = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (keep && excerpt.length < EXCERPT_CHARS) excerpt += chunk.slice(0, EXCERPT_CHARS - excerpt.length);
        });
        res.on('end', () => done({ status: res.statusCode ?? null, error: null, excerpt: keep ? excerpt : null }));
        res.on('error', (err) => done({ status: res.statusCode ?? null, error: err.message, excerpt: keep ? excerpt : null }));
      });
      // The whole exchange is bounded, not only idle time: a trickling endpoint is cut off too.
      const deadline = setTimeout(() => req.destroy(new Error(`no complete answer within ${this.opts.timeoutMs} ms`)), this.opts.timeoutMs);
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.opts.timeoutMs} ms`)));
      req.on('error', (err) => done({ status: null, error: err.message, excerpt: null }));
      req.on('close', () => clearTimeout(deadline));
      req.end(body);
    });
  }

  /** Keeps the attempt and decides what comes next, in one transaction. */
  private async record(d: DueDelivery, started: number, r: SendResult): Promise<void> {
    const ok = r.status !== null && r.status >= 200 && r.status < 300;
    await this.core.store.tx(async (s) => {
      // Lock order everywhere: endpoint, then its deliveries.
      const endpoint = await s.webhookEndpoints.lockById(d.endpoint.id);
      const delivery = await s.deliveries.lock(d.delivery.id);
      if (!endpoint || !delivery) return;
      await s.deliveries.recordAttempt({
        delivery_id: delivery.id, attempt: delivery.attempts, started, latency_ms: r.latencyMs,
        http_status: r.status, error: r.error, response_excerpt: r.excerpt,
      });
      if (delivery.status !== 'pending') return; // given up meanwhile (endpoint disabled or deleted)
      const now = this.core.clock.now();
      if (ok) {
        await s.deliveries.update({ ...delivery, status: 'succeeded', next_attempt_at: null, last_status: r.status, completed_at: now });
        await s.events.adjustPending(delivery.event_id, -1);
        if (endpoint.failing_since !== null) await s.webhookEndpoints.update({ ...endpoint, failing_since: null });
        return;
      }
      const delay = this.opts.retryScheduleMs[delivery.attempts - 1];
      if (delay === undefined) {
        await s.deliveries.update({ ...delivery, status: 'failed', next_attempt_at: null, last_status: r.status, completed_at: now });
        await s.events.adjustPending(delivery.event_id, -1);
      } else {
        await s.deliveries.update({ ...delivery, next_attempt_at: now + jitter(delay), last_status: r.status });
      }
      const failingSince = endpoint.failing_since ?? now;
      if (endpoint.status === 'enabled' && now - failingSince >= this.opts.disableAfterMs) {
        const disabled = {
          ...endpoint, status: 'disabled' as const, failing_since: failingSince, updated: now,
          disabled_reason: `every delivery failed since ${new Date(failingSince).toISOString()}`,
        };
        await s.webhookEndpoints.update(disabled);
        await giveUpPending(s, this.core, endpoint.id);
        await recordEvent(s, this.core, systemContext({ account_id: endpoint.account_id, livemode: endpoint.livemode }), 'webhook_endpoint.disabled',
          webhookEndpointPublic(disabled), { status: 'enabled' });
        this.core.log.warn({ endpoint: endpoint.id }, 'webhook endpoint disabled after failing for too long');
      } else if (endpoint.failing_since === null) {
        await s.webhookEndpoints.update({ ...endpoint, failing_since: failingSince });
      }
    });
  }
}
