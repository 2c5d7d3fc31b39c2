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
import { eventPublic, webhookEndpointPublic } from '../core/model.js';
import { dialectOfApiVersion, inDialect } from '../api/v1/dialect.js';
import { recordEvent, systemContext, type CoreDeps } from '../core/context.js';
import type { DueDelivery } from '../core/store.js';
import { giveUpPending } from '../core/webhooks/endpoints.js';
import { signatureHeader } from './signature.js';
import { jitter, OutboxWorker, type SendResult } from './outbox.js';

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

const USER_AGENT = 'OpenCashier/0.1 (+https://github.com/opencashier; webhooks)';

export class WebhookWorker extends OutboxWorker<DueDelivery> {
  constructor(private readonly core: CoreDeps, private readonly opts: WebhookDeliveryOptions) {
    super({ ...opts, what: 'webhook deliveries', log: core.log, userAgent: USER_AGENT });
  }

  protected async claim(free: number, inFlight: ReadonlyMap<string, number>): Promise<DueDelivery[]> {
    const busy = [...inFlight].filter(([, n]) => n >= this.opts.perEndpoint).map(([ep]) => ep);
    // Long enough to finish a send and record it; a process killed mid-send frees it after this.
    const lease = this.opts.timeoutMs * 2 + 1_000;
    const due = await this.core.store.tx((s) => s.deliveries.claimDue(this.core.clock.now(), free, lease, busy, this.opts.perEndpoint));
    return this.capPerEndpoint(due, inFlight);
  }

  protected idOf(d: DueDelivery): string {
    return d.delivery.id;
  }

  protected destinationOf(d: DueDelivery): string {
    return d.endpoint.id;
  }

  /**
   * A claim may return more deliveries for one endpoint than its cap allows; the surplus is
   * handed back at once (its lease shortened) rather than sent.
   */
  private capPerEndpoint(due: DueDelivery[], inFlight: ReadonlyMap<string, number>): DueDelivery[] {
    const counts = new Map(inFlight);
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

  protected async deliver(d: DueDelivery): Promise<void> {
    // Rendered in the dialect the endpoint's api_version asks for (api/v1/dialect.ts).
    const body = JSON.stringify(inDialect(eventPublic(d.event), dialectOfApiVersion(d.endpoint.api_version)));
    const started = this.core.clock.now();
    const result = d.endpoint.status === 'enabled' && !d.endpoint.deleted
      ? await this.post(d.endpoint.url, body, d.endpoint.secret, d.endpoint.livemode)
      : { status: null, error: 'endpoint disabled before this attempt', excerpt: null, latencyMs: 0 };
    await this.record(d, started, result);
  }

  private post(url: string, body: string, secret: string, livemode: boolean): Promise<SendResult> {
    const signature = signatureHeader(secret, body, Math.floor(this.core.clock.now() / 1000));
    return this.sender.post(url, body, {
      'Content-Type': 'application/json; charset=utf-8',
      'Stripe-Signature': signature,
      'Wooshpay-Signature': signature,
    }, livemode);
  }

  /** Keeps the attempt and decides what comes next, in one transaction. */
  private async record(d: DueDelivery, started: number, r: SendResult): Promise<void> {
    const ok = r.status !== null && r.status >= 200 && r.status < 300;
    await this.core.store.tx(async (s) => {
      // Lock order everywhere: endpoint, then its deliveries.
      const endpoint = await s.webhookEndpoints.lockById(d.endpoint.id);
      const delivery = await s.deliveries.lock(d.delivery.id);
      if (!endpoint || !delivery) return;
      // The number this send was claimed as: if its lease ran out mid-send, the row has moved on to
      // the next claim, and each send still keeps its own number.
      const claimed = d.delivery.attempts;
      await s.deliveries.recordAttempt({
        delivery_id: delivery.id, attempt: claimed, started, latency_ms: r.latencyMs,
        http_status: r.status, error: r.error, response_excerpt: r.excerpt,
      });
      if (delivery.status !== 'pending') return; // given up meanwhile (endpoint disabled or deleted), or delivered by a later claim
      const now = this.core.clock.now();
      if (ok) {
        await s.deliveries.update({ ...delivery, status: 'succeeded', next_attempt_at: null, last_status: r.status, completed_at: now });
        await s.events.adjustPending(delivery.event_id, -1);
        if (endpoint.failing_since !== null) await s.webhookEndpoints.update({ ...endpoint, failing_since: null });
        return;
      }
      // A later claim of this delivery is under way (this send outlived its lease): that one decides what comes next.
      if (delivery.attempts !== claimed) return;
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
